// `techtrail incident ...`: the incident register (add, edit, show, list, close, delete, tag, history,
// import, export, remap, attach). Each action parses options, calls one IncidentRegister method, formats.

import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import type { Catalog } from "../../catalog/catalog.js";
import { TechtrailError } from "../../core/errors.js";
import { writeOutput } from "../../core/fs.js";
import type { FindingLike, FindingTotals } from "../../incidents/evidence.js";
import { COLUMNS, type Column, type FileFormat } from "../../incidents/io.js";
import {
  type ChangeContext,
  Confidence,
  changedFields,
  type Incident,
  type NewIncidentInput,
} from "../../incidents/model.js";
import { requireTechniqueRef, resolveTechniqueRef } from "../../incidents/validate.js";
import { IncidentRegister, type ListQuery, type MatchedActor } from "../../register/register.js";
import { openStore } from "../../store/open.js";
import { CATALOG_OPTION_HELP, OVERLAY_OPTION_HELP, openCatalog } from "../catalog-options.js";
import { log, out, printJson, safeText, table, truncate } from "../output.js";

export interface StoreOpts {
  db?: string;
  actor?: string;
  catalog?: string;
}

/** Who is making changes: --actor, else TECHTRAIL_ACTOR, else the OS user. */
export function resolveActor(opts: { actor?: string }): ChangeContext {
  let actor = opts.actor?.trim() || process.env.TECHTRAIL_ACTOR?.trim();
  if (!actor) {
    try {
      actor = userInfo().username;
    } catch {
      actor = "unknown";
    }
  }
  return { actor: actor || "unknown" };
}

function catalogFor(opts: StoreOpts): Catalog {
  return openCatalog(opts);
}

/**
 * Opens the store and the catalog, runs fn, always closes the store. Only commands that add incidents
 * (`create`) may create a new SQLite file; the others report where they looked instead of an empty register.
 */
export async function withRegister<T>(
  opts: StoreOpts,
  fn: (reg: IncidentRegister) => Promise<T>,
  mode: { create?: boolean } = {},
): Promise<T> {
  const catalog = catalogFor(opts);
  const store = await openStore({ ...(opts.db ? { db: opts.db } : {}), mustExist: mode.create !== true });
  try {
    return await fn(new IncidentRegister(store, catalog));
  } finally {
    await store.close();
  }
}

/**
 * `scan --create-incident`: stores a draft incident whose technique tags carry the scan's findings as
 * evidence, and says so on stderr (stdout keeps the scan output).
 */
export async function createIncidentFromScan(
  findings: Iterable<FindingLike>,
  opts: StoreOpts & {
    title?: string;
    source: string;
    totals?: FindingTotals;
    /** Actors whose indicators the findings matched: the only one is attributed, several are listed. */
    matchedActors?: readonly MatchedActor[];
  },
): Promise<Incident> {
  return withRegister(
    opts,
    async (reg) => {
      const { incident, unknown, attribution } = await reg.createFromFindings(
        findings,
        {
          source: opts.source,
          ...(opts.title ? { title: opts.title } : {}),
          ...(opts.totals ? { totals: opts.totals } : {}),
          ...(opts.matchedActors ? { matchedActors: opts.matchedActors } : {}),
        },
        resolveActor(opts),
      );
      log(
        `techtrail: draft incident ${incident.key} created in ${reg.store.location} ${incident.techniques.length ? `with ${incident.techniques.length} technique(s): ${incident.techniques.map((t) => t.id).join(", ")}` : "without technique tags (its findings map to none: tag it by hand)"}`,
      );
      if (unknown.length) log(`techtrail: techniques not in the catalog were skipped: ${unknown.join(", ")}`);
      const who = (a: MatchedActor) => `${a.id} ${safeText(a.name)}`;
      if (attribution.linked)
        log(
          `techtrail: ${incident.key} attributed to ${who(attribution.linked)} (${attribution.confidence}: ${attribution.linked.findings} finding(s) matched its indicators; \`techtrail actor link\` changes it)`,
        );
      else if (attribution.candidates.length)
        log(
          `techtrail: findings match ${attribution.candidates.length} actors (${attribution.candidates.map(who).join(", ")}): ${incident.key} is not attributed; link one with \`techtrail actor link ${incident.key} ACTOR\``,
        );
      return incident;
    },
    { create: true },
  );
}

const interactive = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

/**
 * A technique typed by a person: IDs pass through; a phrase gets ranked suggestions, picked from a prompt on
 * a terminal, else reported in an error listing them.
 */
async function resolveRef(catalog: Catalog, ref: string): Promise<string> {
  const r = resolveTechniqueRef(catalog, ref);
  if (r.kind === "id") return r.id;
  // Not a terminal (or nothing to suggest): an error that lists the suggestions.
  if (r.kind === "unknown" || !interactive()) return requireTechniqueRef(catalog, ref);
  log(`"${ref}" is not a technique ID. Did you mean:`);
  r.hits.forEach((h, n) => {
    log(`  ${n + 1}) ${h.id}  ${h.name}`);
  });
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`choose 1-${r.hits.length} (empty to cancel): `)).trim();
    const hit = r.hits[Number(answer) - 1];
    if (!hit) throw new TechtrailError("VALIDATION", `no technique chosen for "${ref}"`);
    return hit.id;
  } finally {
    rl.close();
  }
}

/** `T1078.A001:confirmed` or `credential theft` → technique request. */
async function parseTechniqueArg(catalog: Catalog, arg: string): Promise<{ id: string; confidence?: Confidence }> {
  const m = /^(.*?):(confirmed|likely|possible)$/i.exec(arg.trim());
  const ref = m ? (m[1] ?? "") : arg;
  const id = await resolveRef(catalog, ref);
  return m ? { id, confidence: Confidence.parse(m[2]?.toLowerCase()) } : { id };
}

const collect = (v: string, acc: string[]) => [...acc, v];
const csvList = (v: string | undefined) =>
  v
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function fieldPair(spec: string, flag: string): [Column, string] {
  const eq = spec.indexOf("=");
  const field = (eq > 0 ? spec.slice(0, eq) : "").trim().replace(/-/g, "_") as Column;
  if (eq <= 0 || !(COLUMNS as readonly string[]).includes(field))
    throw new TechtrailError("VALIDATION", `${flag} expects FIELD=VALUE with FIELD one of: ${COLUMNS.join(", ")}`, {
      problems: [{ field: flag, message: `got "${spec}"` }],
    });
  return [field, spec.slice(eq + 1)];
}

function printIncident(i: Incident): void {
  const tl = i.timeline;
  out(`${i.key}  ${i.title}${i.isDemo ? "  [demo]" : ""}`);
  out(
    `status: ${i.status}  severity: ${i.severity}${i.threatActor ? `  actor: ${i.threatActor}` : ""}${i.campaign ? `  campaign: ${i.campaign}` : ""}`,
  );
  const times = (
    [
      ["first activity", tl.firstActivity],
      ["detected", tl.detected],
      ["reported", tl.reported],
      ["contained", tl.contained],
      ["recovered", tl.recovered],
      ["closed", tl.closed],
    ] as const
  ).filter(([, v]) => v);
  if (times.length) out(`timeline: ${times.map(([k, v]) => `${k} ${v}`).join(" | ")}`);
  const line = (label: string, list: readonly string[]) => list.length && out(`${label}: ${list.join(", ")}`);
  line("accounts", i.accounts);
  line("regions", i.regions);
  line("services", i.services);
  line("resources", i.resources);
  if (i.detectionSource) out(`detection: ${i.detectionSource}`);
  if (i.initialAccess || i.initialAccessTechnique || i.credentialType)
    out(
      `initial access: ${[
        i.initialAccess,
        i.initialAccessTechnique && `technique ${i.initialAccessTechnique}`,
        i.credentialType && `credential ${i.credentialType}`,
      ]
        .filter(Boolean)
        .join(", ")}`,
    );
  line("impact", i.impact);
  line("playbooks", i.playbooks);
  line("tags", i.tags);
  if (i.summary) out(`\n${i.summary}`);
  if (i.techniques.length) {
    out("");
    out(
      table(
        ["technique", "confidence", "catalog", "first seen", "findings", "evidence"],
        i.techniques.map((t) => [
          t.id,
          t.confidence,
          t.catalogVersion,
          t.firstSeen ?? "",
          t.findings.length,
          truncate(t.evidence.replace(/\s+/g, " "), 60),
        ]),
      ),
    );
  }
  if (i.notes) out(`\nnotes: ${i.notes}`);
  if (i.lessonsLearned) out(`\nlessons learned: ${i.lessonsLearned}`);
}

function formatOf(v: string | undefined, file?: string): FileFormat | undefined {
  if (v === undefined) return file && /\.csv$/i.test(file) ? "csv" : file && /\.json$/i.test(file) ? "json" : undefined;
  if (v !== "json" && v !== "csv") throw new TechtrailError("VALIDATION", `--format must be json or csv, got ${v}`);
  return v;
}

function readInput(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (e) {
    throw new TechtrailError("IO", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function listQuery(o: Record<string, unknown>): ListQuery {
  const q: ListQuery = {};
  const status = csvList(o.status as string | undefined);
  if (status) q.status = status as ListQuery["status"];
  const severity = csvList(o.severity as string | undefined)?.map((s) => s.toUpperCase());
  if (severity) q.severity = severity as ListQuery["severity"];
  if ((o.technique as string[] | undefined)?.length) q.technique = o.technique as string[];
  if ((o.tactic as string[] | undefined)?.length) q.tactic = o.tactic as string[];
  for (const k of ["threatActor", "campaign", "tag", "from", "to", "text"] as const)
    if (typeof o[k] === "string") (q as Record<string, unknown>)[k] = o[k];
  if (o.demo === true) q.demo = true;
  if (o.real === true) q.demo = false;
  return q;
}

function addFilterOptions(cmd: Command): Command {
  return cmd
    .option("--status <list>", "open, contained, closed (comma-separated)")
    .option("--severity <list>", "P1..P4 (comma-separated)")
    .option("--technique <ref>", "technique ID (sub-techniques included) or phrase; repeatable", collect, [])
    .option("--tactic <id>", "tactic ID, short name or name; repeatable", collect, [])
    .option("--threat-actor <name>", "threat actor (case-insensitive)")
    .option("--campaign <name>", "campaign (case-insensitive)")
    .option("--tag <tag>", "label")
    .option("--from <date>", "incident date on or after")
    .option("--to <date>", "incident date on or before")
    .option("--text <words>", "title contains")
    .option("--demo", "only demo incidents")
    .option("--real", "only non-demo incidents");
}

/** The options of a subcommand merged with the `incident` command's own (--db, --actor, --catalog). */
type OptionsOf = (cmd: Command) => StoreOpts & Record<string, unknown>;

export function registerIncidentCommands(program: Command): void {
  const inc = program
    .command("incident")
    .description("the incident register: record incidents in the catalog's vocabulary")
    .option(
      "--db <file|url>",
      "SQLite file or postgres:// URL (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB, ./techtrail.db)",
    )
    .option("--actor <name>", "who makes the change, for the audit trail (default: TECHTRAIL_ACTOR, else OS user)")
    .option("--catalog <dir>", CATALOG_OPTION_HELP)
    .option("--overlay <dir>", OVERLAY_OPTION_HELP);
  const g = (cmd: Command) => ({ ...inc.opts(), ...cmd.opts() }) as StoreOpts & Record<string, unknown>;
  registerAdd(inc, g);
  registerEdit(inc, g);
  registerShow(inc, g);
  registerList(inc, g);
  registerClose(inc, g);
  registerDelete(inc, g);
  registerTag(inc, g);
  registerHistory(inc, g);
  registerImport(inc, g);
  registerKeyPattern(inc, g);
  registerExport(inc, g);
  registerRemap(inc, g);
  registerAttach(inc, g);
}

/** The new incident of `incident add`: --from-file, then the field options over it. */
async function addInput(o: StoreOpts & Record<string, unknown>, catalog: Catalog): Promise<Record<string, unknown>> {
  let input: Record<string, unknown> = {};
  if (o.fromFile) {
    try {
      input = JSON.parse(readInput(String(o.fromFile)));
    } catch (e) {
      if (e instanceof TechtrailError) throw e;
      throw new TechtrailError("PARSE", `${o.fromFile} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const set = (k: keyof NewIncidentInput, v: unknown) => {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) input[k] = v;
  };
  set("key", o.key);
  set("title", o.title);
  set("summary", o.summary);
  set("status", o.status);
  set("severity", typeof o.severity === "string" ? o.severity.toUpperCase() : undefined);
  const timeline: Record<string, unknown> = { ...((input.timeline as object) ?? {}) };
  for (const [k, opt] of [
    ["firstActivity", "firstActivity"],
    ["detected", "detected"],
    ["reported", "reported"],
    ["contained", "contained"],
    ["recovered", "recovered"],
    ["closed", "closed"],
  ] as const)
    if (o[opt] !== undefined) timeline[k] = o[opt];
  if (Object.keys(timeline).length) input.timeline = timeline;
  set("accounts", o.account);
  set("regions", o.region);
  set("services", o.service);
  set("resources", o.resource);
  set("detectionSource", o.detectionSource);
  set("initialAccess", o.initialAccess);
  set("initialAccessTechnique", o.initialAccessTechnique);
  set("credentialType", o.credentialType);
  set("threatActor", o.threatActor);
  set("campaign", o.campaign);
  set("impact", o.impact);
  set("playbooks", o.playbook);
  set("tags", o.tag);
  set("notes", o.notes);
  set("lessonsLearned", o.lessons);
  const refs = o.technique as string[];
  if (refs.length) {
    const techniques = [];
    for (const r of refs) techniques.push(await parseTechniqueArg(catalog, r));
    input.techniques = techniques;
  }
  if (input.title === undefined)
    throw new TechtrailError("VALIDATION", "an incident needs a title (--title or --from-file)", {
      problems: [{ field: "title", message: "required" }],
    });
  return input;
}

/** `incident add`: record a new incident. */
function registerAdd(inc: Command, g: OptionsOf): void {
  inc
    .command("add")
    .description("record a new incident")
    .option("--title <text>", "title (required unless --from-file)")
    .option("--from-file <file>", "JSON object of the incident (fields as in `incident show --json`)")
    .option(
      "--key <key>",
      "explicit key like IR-2026-0042 or a ticket ID matching the key pattern (default: next IR key of the incident's year)",
    )
    .option("--summary <text>")
    .option("--status <status>", "open, contained or closed")
    .option("--severity <P1-P4>")
    .option("--first-activity <time>")
    .option("--detected <time>")
    .option("--reported <time>")
    .option("--contained <time>")
    .option("--recovered <time>")
    .option("--closed <time>")
    .option("--account <id>", "AWS account ID; repeatable", collect, [])
    .option("--region <region>", "repeatable", collect, [])
    .option("--service <prefix>", "repeatable", collect, [])
    .option("--resource <arn>", "repeatable", collect, [])
    .option("--detection-source <source>", "guardduty, security-hub, cloudwatch-alarm, billing-anomaly, ...")
    .option("--initial-access <vector>", "leaked-access-key, compromised-console-credentials, ...")
    .option("--initial-access-technique <id>", "the technique the intruder got in with (one of --technique)")
    .option("--credential-type <type>", "root-password, root-access-key, iam-user-access-key, ... (docs/controls.md)")
    .option("--threat-actor <name>")
    .option("--campaign <name>")
    .option("--impact <category>", "repeatable", collect, [])
    .option("--technique <ref>", "ID[:confidence] or a phrase; repeatable", collect, [])
    .option("--playbook <name>", "repeatable", collect, [])
    .option("--tag <tag>", "repeatable", collect, [])
    .option("--notes <text>")
    .option("--lessons <text>")
    .option("--json", "machine-readable output")
    .action(async (_o, cmd: Command) => {
      const o = g(cmd);
      await withRegister(
        o,
        async (reg) => {
          const input = await addInput(o, reg.catalog);
          const i = await reg.add(input, resolveActor(o));
          if (o.json) return printJson(i);
          out(`${i.key} recorded (${i.techniques.length} technique(s)) in ${reg.store.location}`);
        },
        { create: true },
      );
    });
}

/** `incident edit`: change fields of an incident (see FIELD names in `incident export --format csv`). */
function registerEdit(inc: Command, g: OptionsOf): void {
  inc
    .command("edit <key>")
    .description("change fields of an incident (see FIELD names in `incident export --format csv`)")
    .option("--set <field=value>", "set a field (empty value clears it); repeatable", collect, [])
    .option("--add <field=value>", "add to a list field (tags, accounts, regions, ...); repeatable", collect, [])
    .option("--remove <field=value>", "remove from a list field; repeatable", collect, [])
    .option("--title <text>")
    .option("--summary <text>")
    .option("--status <status>")
    .option("--severity <P1-P4>")
    .option("--notes <text>")
    .option("--lessons <text>")
    .option("--json", "machine-readable output")
    .action(async (key: string, _o, cmd: Command) => {
      const o = g(cmd);
      const set: Partial<Record<Column, string>> = Object.fromEntries(
        (o.set as string[]).map((s) => fieldPair(s, "--set")),
      );
      for (const [opt, col] of [
        ["title", "title"],
        ["summary", "summary"],
        ["status", "status"],
        ["severity", "severity"],
        ["notes", "notes"],
        ["lessons", "lessons_learned"],
      ] as const)
        if (typeof o[opt] === "string") set[col] = o[opt] as string;
      const add = (o.add as string[]).map((s) => fieldPair(s, "--add"));
      const remove = (o.remove as string[]).map((s) => fieldPair(s, "--remove"));
      if (!Object.keys(set).length && !add.length && !remove.length)
        throw new TechtrailError("VALIDATION", "nothing to change: give --set, --add, --remove or a field option");
      await withRegister(o, async (reg) => {
        const r = await reg.edit(key, { set, add, remove }, resolveActor(o));
        if (o.json) return printJson(r);
        out(r.changed ? `${r.incident.key} updated` : `${r.incident.key} unchanged`);
      });
    });
}

/** `incident show`: show one incident. */
function registerShow(inc: Command, g: OptionsOf): void {
  inc
    .command("show <key>")
    .description("show one incident")
    .option("--json", "machine-readable output")
    .action(async (key: string, _o, cmd: Command) => {
      const o = g(cmd);
      await withRegister(o, async (reg) => {
        const i = await reg.show(key);
        if (o.json) return printJson(i);
        printIncident(i);
      });
    });
}

/** `incident list`: list incidents, newest first. */
function registerList(inc: Command, g: OptionsOf): void {
  addFilterOptions(
    inc
      .command("list")
      .description("list incidents, newest first")
      .option("--sort <by>", "date, key or severity", "date")
      .option("--order <dir>", "asc or desc", "desc")
      .option("-n, --limit <n>", "rows per page", "50")
      .option("--offset <n>", "rows to skip", "0")
      .option("--json", "machine-readable output"),
  ).action(async (_o, cmd: Command) => {
    const o = g(cmd);
    const q = listQuery(o);
    const num = (v: unknown, name: string) => {
      if (!/^\d+$/.test(String(v)))
        throw new TechtrailError("VALIDATION", `--${name} must be a whole number, got ${v}`);
      return Number(v);
    };
    q.limit = num(o.limit, "limit");
    q.offset = num(o.offset, "offset");
    q.sort = o.sort as ListQuery["sort"];
    q.order = o.order as ListQuery["order"];
    await withRegister(o, async (reg) => {
      const page = await reg.list(q);
      if (o.json) return printJson(page);
      if (!page.items.length) return out("No incidents match.");
      out(
        table(
          ["key", "date", "sev", "status", "actor", "techniques", "title"],
          page.items.map((i) => [
            i.key,
            (i.date ?? "").slice(0, 10),
            i.severity,
            i.status,
            truncate(i.threatActor ?? "", 16),
            truncate(i.techniques.join(","), 36),
            truncate(`${i.isDemo ? "[demo] " : ""}${i.title}`, 50),
          ]),
        ),
      );
      out(`${page.offset + 1}-${page.offset + page.items.length} of ${page.total}`);
    });
  });
}

/** `incident close`: close an incident (status closed, closed time, lessons learned). */
function registerClose(inc: Command, g: OptionsOf): void {
  inc
    .command("close <key>")
    .description("close an incident (status closed, closed time, lessons learned)")
    .option("--at <time>", "closed time (default now)")
    .option("--recovered <time>", "recovered time")
    .option("--lessons <text>", "lessons learned")
    .option("--json", "machine-readable output")
    .action(async (key: string, _o, cmd: Command) => {
      const o = g(cmd);
      await withRegister(o, async (reg) => {
        const opts: { at?: string; recovered?: string; lessons?: string } = {};
        if (typeof o.at === "string") opts.at = o.at;
        if (typeof o.recovered === "string") opts.recovered = o.recovered;
        if (typeof o.lessons === "string") opts.lessons = o.lessons;
        const r = await reg.close(key, opts, resolveActor(o));
        if (o.json) return printJson(r.incident);
        out(`${r.incident.key} closed at ${r.incident.timeline.closed}`);
      });
    });
}

/** `incident delete`: delete an incident (its audit history is kept). */
function registerDelete(inc: Command, g: OptionsOf): void {
  inc
    .command("delete <key>")
    .description("delete an incident (its audit history is kept)")
    .option("--yes", "do not ask for confirmation")
    .option("--json", "machine-readable output")
    .action(async (key: string, _o, cmd: Command) => {
      const o = g(cmd);
      if (!o.yes) {
        if (!interactive())
          throw new TechtrailError("VALIDATION", `deleting ${key} needs --yes when not on a terminal`);
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(`delete ${key}? type the key to confirm: `);
        rl.close();
        if (answer.trim().toUpperCase() !== key.trim().toUpperCase())
          throw new TechtrailError("VALIDATION", "not confirmed; nothing deleted");
      }
      await withRegister(o, async (reg) => {
        const i = await reg.delete(key, resolveActor(o));
        if (o.json) return printJson({ deleted: i.key });
        out(`${i.key} deleted`);
      });
    });
}

/** `incident tag`: tag techniques (IDs or phrases) on an incident, or --remove them. */
function registerTag(inc: Command, g: OptionsOf): void {
  inc
    .command("tag <key> <techniques...>")
    .description("tag techniques (IDs or phrases) on an incident, or --remove them")
    .option("--confidence <level>", "confirmed, likely or possible")
    .option("--evidence <text>", "evidence text (appended to existing evidence)")
    .option("--first-seen <time>", "when the technique was first seen")
    .option("--remove", "remove the tags instead")
    .option("--json", "machine-readable output")
    .action(async (key: string, refs: string[], _o, cmd: Command) => {
      const o = g(cmd);
      const confidence =
        o.confidence === undefined ? undefined : Confidence.safeParse(String(o.confidence).toLowerCase());
      if (confidence && !confidence.success)
        throw new TechtrailError(
          "VALIDATION",
          `--confidence must be confirmed, likely or possible, got ${o.confidence}`,
        );
      await withRegister(o, async (reg) => {
        const tags = [];
        for (const ref of refs) {
          const t = await parseTechniqueArg(reg.catalog, ref);
          tags.push({
            ...t,
            ...(confidence?.data ? { confidence: confidence.data } : {}),
            ...(typeof o.evidence === "string" ? { evidence: o.evidence } : {}),
            ...(typeof o.firstSeen === "string" ? { firstSeen: o.firstSeen } : {}),
          });
        }
        const r = await reg.tag(key, tags, resolveActor(o), { remove: o.remove === true });
        if (o.json) return printJson(r.incident);
        out(
          `${r.incident.key}: ${r.changed ? "techniques now" : "unchanged,"} ${r.incident.techniques.map((t) => `${t.id}(${t.confidence})`).join(", ") || "none"}`,
        );
      });
    });
}

/** `incident history`: the audit trail of an incident: who changed what, when. */
function registerHistory(inc: Command, g: OptionsOf): void {
  inc
    .command("history <key>")
    .description("the audit trail of an incident: who changed what, when")
    .option("--json", "machine-readable output (with before/after)")
    .action(async (key: string, _o, cmd: Command) => {
      const o = g(cmd);
      await withRegister(o, async (reg) => {
        const h = await reg.history(key);
        if (!h.length) throw new TechtrailError("NOT_FOUND", `no history for ${key}`);
        if (o.json) return printJson(h);
        out(
          table(
            ["#", "at", "actor", "action", "changed", "note"],
            h.map((e) => [
              e.id,
              e.at,
              e.actor,
              e.action,
              truncate(
                e.before === null
                  ? "(new)"
                  : e.after === null
                    ? "(deleted)"
                    : changedFields(e.before, e.after).join(", "),
                50,
              ),
              truncate(e.note ?? "", 40),
            ]),
          ),
        );
      });
    });
}

/** `incident import`: import incidents from JSON or CSV (all or nothing; every bad row is reported). */
function registerImport(inc: Command, g: OptionsOf): void {
  inc
    .command("import <file>")
    .description("import incidents from JSON or CSV (all or nothing; every bad row is reported)")
    .option("--format <format>", "json or csv (default: from the file name or content)")
    .option("--map <pairs>", 'column mapping, e.g. "Incident ID=key,Opened=detected,Owner=-"')
    .option("--dry-run", "check everything, import nothing")
    .option("--upsert", "update incidents whose keys exist (only the fields the file gives; audited)")
    .option("--json", "machine-readable output")
    .action(async (file: string, _o, cmd: Command) => {
      const o = g(cmd);
      const text = readInput(file);
      const format = formatOf(o.format as string | undefined, file);
      await withRegister(
        o,
        async (reg) => {
          if (process.stderr.isTTY) log(`importing ${file}...`);
          const r = await reg.importText(
            text,
            {
              source: file,
              ...(format ? { format } : {}),
              ...(typeof o.map === "string" ? { map: o.map } : {}),
              dryRun: o.dryRun === true,
              upsert: o.upsert === true,
            },
            { ...resolveActor(o), note: `import${o.upsert ? " --upsert" : ""} from ${file}` },
          );
          if (o.json) return printJson(r);
          const few = (keys: string[]) => `${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", ..." : ""}`;
          const created = `${r.created} incident(s)${r.created ? ` (${few(r.keys)})` : ""}`;
          const updated = o.upsert
            ? `, ${r.updated} updated${r.updated ? ` (${few(r.updatedKeys)})` : ""}, ${r.unchanged} unchanged`
            : "";
          out(
            r.dryRun
              ? `dry run: ${created} would be imported${updated.replace(/updated/, "would be updated")}; nothing was written`
              : `imported ${created}${updated}`,
          );
        },
        { create: true },
      );
    });
}

/** `incident key-pattern`: show or set the team key pattern (register setting shared by CLI and API). */
function registerKeyPattern(inc: Command, g: OptionsOf): void {
  inc
    .command("key-pattern [pattern]")
    .description(
      "show or set the pattern of the team's own incident keys, e.g. 'SEC-\\d{4,}' (IR-YYYY-NNNN is always accepted)",
    )
    .option("--clear", "remove the pattern (only IR-YYYY-NNNN keys are accepted)")
    .option("--json", "machine-readable output")
    .action(async (pattern: string | undefined, _o, cmd: Command) => {
      const o = g(cmd);
      if (pattern !== undefined && o.clear)
        throw new TechtrailError("VALIDATION", "give a pattern or --clear, not both");
      const change = pattern !== undefined || o.clear === true;
      await withRegister(
        o,
        async (reg) => {
          if (change) await reg.setKeyPattern(o.clear ? undefined : pattern);
          const now = await reg.keyPattern();
          if (o.json) return printJson({ keyPattern: now ?? null });
          out(
            now
              ? `incident keys: IR-YYYY-NNNN or ${now} (matched whole, ignoring case)`
              : "incident keys: IR-YYYY-NNNN only (no team key pattern)",
          );
        },
        { create: change },
      );
    });
}

/** `incident export`: export incidents as JSON or CSV (re-importable as is). */
function registerExport(inc: Command, g: OptionsOf): void {
  addFilterOptions(
    inc
      .command("export")
      .description("export incidents as JSON or CSV (re-importable as is)")
      .option("--format <format>", "json or csv", undefined)
      .option("--out <file>", "write to a file (atomically) instead of stdout")
      .option("--json", "print a JSON summary when writing to --out"),
  ).action(async (_o, cmd: Command) => {
    const o = g(cmd);
    const format = formatOf(o.format as string | undefined, o.out as string | undefined) ?? "json";
    await withRegister(o, async (reg) => {
      const { text, count } = await reg.exportText(format, listQuery(o));
      if (typeof o.out !== "string") return process.stdout.write(text);
      await writeOutput(o.out, text);
      if (o.json) return printJson({ file: o.out, format, count });
      out(`exported ${count} incident(s) to ${o.out}`);
    });
  });
}

/** `incident remap`: move technique tags to a catalog release, following revoked → replacement. */
function registerRemap(inc: Command, g: OptionsOf): void {
  inc
    .command("remap")
    .description("move technique tags to a catalog release, following revoked → replacement")
    .requiredOption("--to <version>", "target catalog version (a release in catalog/releases or the built-in one)")
    .option("--dry-run", "show the changes, change nothing")
    .option("--json", "machine-readable output")
    .action(async (_o, cmd: Command) => {
      const o = g(cmd);
      await withRegister(o, async (reg) => {
        const r = await reg.remap(String(o.to), { dryRun: o.dryRun === true }, resolveActor(o));
        if (o.json) return printJson(r);
        if (!r.changes.length) out(`nothing to remap to ${r.toVersion}`);
        else
          out(
            table(
              ["incident", "from", "to", "from version", "merged"],
              r.changes.map((c) => [c.key, c.from, c.to, c.fromVersion, c.merged ? "yes" : ""]),
            ),
          );
        for (const u of r.unresolved)
          log(`techtrail: ${u.key}: ${u.id} (${u.fromVersion}) has no replacement in ${r.toVersion}`);
        out(
          `${r.dryRun ? "dry run: would change" : "changed"} ${r.changes.length} tag(s) in ${r.incidents} incident(s)`,
        );
      });
    });
}

/** `incident attach`: scan CloudTrail files and add the findings as evidence to an incident. */
function registerAttach(inc: Command, g: OptionsOf): void {
  inc
    .command("attach <key> <paths...>")
    .description("scan CloudTrail files and add the findings as evidence to an incident")
    .option("--json", "machine-readable output")
    .action(async (key: string, paths: string[], _o, cmd: Command) => {
      const o = g(cmd);
      const { scanPaths } = await import("../../scan/index.js");
      await withRegister(o, async (reg) => {
        // findings are not kept: the summary counts them, the evidence sample is what gets attached
        const { summary, evidence } = await scanPaths(paths, {}, { catalog: reg.catalog, onFindings: () => undefined });
        const r = await reg.attach(key, evidence, resolveActor(o));
        const n = summary.findings.total;
        if (o.json)
          return printJson({
            incident: r.incident,
            findings: n,
            attached: evidence.length,
            unknownTechniques: r.unknown,
          });
        out(
          `${r.incident.key}: ${n} finding(s), ${evidence.length} attached as evidence (the earliest per technique); techniques ${r.incident.techniques.map((t) => t.id).join(", ") || "none"}`,
        );
        if (r.unknown.length) log(`techtrail: techniques not in the catalog were skipped: ${r.unknown.join(", ")}`);
      });
    });
}
