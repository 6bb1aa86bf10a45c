// Reads the catalog's mitigation effects (catalog/mitigation-effects.yaml) and a team's deployed-controls
// inventory (controls.yaml), checks them against the catalog, and reports every problem with file:line:column.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Catalog } from "../catalog/catalog.js";
import { BUILTIN_CATALOG_DIR } from "../catalog/load.js";
import { type Problem, TechtrailError } from "../core/errors.js";
import { locatedProblems, type ParsedYaml, parseYaml } from "../core/yaml.js";
import { ControlsInventory, type EffectRule, MitigationEffects } from "./model.js";

export const EFFECTS_FILE = "mitigation-effects.yaml";

/** A control's rules, each with where it was declared. */
export interface SourcedRule extends EffectRule {
  /** `catalog` for the project's rules, else the controls file that added it. */
  origin: string;
}

/** Mitigation ID → its effect rules. */
export type ControlRules = ReadonlyMap<string, readonly SourcedRule[]>;

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new TechtrailError("IO", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      problems: [{ source: file, message: "file cannot be read" }],
    });
  }
}

function at(parsed: ParsedYaml, source: string, path: PropertyKey[], field: string, message: string): Problem {
  return locatedProblems(parsed, [{ path, message }], source).map((p) => ({ ...p, field }))[0] as Problem;
}

/** Problems of one rule's references (technique, initialAccess, has and lacks IDs) against the catalog. */
function ruleProblems(
  r: EffectRule,
  path: PropertyKey[],
  catalog: Catalog,
  parsed: ParsedYaml,
  source: string,
): Problem[] {
  const out: Problem[] = [];
  const field = (p: PropertyKey[]) => p.map(String).join(".");
  if (!catalog.has(r.technique))
    out.push(
      at(
        parsed,
        source,
        [...path, "technique"],
        field([...path, "technique"]),
        `unknown technique ${r.technique} (not in catalog ${catalog.meta.version})`,
      ),
    );
  for (const key of ["initialAccess", "has", "lacks"] as const)
    (r.when?.[key] ?? []).forEach((id, k) => {
      const p = [...path, "when", key, k];
      if (!catalog.has(id)) out.push(at(parsed, source, p, field(p), `unknown technique ${id}`));
    });
  return out;
}

/** Parses the catalog's effects text; every rule must annotate a mitigation the technique already lists. */
export function parseMitigationEffects(text: string, source: string, catalog: Catalog): ControlRules {
  const parsed = parseYaml(text, source);
  const res = MitigationEffects.safeParse(parsed.value ?? []);
  if (!res.success)
    throw new TechtrailError("VALIDATION", `${source} is not a valid mitigation effects file`, {
      problems: locatedProblems(parsed, res.error.issues, source),
    });
  const problems: Problem[] = [];
  const rules = new Map<string, SourcedRule[]>();
  res.data.forEach((m, i) => {
    const known = catalog.mitigation(m.mitigation) !== undefined;
    if (!known)
      problems.push(
        at(
          parsed,
          source,
          [i, "mitigation"],
          `${i}.mitigation`,
          `unknown control ${m.mitigation} (see catalog/mitigations.yaml)`,
        ),
      );
    if (rules.has(m.mitigation))
      problems.push(
        at(parsed, source, [i, "mitigation"], `${i}.mitigation`, `${m.mitigation} is listed twice; merge the entries`),
      );
    m.effects.forEach((r, k) => {
      const path = [i, "effects", k];
      const refs = ruleProblems(r, path, catalog, parsed, source);
      problems.push(...refs);
      const t = catalog.technique(r.technique);
      if (known && refs.length === 0 && t && !t.mitigations.some((x) => x.id === m.mitigation))
        problems.push(
          at(
            parsed,
            source,
            [...path, "technique"],
            `${i}.effects.${k}.technique`,
            `${t.id} does not list ${m.mitigation} among its mitigations (add it there with how it applies)`,
          ),
        );
    });
    rules.set(m.mitigation, [
      ...(rules.get(m.mitigation) ?? []),
      ...m.effects.map((r) => ({ ...r, origin: "catalog" })),
    ]);
  });
  if (problems.length)
    throw new TechtrailError("VALIDATION", `${source} has ${problems.length} problem(s)`, { problems });
  return rules;
}

const effectsCache = new WeakMap<Catalog, ControlRules>();

/**
 * The effect rules shipped beside a catalog folder (`<dir>/mitigation-effects.yaml`; none when the folder has
 * no such file). Cached per catalog for the built-in folder.
 */
export function loadMitigationEffects(catalog: Catalog, dir: string = BUILTIN_CATALOG_DIR): ControlRules {
  const builtin = dir === BUILTIN_CATALOG_DIR;
  const hit = builtin ? effectsCache.get(catalog) : undefined;
  if (hit) return hit;
  const file = join(dir, EFFECTS_FILE);
  const rules = existsSync(file) ? parseMitigationEffects(readText(file), file, catalog) : new Map();
  if (builtin) effectsCache.set(catalog, rules);
  return rules;
}

/** Parses a team's controls file and checks every control and technique it names against the catalog. */
export function parseControlsInventory(text: string, source: string, catalog: Catalog): ControlsInventory {
  const parsed = parseYaml(text, source);
  const res = ControlsInventory.safeParse(parsed.value ?? {});
  if (!res.success)
    throw new TechtrailError("VALIDATION", `${source} is not a valid controls file`, {
      problems: locatedProblems(parsed, res.error.issues, source),
    });
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  res.data.controls.forEach((c, i) => {
    const base: PropertyKey[] = ["controls", i];
    if (!catalog.mitigation(c.control))
      problems.push(
        at(
          parsed,
          source,
          [...base, "control"],
          `controls.${i}.control`,
          `unknown control ${c.control} (controls are catalog mitigation IDs; see \`techtrail catalog\` or catalog/mitigations.yaml)`,
        ),
      );
    const prev = seen.get(c.control);
    if (prev !== undefined)
      problems.push(
        at(
          parsed,
          source,
          [...base, "control"],
          `controls.${i}.control`,
          `${c.control} is listed twice (also controls.${prev})`,
        ),
      );
    seen.set(c.control, i);
    (c.techniques ?? []).forEach((id, k) => {
      if (!catalog.has(id))
        problems.push(
          at(
            parsed,
            source,
            [...base, "techniques", k],
            `controls.${i}.techniques.${k}`,
            `unknown technique ${id} (not in catalog ${catalog.meta.version})`,
          ),
        );
    });
    c.effects.forEach((r, k) => {
      problems.push(...ruleProblems(r, [...base, "effects", k], catalog, parsed, source));
    });
  });
  if (problems.length)
    throw new TechtrailError("VALIDATION", `${source} has ${problems.length} problem(s)`, { problems });
  return res.data;
}

export function loadControlsInventory(file: string, catalog: Catalog): ControlsInventory {
  return parseControlsInventory(readText(file), file, catalog);
}
