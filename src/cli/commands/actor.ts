// `techtrail actor ...`: threat actors of the register (add, edit, show, list, link, merge, import, history).
// Each action parses options, calls one store method, formats. Store and model: src/incidents/actor.ts,
// src/store/actor-store.ts; ATT&CK intrusion sets: src/catalog/stix-actors.ts.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadBuiltinCatalog, loadCatalogDir } from "../../catalog/load.js";
import { parseStixJson } from "../../catalog/stix.js";
import { bundleActors } from "../../catalog/stix-actors.js";
import { type Problem, TechtrailError } from "../../core/errors.js";
import { INDICATOR_TYPES, Indicator, type IndicatorInput, parseIndicatorSpec } from "../../core/indicators.js";
import type { Actor, NewActorInput } from "../../incidents/actor.js";
import { Motivation } from "../../incidents/actor.js";
import { Confidence, nameKey } from "../../incidents/model.js";
import { openStore } from "../../store/open.js";
import type { Store } from "../../store/store.js";
import { out, printJson, table, truncate } from "../output.js";
import { resolveActor } from "./incident.js";

interface ActorOpts {
  db?: string;
  by?: string;
  catalog?: string;
  json?: boolean;
  [k: string]: unknown;
}

const collect = (v: string, acc: string[]) => [...acc, v];

async function withActors<T>(o: ActorOpts, fn: (s: Store) => Promise<T>, create = false): Promise<T> {
  const store = await openStore({ ...(o.db ? { db: o.db } : {}), mustExist: !create });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const ctxOf = (o: ActorOpts, note?: unknown) => ({
  ...resolveActor({ ...(o.by ? { actor: o.by } : {}) }),
  ...(typeof note === "string" && note ? { note } : {}),
});

/** `--indicator TYPE:VALUE[@FROM..UNTIL]` values, each checked; a bad one is named with its option. */
export function parseIndicatorOptions(specs: readonly string[], flag = "--indicator"): IndicatorInput[] {
  const problems: Problem[] = [];
  const outList: IndicatorInput[] = [];
  for (const spec of specs) {
    const raw = parseIndicatorSpec(spec);
    if (!(INDICATOR_TYPES as readonly string[]).includes(raw.type)) {
      problems.push({
        field: flag,
        message: `"${spec}": unknown indicator type "${raw.type}" (expected TYPE:VALUE with TYPE one of ${INDICATOR_TYPES.join(", ")})`,
      });
      continue;
    }
    const res = Indicator.safeParse(raw);
    if (res.success) outList.push(raw);
    else for (const i of res.error.issues) problems.push({ field: flag, message: `"${spec}": ${i.message}` });
  }
  if (problems.length)
    throw new TechtrailError("VALIDATION", `invalid ${flag} (${problems.length} problem(s))`, { problems });
  return outList;
}

function motivationOf(v: unknown): Motivation | undefined {
  if (v === undefined) return undefined;
  const res = Motivation.safeParse(String(v).trim().toLowerCase());
  if (!res.success)
    throw new TechtrailError("VALIDATION", `unknown --motivation ${String(v)}`, {
      problems: [{ field: "--motivation", message: `expected one of ${Motivation.options.join(", ")}` }],
    });
  return res.data;
}

function referenceOf(v: string): NewActorInput["references"] extends (infer R)[] | undefined ? R : never {
  return /^https?:\/\//.test(v) ? { source: new URL(v).hostname, url: v } : { source: v };
}

function printActor(store: Store, ref: string, o: ActorOpts): Promise<void> {
  const catalog = o.catalog ? loadCatalogDir(o.catalog) : loadBuiltinCatalog();
  return store
    .actorDetail(ref, (id) => catalog.technique(id)?.name)
    .then((d) => {
      if (o.json) return printJson(d);
      const a = d.actor;
      out(`${a.id}  ${a.name}${a.aliases.length ? `  (also: ${a.aliases.join(", ")})` : ""}`);
      if (a.motivation) out(`motivation: ${a.motivation}`);
      out(`first seen: ${d.firstSeen ?? "-"}  last seen: ${d.lastSeen ?? "-"}`);
      if (a.provenance)
        out(
          `source: ${a.provenance.source}${a.provenance.externalId ? ` ${a.provenance.externalId}` : ""}${a.provenance.stixId ? ` (${a.provenance.stixId})` : ""}`,
        );
      if (d.mergedFrom.length) out(`merged from: ${d.mergedFrom.join(", ")}`);
      if (a.description) out(`\n${truncate(a.description.replace(/\s+/g, " "), 600)}`);
      out(`\nIndicators (${a.indicators.length})`);
      if (a.indicators.length)
        out(
          table(
            ["type", "value", "valid from", "valid until", "note"],
            a.indicators.map((i) => [
              i.type,
              i.value,
              i.validFrom ?? "",
              i.validUntil ?? "",
              truncate(i.note ?? "", 30),
            ]),
          ),
        );
      out(`\nTechniques (${d.techniques.length}: seen in incidents, declared by a source)`);
      if (d.techniques.length)
        out(
          table(
            ["technique", "name", "incidents", "declared by"],
            d.techniques.map((t) => [
              t.id,
              truncate(t.name ?? "", 40),
              t.incidents,
              t.declared ? (t.source ?? "yes") : "",
            ]),
          ),
        );
      out(`\nIncidents (${d.incidents.length})`);
      if (d.incidents.length)
        out(
          table(
            ["key", "date", "status", "severity", "confidence", "title"],
            d.incidents.map((i) => [
              i.key,
              (i.date ?? "").slice(0, 10),
              i.status,
              i.severity,
              i.confidence ?? "",
              truncate(i.title, 50),
            ]),
          ),
        );
      if (a.references.length) {
        out(`\nReferences (${a.references.length})`);
        for (const r of a.references.slice(0, 10))
          out(`  ${r.source}${r.externalId ? ` ${r.externalId}` : ""}${r.url ? ` ${r.url}` : ""}`);
        if (a.references.length > 10) out(`  ... ${a.references.length - 10} more (--json)`);
      }
    });
}

export function registerActorCommands(program: Command): void {
  const cmd = program
    .command("actor")
    .description("threat actors: names, aliases, infrastructure indicators, techniques, attributed incidents")
    .option(
      "--db <file|url>",
      "SQLite file or postgres:// URL (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB, ./techtrail.db)",
    )
    .option("--by <name>", "who makes the change, for the audit trail (default: TECHTRAIL_ACTOR, else OS user)")
    .option("--catalog <dir>", "catalog folder instead of the built-in one (technique names)");
  const g = (c: Command) => ({ ...cmd.opts(), ...c.opts() }) as ActorOpts;

  cmd
    .command("add <name>")
    .description("record a threat actor")
    .option("--alias <name>", "another name of the actor; repeatable", collect, [])
    .option("--description <text>", "what is known about the actor")
    .option("--motivation <m>", `one of ${Motivation.options.join(", ")}`)
    .option("--first-seen <date>", "first known activity")
    .option("--last-seen <date>", "last known activity")
    .option(
      "--indicator <spec>",
      "infrastructure: TYPE:VALUE[@FROM..UNTIL] with TYPE ip, cidr, asn, user-agent (RE2 pattern), access-key, account; repeatable",
      collect,
      [],
    )
    .option("--technique <id>", "a technique the actor is known to use (declared); repeatable", collect, [])
    .option("--reference <url>", "a report or page about the actor; repeatable", collect, [])
    .option("--json", "print the stored actor as JSON")
    .action(async (name: string, _o, c: Command) => {
      const o = g(c);
      const input: NewActorInput = {
        name,
        aliases: o.alias as string[],
        indicators: parseIndicatorOptions(o.indicator as string[]),
        techniques: (o.technique as string[]).map((id) => ({ id })),
        references: (o.reference as string[]).map(referenceOf),
      };
      if (o.description) input.description = String(o.description);
      const m = motivationOf(o.motivation);
      if (m) input.motivation = m;
      if (o.firstSeen) input.firstSeen = String(o.firstSeen);
      if (o.lastSeen) input.lastSeen = String(o.lastSeen);
      await withActors(
        o,
        async (s) => {
          const a = await s.createActor(input, ctxOf(o));
          if (o.json) return printJson(a);
          out(`${a.id} ${a.name} recorded (${a.indicators.length} indicator(s))`);
        },
        true,
      );
    });

  cmd
    .command("edit <actor>")
    .description("change an actor (ID, name or alias); a new name keeps the old one as an alias")
    .option("--name <name>", "new name")
    .option("--add-alias <name>", "repeatable", collect, [])
    .option("--remove-alias <name>", "repeatable", collect, [])
    .option("--description <text>", "replace the description")
    .option("--motivation <m>", `one of ${Motivation.options.join(", ")}`)
    .option("--first-seen <date>", "first known activity ('' clears)")
    .option("--last-seen <date>", "last known activity ('' clears)")
    .option("--add-indicator <spec>", "TYPE:VALUE[@FROM..UNTIL]; repeatable", collect, [])
    .option("--remove-indicator <spec>", "TYPE:VALUE; repeatable", collect, [])
    .option("--add-technique <id>", "declared technique; repeatable", collect, [])
    .option("--remove-technique <id>", "repeatable", collect, [])
    .option("--add-reference <url>", "repeatable", collect, [])
    .option("--note <text>", "why, for the audit trail")
    .option("--json", "print the actor as JSON")
    .action(async (ref: string, _o, c: Command) => {
      const o = g(c);
      const add = parseIndicatorOptions(o.addIndicator as string[], "--add-indicator");
      const remove = (o.removeIndicator as string[]).map((spec) => {
        const r = parseIndicatorSpec(spec);
        const res = Indicator.safeParse({ type: r.type, value: r.value });
        if (!res.success)
          throw new TechtrailError("VALIDATION", `invalid --remove-indicator ${spec}`, {
            problems: [{ field: "--remove-indicator", message: `"${spec}": expected TYPE:VALUE of an indicator` }],
          });
        return res.data;
      });
      const m = motivationOf(o.motivation);
      await withActors(o, async (s) => {
        const r = await s.updateActor(
          ref,
          (a): Actor => {
            const next: Actor = { ...a };
            if (o.name) next.name = String(o.name);
            const drop = new Set((o.removeAlias as string[]).map(nameKey));
            next.aliases = [...a.aliases.filter((x) => !drop.has(nameKey(x))), ...(o.addAlias as string[])];
            if (o.description !== undefined) next.description = String(o.description);
            if (m) next.motivation = m;
            for (const f of ["firstSeen", "lastSeen"] as const) {
              const v = o[f];
              if (v === "") delete next[f];
              else if (typeof v === "string") next[f] = v;
            }
            next.indicators = [
              ...a.indicators.filter((i) => !remove.some((x) => x.type === i.type && x.value === i.value)),
              ...(add as Actor["indicators"]),
            ];
            const dropT = new Set((o.removeTechnique as string[]).map((t) => t.trim().toUpperCase()));
            next.techniques = [
              ...a.techniques.filter((t) => !dropT.has(t.id)),
              ...(o.addTechnique as string[]).map((id) => ({ id: id.trim().toUpperCase() })),
            ];
            next.references = [...a.references, ...(o.addReference as string[]).map(referenceOf)];
            return next;
          },
          ctxOf(o, o.note),
        );
        if (o.json) return printJson(r);
        out(r.changed ? `${r.actor.id} ${r.actor.name} changed` : `${r.actor.id}: nothing to change`);
      });
    });

  cmd
    .command("show <actor>")
    .description("an actor (ID, name or alias) with its indicators, techniques and attributed incidents")
    .option("--json", "machine-readable output")
    .action(async (ref: string, _o, c: Command) => {
      const o = g(c);
      await withActors(o, (s) => printActor(s, ref, o));
    });

  cmd
    .command("list")
    .description("the register's threat actors")
    .option("--json", "machine-readable output")
    .action(async (_o, c: Command) => {
      const o = g(c);
      await withActors(o, async (s) => {
        const list = await s.listActors();
        if (o.json) return printJson(list);
        if (!list.length) return out("no actors (techtrail actor add NAME, or techtrail actor import BUNDLE)");
        out(
          table(
            ["id", "name", "aliases", "incidents", "techniques", "indicators", "last seen", "source"],
            list.map((a) => [
              a.id,
              truncate(a.name, 24),
              truncate(a.aliases.join(", "), 30),
              a.incidents,
              a.techniques,
              a.indicators,
              (a.lastSeen ?? "").slice(0, 10),
              truncate(a.source ?? "", 20),
            ]),
          ),
        );
      });
    });

  cmd
    .command("link <incident> [actor]")
    .description("attribute an incident to an actor (ID, name or alias) with a confidence; audited")
    .option("--confidence <c>", "confirmed, likely or possible", "likely")
    .option("--unlink", "remove the incident's attribution instead")
    .option("--note <text>", "why, for the audit trail")
    .option("--json", "print the incident as JSON")
    .action(async (key: string, ref: string | undefined, _o, c: Command) => {
      const o = g(c);
      const conf = Confidence.safeParse(String(o.confidence).trim().toLowerCase());
      if (!conf.success)
        throw new TechtrailError("VALIDATION", `unknown --confidence ${String(o.confidence)}`, {
          problems: [{ field: "--confidence", message: "expected confirmed, likely or possible" }],
        });
      if (!o.unlink && !ref) throw new TechtrailError("VALIDATION", "name the actor to link to, or give --unlink");
      await withActors(o, async (s) => {
        const r = await s.linkIncident(key, o.unlink ? null : (ref as string), conf.data, ctxOf(o, o.note));
        if (o.json) return printJson(r);
        const i = r.incident;
        if (!r.changed) out(`${i.key}: nothing to change`);
        else if (i.actorId) out(`${i.key} attributed to ${i.actorId} ${i.threatActor} (${i.actorConfidence})`);
        else out(`${i.key}: attribution removed`);
      });
    });

  cmd
    .command("merge <into> <from>")
    .description("merge actor <from> into <into>: names, indicators, techniques join; every attribution moves")
    .option("--note <text>", "why, for the audit trail")
    .option("--json", "machine-readable output")
    .action(async (into: string, from: string, _o, c: Command) => {
      const o = g(c);
      await withActors(o, async (s) => {
        const r = await s.mergeActors(into, from, ctxOf(o, o.note));
        if (o.json) return printJson(r);
        out(
          `merged into ${r.actor.id} ${r.actor.name}: ${r.incidents.length} incident(s) moved${r.incidents.length ? ` (${r.incidents.join(", ")})` : ""}`,
        );
      });
    });

  cmd
    .command("import <bundle>")
    .description("ATT&CK intrusion sets (groups) of a STIX 2.0/2.1 bundle become actors, with their techniques")
    .requiredOption("--source <name>", "provenance recorded on the actors (e.g. 'ATT&CK Enterprise 18.1')")
    .option("--json", "machine-readable output")
    .action(async (file: string, _o, c: Command) => {
      const o = g(c) as ActorOpts & { source: string };
      await importBundleActors(file, o);
    });

  cmd
    .command("history <actor>")
    .description("the audit trail of an actor, with the actors merged into it")
    .option("--json", "machine-readable output (with before/after)")
    .action(async (ref: string, _o, c: Command) => {
      const o = g(c);
      await withActors(o, async (s) => {
        const h = await s.actorHistory(ref);
        if (o.json) return printJson(h);
        out(
          table(
            ["#", "at", "actor", "by", "action", "note"],
            h.map((e) => [e.id, e.at, e.actorId, e.by, e.action, truncate(e.note ?? "", 60)]),
          ),
        );
      });
    });
}

/** Reads a bundle and stores its intrusion sets as actors (used by `actor import` and `catalog import --actors`). */
export async function importBundleActors(
  file: string,
  o: { source: string; db?: string; by?: string; json?: boolean },
): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TechtrailError("IO", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const { actors, skipped } = bundleActors(parseStixJson(text, file), { source: o.source, file });
  await withActors(
    o,
    async (s) => {
      // bundleActors keeps only vocabulary motivations; the store validates every field again
      const r = await s.importActors(actors as NewActorInput[], ctxOf(o, `imported from ${o.source} (${file})`));
      if (o.json) return printJson({ ...r, skipped });
      out(
        `${file}: ${actors.length} intrusion set(s) as actors: ${r.created.length} created, ${r.updated.length} updated, ${r.unchanged.length} unchanged; ${skipped.length} skipped (revoked or deprecated)`,
      );
      for (const d of r.droppedAliases.slice(0, 10))
        out(`  alias "${d.alias}" of ${d.name} left out: it is a name of ${d.owner}`);
    },
    true,
  );
}
