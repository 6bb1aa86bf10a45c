// Playbook registry: Markdown files with YAML front matter (id, title, techniques, owner, status,
// last_reviewed) read from the built-in `playbooks/` folder and any extra folders. Front matter is checked
// against a zod schema and technique IDs against the catalog; every problem names file, line and field.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { IsoDate, TECHNIQUE_ID_RE } from "../catalog/model.js";
import { type Problem, TechtrailError } from "../core/errors.js";
import { packagePath } from "../core/paths.js";
import { locatedProblems, parseYaml } from "../core/yaml.js";

export const BUILTIN_PLAYBOOKS_DIR = packagePath("playbooks");

export const PlaybookStatus = z.enum(["draft", "active", "retired"]);
export type PlaybookStatus = z.infer<typeof PlaybookStatus>;

export const PlaybookMeta = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "expected a kebab-case playbook ID like s3-ransomware"),
  title: z.string().trim().min(1, "title is required"),
  techniques: z
    .array(z.string().regex(TECHNIQUE_ID_RE, "expected a technique ID like T1078.A001"))
    .min(1, "a playbook covers at least one technique"),
  owner: z.string().trim().min(1, "owner is required"),
  status: PlaybookStatus,
  last_reviewed: IsoDate,
});
export type PlaybookMeta = z.infer<typeof PlaybookMeta>;

/** The response phases every playbook should walk through, with the headings that introduce them. */
export const PHASES = [
  { id: "prepare", title: "Prepare", re: /^prepar/ },
  { id: "detect-analyse", title: "Detect and analyse", re: /^detect(ion)? (and|&) analy[sz]/ },
  { id: "contain", title: "Contain", re: /^contain/ },
  { id: "eradicate-recover", title: "Eradicate and recover", re: /^eradicat/ },
  { id: "post-incident", title: "Post-incident", re: /^post[- ]incident/ },
] as const;

export const Playbook = PlaybookMeta.extend({
  file: z.string(),
  body: z.string(),
  /** Phase IDs found as `##` headings, in file order. */
  phases: z.array(z.string()),
  missingPhases: z.array(z.string()),
});
export type Playbook = z.infer<typeof Playbook>;

/** Splits `---\nyaml\n---\nbody`; returns the YAML, the line it starts on and the body. */
function splitFrontMatter(text: string, file: string): { yaml: string; firstLine: number; body: string } {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trim() !== "---")
    throw new TechtrailError("PARSE", `${file} has no front matter`, {
      problems: [
        { source: file, line: 1, message: "a playbook starts with a YAML front matter block between --- lines" },
      ],
    });
  const end = lines.findIndex((l, i) => i > 0 && l.trim() === "---");
  if (end < 0)
    throw new TechtrailError("PARSE", `${file}: front matter is not closed`, {
      problems: [{ source: file, line: 1, message: "no closing --- line after the front matter" }],
    });
  return {
    yaml: lines.slice(1, end).join("\n"),
    firstLine: 2,
    body: lines
      .slice(end + 1)
      .join("\n")
      .trim(),
  };
}

/** Parses one playbook file's text; technique IDs are checked against the catalog. */
export function parsePlaybook(text: string, file: string, catalog: Catalog): Playbook {
  const { yaml, firstLine, body } = splitFrontMatter(text, file);
  const parsed = parseYaml(yaml, file);
  const shift = (ps: Problem[]) =>
    ps.map((p) => (p.line !== undefined ? { ...p, line: p.line + firstLine - 1 } : { ...p, line: firstLine }));
  const res = PlaybookMeta.safeParse(parsed.value ?? {});
  if (!res.success)
    throw new TechtrailError("VALIDATION", `invalid playbook front matter in ${file}`, {
      problems: shift(locatedProblems(parsed, res.error.issues, file)),
    });
  const meta = res.data;
  const unknown: Problem[] = [];
  meta.techniques.forEach((id, i) => {
    if (!catalog.technique(id)) {
      const pos = parsed.locate(["techniques", i]);
      unknown.push({
        source: file,
        line: (pos?.line ?? 1) + firstLine - 1,
        ...(pos ? { column: pos.column } : {}),
        field: `techniques.${i}`,
        message: `unknown technique ID ${id} (not in catalog ${catalog.meta.version})`,
      });
    }
  });
  if (unknown.length)
    throw new TechtrailError("VALIDATION", `playbook ${file} names ${unknown.length} unknown technique(s)`, {
      problems: unknown,
    });
  const phases: string[] = [];
  for (const line of body.split("\n")) {
    const m = /^##\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const h = (m[1] ?? "").toLowerCase().replace(/^\d+[.)]\s*/, "");
    const phase = PHASES.find((p) => p.re.test(h));
    if (phase && !phases.includes(phase.id)) phases.push(phase.id);
  }
  return Playbook.parse({
    ...meta,
    techniques: meta.techniques.map((id) => catalog.technique(id)?.id ?? id),
    file,
    body,
    phases,
    missingPhases: PHASES.map((p) => p.id).filter((p) => !phases.includes(p)),
  });
}

export interface PlaybookRegistry {
  playbooks: Playbook[];
  /** Folders read, in order (later folders override built-ins with the same ID). */
  dirs: string[];
}

/**
 * Reads every `*.md` playbook of the folders. A later folder's playbook replaces an earlier one with the
 * same ID (so a team can override a built-in); the same ID twice in one folder is an error. All problems
 * of all files are reported together.
 */
export function loadPlaybooks(catalog: Catalog, opts: { dirs?: string[]; builtin?: boolean } = {}): PlaybookRegistry {
  const dirs = [...(opts.builtin === false ? [] : [BUILTIN_PLAYBOOKS_DIR]), ...(opts.dirs ?? [])];
  const byId = new Map<string, Playbook>();
  const problems: Problem[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error("not a directory");
      names = readdirSync(dir)
        .filter((n) => n.endsWith(".md") && n.toLowerCase() !== "readme.md")
        .sort();
    } catch (e) {
      throw new TechtrailError("NOT_FOUND", `playbook folder ${dir} cannot be read: ${(e as Error).message}`);
    }
    const seen = new Map<string, string>();
    for (const name of names) {
      const file = join(dir, name);
      try {
        const pb = parsePlaybook(readFileSync(file, "utf8"), file, catalog);
        const prev = seen.get(pb.id);
        if (prev)
          problems.push({
            source: file,
            line: 2,
            field: "id",
            message: `duplicate playbook ID ${pb.id} (also in ${basename(prev)})`,
          });
        seen.set(pb.id, file);
        byId.set(pb.id, pb);
      } catch (e) {
        if (e instanceof TechtrailError && e.problems.length) problems.push(...e.problems);
        else if (e instanceof TechtrailError) problems.push({ source: file, message: e.message });
        else throw e;
      }
    }
  }
  if (problems.length)
    throw new TechtrailError("VALIDATION", `${problems.length} problem(s) in playbooks`, { problems });
  return { playbooks: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), dirs };
}

/** Playbooks covering a technique: naming it, or naming its parent technique. */
export function playbooksFor(
  catalog: Catalog,
  playbooks: readonly Playbook[],
  techniqueId: string,
): Array<{ playbook: Playbook; via: "technique" | "parent" }> {
  const t = catalog.technique(techniqueId);
  const id = t?.id ?? techniqueId;
  const parent = t?.parent;
  const out: Array<{ playbook: Playbook; via: "technique" | "parent" }> = [];
  for (const p of playbooks) {
    if (p.techniques.includes(id)) out.push({ playbook: p, via: "technique" });
    else if (parent && p.techniques.includes(parent)) out.push({ playbook: p, via: "parent" });
  }
  return out;
}

export function requirePlaybook(reg: PlaybookRegistry, id: string): Playbook {
  const p = reg.playbooks.find((x) => x.id === id.trim().toLowerCase());
  if (!p)
    throw new TechtrailError(
      "NOT_FOUND",
      `no playbook ${id} (known: ${reg.playbooks.map((x) => x.id).join(", ") || "none"})`,
    );
  return p;
}

export function coveredTechniques(playbooks: readonly Playbook[]): string[] {
  return [...new Set(playbooks.filter((p) => p.status !== "retired").flatMap((p) => p.techniques))].sort(compareIds);
}
