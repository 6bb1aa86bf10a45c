// The incident register, the application layer shared by the CLI and the web server: add, edit, close, tag,
// delete, list, import/export, remap, evidence from scans. Each operation is validated against the catalog and
// executed as one audited store transaction; the store below it only persists.
import type { Catalog } from "../catalog/catalog.js";
import { compareIds } from "../catalog/catalog.js";
import { revocationMap } from "../catalog/diff.js";
import { BUILTIN_RELEASES_DIR, listReleases, loadReleaseFile } from "../catalog/load.js";
import { loadControlsInventory, parseControlsInventory } from "../controls/load.js";
import type { ControlsInventory, StoredControls } from "../controls/model.js";
import { type Problem, TechtrailError, zodProblems } from "../core/errors.js";
import { type DemoOptions, demoActors, generateDemoIncidents } from "../incidents/demo.js";
import {
  draftFromFindings,
  type FindingLike,
  type FindingTotals,
  mergeFindings,
  withFindingContext,
} from "../incidents/evidence.js";
import {
  COLUMNS,
  type Column,
  type FileFormat,
  fromFlat,
  type ParseOptions,
  type RecordInfo,
  serialiseIncidents,
  splitList,
  toFlat,
} from "../incidents/io.js";
import {
  type AuditEntry,
  type ChangeContext,
  CONFIDENCE_RANK,
  type Confidence,
  canonicalTimestamp,
  Incident,
  type IncidentStatus,
  normaliseTimestamp,
  type TechniqueTag,
  TechniqueTag as TechniqueTagSchema,
} from "../incidents/model.js";
import { readIncidentFileParallel } from "../incidents/parallel.js";
import { catalogProblems, requireTechniqueRef, validateNewIncident } from "../incidents/validate.js";
import type { ImportResult, IncidentFilterInput, IncidentPage, Store } from "../store/store.js";

/** How located errors name the controls file kept in the register. */
export const STORED_CONTROLS_SOURCE = "controls.yaml";

/** How a report or analysis names the controls file kept in the register. */
export const KEPT_CONTROLS_LABEL = "controls.yaml (kept in the register)";

/**
 * The team's deployed-controls inventory for an analysis: the given controls file (named `name`, default its
 * path), else the controls.yaml kept in the register, else none. The CLI and the service use the same order.
 */
export async function teamControls(
  store: Store,
  catalog: Catalog,
  file?: { path: string; name?: string },
): Promise<{ inventory: ControlsInventory; source: string } | undefined> {
  if (file) return { inventory: loadControlsInventory(file.path, catalog), source: file.name ?? file.path };
  const kept = await new IncidentRegister(store, catalog).storedControls();
  return kept ? { inventory: kept.inventory, source: KEPT_CONTROLS_LABEL } : undefined;
}

/** Filters as a person gives them: technique and tactic references are expanded through the catalog. */
export interface ListQuery extends Omit<IncidentFilterInput, "techniques" | "since" | "until"> {
  /** Technique IDs or phrases; a parent also matches its sub-techniques. Any of them matches. */
  technique?: string[];
  /** Tactic IDs, short names or names; any technique of any of them matches. */
  tactic?: string[];
  /** Incident date from (inclusive), a date or time. */
  from?: string;
  /** Incident date to (inclusive for a whole day when only a date is given). */
  to?: string;
}

export interface FieldChanges {
  /** Column → new value (`""` clears). Column names as in CSV (`detected`, `threat_actor`, ...). */
  set?: Partial<Record<Column, string>>;
  /** Values appended to list columns (tags, accounts, regions, services, resources, playbooks, impact). */
  add?: Array<[Column, string]>;
  remove?: Array<[Column, string]>;
}

export interface TagRequest {
  /** A technique ID (phrases must be resolved first, see resolveTechniqueRef). */
  id: string;
  confidence?: Confidence;
  evidence?: string;
  firstSeen?: string;
}

/** An actor whose indicators a scan's findings matched (the scan summary's `actors.actors` entries). */
export interface MatchedActor {
  id: string;
  name: string;
  findings: number;
  indicators: ReadonlyArray<{ type: string; value: string; findings?: number }>;
}

/** The confidence of an attribution made from an indicator match alone. */
export const SCAN_ATTRIBUTION_CONFIDENCE: Confidence = "possible";

/** What `createFromFindings` did about the actors the scan matched: linked the only one, or left several. */
export interface ScanAttribution {
  linked?: MatchedActor;
  confidence?: Confidence;
  /** Several matched actors: none is linked; a responder picks one with `actor link`. */
  candidates: MatchedActor[];
}

export interface RemapChange {
  key: string;
  from: string;
  to: string;
  fromVersion: string;
  merged: boolean;
}

export interface RemapResult {
  toVersion: string;
  changes: RemapChange[];
  incidents: number;
  /** Tags whose technique is gone from the target catalog without a replacement. */
  unresolved: Array<{ key: string; id: string; fromVersion: string }>;
  dryRun: boolean;
}

const READ_ONLY_COLUMNS = new Set<Column>(["key", "created_at", "updated_at", "techniques", "technique_details"]);

function dayAfter(date: string): string {
  return canonicalTimestamp(Date.parse(`${date}T00:00:00Z`) + 86_400_000);
}

export class IncidentRegister {
  constructor(
    readonly store: Store,
    readonly catalog: Catalog,
  ) {
    store.setTaxonomy((id) => catalog.technique(id)?.tactics ?? []);
  }

  /** Validates and stores a new incident (techniques must exist and not be revoked). */
  async add(input: unknown, ctx: ChangeContext): Promise<Incident> {
    return this.store.create(validateNewIncident(input, this.catalog, { allowRevoked: false }), ctx);
  }

  /** The team key pattern (besides IR-YYYY-NNNN); undefined when only techtrail's own keys are accepted. */
  keyPattern(): Promise<string | undefined> {
    return this.store.keyPattern();
  }

  /** Sets or (undefined) removes the team key pattern; keys already stored stay as they are. */
  setKeyPattern(pattern: string | undefined): Promise<void> {
    return this.store.setKeyPattern(pattern);
  }

  /**
   * The team's controls file kept in the register, checked against the catalog (a catalog upgrade can make a
   * saved file name a control that no longer exists: that is a located error, not a silent drop).
   */
  async storedControls(): Promise<{ stored: StoredControls; inventory: ControlsInventory } | undefined> {
    const stored = await this.store.storedControls();
    if (!stored) return undefined;
    return { stored, inventory: parseControlsInventory(stored.text, STORED_CONTROLS_SOURCE, this.catalog) };
  }

  /**
   * Checks a controls file (controls.yaml text) against the catalog and keeps it in the register; every problem
   * is reported at its line and column. Undefined removes it.
   */
  async setStoredControls(
    text: string | undefined,
    ctx: ChangeContext,
  ): Promise<{ stored: StoredControls; inventory: ControlsInventory } | undefined> {
    if (text === undefined) {
      await this.store.setStoredControls(undefined, ctx);
      return undefined;
    }
    const inventory = parseControlsInventory(text, STORED_CONTROLS_SOURCE, this.catalog);
    const stored = await this.store.setStoredControls(text, ctx);
    if (!stored) throw new TechtrailError("INTERNAL", "the controls file was not kept");
    return { stored, inventory };
  }

  show(key: string): Promise<Incident> {
    return this.store.require(key);
  }

  history(key: string): Promise<AuditEntry[]> {
    return this.store.history(key);
  }

  delete(key: string, ctx: ChangeContext): Promise<Incident> {
    return this.store.delete(key, ctx);
  }

  /** Changes fields by column name; reopening a closed incident clears its closed time. */
  async edit(
    key: string,
    changes: FieldChanges,
    ctx: ChangeContext,
  ): Promise<{ incident: Incident; changed: boolean }> {
    const touched = [
      ...Object.keys(changes.set ?? {}),
      ...(changes.add ?? []).map(([c]) => c),
      ...(changes.remove ?? []).map(([c]) => c),
    ];
    const problems: Problem[] = [];
    for (const c of touched) {
      if (!(COLUMNS as readonly string[]).includes(c))
        problems.push({ field: c, message: `unknown field (fields: ${COLUMNS.join(", ")})` });
      else if (READ_ONLY_COLUMNS.has(c as Column))
        problems.push({
          field: c,
          message: c.startsWith("technique") ? "use `incident tag` to change techniques" : "cannot be changed",
        });
    }
    for (const [c] of [...(changes.add ?? []), ...(changes.remove ?? [])])
      if (!["tags", "accounts", "regions", "services", "resources", "playbooks", "impact"].includes(c))
        problems.push({ field: c, message: "only list fields take --add/--remove" });
    if (problems.length) throw new TechtrailError("VALIDATION", "invalid edit", { problems });
    return this.store.update(
      key,
      (current) => {
        const flat: Record<Column, string> = toFlat(current);
        for (const [c, v] of Object.entries(changes.set ?? {})) flat[c as Column] = v ?? "";
        for (const [c, v] of changes.add ?? []) {
          const list = splitList(c, flat[c]);
          for (const x of splitList(c, v)) if (!list.includes(x)) list.push(x);
          flat[c] = list.join("; ");
        }
        for (const [c, v] of changes.remove ?? []) {
          const drop = new Set(splitList(c, v).map((x) => x.toLowerCase()));
          flat[c] = splitList(c, flat[c])
            .filter((x) => !drop.has(x.toLowerCase()))
            .join("; ");
        }
        if (
          changes.set?.status !== undefined &&
          changes.set.status.trim().toLowerCase() !== "closed" &&
          !changes.set.closed
        )
          flat.closed = "";
        return this.rebuild(current, flat);
      },
      ctx,
    );
  }

  private rebuild(current: Incident, flat: Record<Column, string>): Incident {
    const { raw, problems } = fromFlat(flat);
    if (problems.length) throw new TechtrailError("VALIDATION", `invalid change to ${current.key}`, { problems });
    const res = Incident.safeParse({
      ...raw,
      key: current.key,
      createdAt: current.createdAt,
      updatedAt: current.updatedAt,
    });
    if (!res.success)
      throw new TechtrailError("VALIDATION", `invalid change to ${current.key}`, {
        problems: zodProblems(res.error.issues),
      });
    return res.data;
  }

  /** Closes an incident: status closed, timeline.closed (default now), optional lessons learned. */
  async close(
    key: string,
    opts: { at?: string; recovered?: string; lessons?: string },
    ctx: ChangeContext,
  ): Promise<{ incident: Incident; changed: boolean }> {
    return this.store.update(
      key,
      (i) => {
        if (i.status === "closed")
          throw new TechtrailError("CONFLICT", `${i.key} is already closed (${i.timeline.closed})`);
        const closed = opts.at ?? canonicalTimestamp(Date.now());
        const timeline = { ...i.timeline, closed };
        if (opts.recovered) timeline.recovered = opts.recovered;
        return {
          ...i,
          status: "closed" as IncidentStatus,
          timeline,
          lessonsLearned: opts.lessons ?? i.lessonsLearned,
        };
      },
      ctx,
      "close",
    );
  }

  /** Adds or updates technique tags (or removes them with `remove`). IDs are checked against the catalog. */
  async tag(
    key: string,
    tags: readonly TagRequest[],
    ctx: ChangeContext,
    opts: { remove?: boolean } = {},
  ): Promise<{ incident: Incident; changed: boolean }> {
    const ids = tags.map((t) => requireTechniqueRef(this.catalog, t.id));
    if (!opts.remove) {
      const problems = catalogProblems(
        ids.map((id) => ({ id })),
        this.catalog,
      );
      if (problems.length) throw new TechtrailError("VALIDATION", "cannot tag these techniques", { problems });
    }
    return this.store.update(
      key,
      (i) => {
        if (opts.remove) {
          const missing = ids.filter((id) => !i.techniques.some((t) => t.id === id));
          if (missing.length)
            throw new TechtrailError("NOT_FOUND", `${i.key} is not tagged with ${missing.join(", ")}`);
          return { ...i, techniques: i.techniques.filter((t) => !ids.includes(t.id)) };
        }
        const techniques = [...i.techniques];
        tags.forEach((req, n) => {
          const id = ids[n] as string;
          const existing = techniques.findIndex((t) => t.id === id);
          const base: TechniqueTag =
            existing >= 0
              ? (techniques[existing] as TechniqueTag)
              : { id, catalogVersion: this.catalog.meta.version, confidence: "likely", evidence: "", findings: [] };
          const next: Record<string, unknown> = { ...base };
          if (req.confidence) next.confidence = req.confidence;
          if (req.evidence !== undefined)
            next.evidence = base.evidence && existing >= 0 ? `${base.evidence}\n${req.evidence}` : req.evidence;
          if (req.firstSeen !== undefined) next.firstSeen = req.firstSeen;
          const parsed = TechniqueTagSchema.safeParse(next);
          if (!parsed.success)
            throw new TechtrailError("VALIDATION", `invalid tag ${id}`, {
              problems: zodProblems(parsed.error.issues, undefined, `techniques.${id}`),
            });
          if (existing >= 0) techniques[existing] = parsed.data;
          else techniques.push(parsed.data);
        });
        return { ...i, techniques };
      },
      ctx,
      "tag",
    );
  }

  /** Builds the store filter: technique references and tactics become technique ID groups. */
  filterFor(q: ListQuery): IncidentFilterInput {
    const { technique, tactic, from, to, ...rest } = q;
    const f: IncidentFilterInput = { ...rest };
    if (technique?.length) {
      // A technique with sub-techniques matches its whole family; a leaf matches itself.
      const ids = technique.map((ref) => requireTechniqueRef(this.catalog, ref));
      const isFamily = (id: string) => !id.includes(".") && this.catalog.subtechniques(id).length > 0;
      if (ids.every(isFamily)) f.families = ids;
      else if (!ids.some(isFamily)) f.techniques = [ids];
      else f.techniques = [[...new Set(ids.flatMap((id) => [id, ...this.catalog.subtechniques(id).map((s) => s.id)]))]];
    }
    if (tactic?.length)
      f.tactics = tactic.map((ta) => {
        const found = this.catalog.tactic(ta);
        if (!found)
          throw new TechtrailError("NOT_FOUND", `unknown tactic ${ta}`, {
            problems: [
              {
                field: "tactic",
                message: `known: ${this.catalog.tactics.map((t) => `${t.id} (${t.shortname})`).join(", ")}`,
              },
            ],
          });
        return found.id;
      });
    const ts = (v: string, field: string) => {
      const n = normaliseTimestamp(v);
      if (!n)
        throw new TechtrailError("VALIDATION", `invalid date ${v}`, {
          problems: [{ field, message: "expected a date like 2026-03-31 or a time like 2026-03-31T12:00:00Z" }],
        });
      return n;
    };
    if (from) f.since = ts(from, "from");
    if (to) {
      const t = ts(to, "to");
      f.until = /^\d{4}-\d{2}-\d{2}$/.test(to.trim()) ? dayAfter(to.trim()) : canonicalTimestamp(Date.parse(t) + 1);
    }
    return f;
  }

  async list(q: ListQuery = {}): Promise<IncidentPage> {
    return this.store.list(this.filterFor(q));
  }

  /**
   * Parses, validates and imports a file's text: every record or none. With `upsert`, records whose keys
   * exist update those incidents (only the fields the record gives; one audited `update` each).
   */
  async importText(
    text: string,
    opts: ParseOptions & { dryRun?: boolean; upsert?: boolean },
    ctx: ChangeContext,
  ): Promise<ImportResult> {
    const source = opts.source ?? "input";
    const records = new Map<string, RecordInfo>();
    const keyPattern = await this.store.keyPattern();
    // Validated on a worker thread (big files) while earlier batches are written.
    const reader = readIncidentFileParallel(text, this.catalog, {
      ...opts,
      ...(keyPattern ? { keyPattern } : {}),
      records,
    });
    const where = (key: string, field: string, message: string): Problem => {
      const r = records.get(key);
      const p: Problem = { source, field, message: r ? `record ${r.record}: ${message}` : message };
      if (r?.line !== undefined) p.line = r.line;
      return p;
    };
    try {
      return await this.store.importBatches(reader, ctx, {
        dryRun: opts.dryRun ?? false,
        upsert: opts.upsert ?? false,
        fieldsOf: (key) => records.get(key)?.fields,
      });
    } catch (e) {
      if (!(e instanceof TechtrailError)) throw e;
      // Point duplicate keys at their records in the file.
      if (e.code === "CONFLICT") {
        const conflicts = (e.details as { conflicts?: string[] } | undefined)?.conflicts ?? [];
        const problems = [...new Set(conflicts)]
          .filter((k) => records.has(k))
          .map((k) => where(k, "key", `incident ${k} already exists in the register (use --upsert to update it)`));
        throw new TechtrailError("CONFLICT", `${e.message}; nothing was imported`, {
          problems: problems.length ? problems : e.problems,
        });
      }
      // An update that would leave an invalid incident (e.g. contained before the stored detected time).
      const keys = (e.details as { keys?: string[] } | undefined)?.keys;
      if (e.code === "VALIDATION" && keys)
        throw new TechtrailError("VALIDATION", `${e.message}; nothing was imported`, {
          problems: e.problems.map((p, n) => where(keys[n] ?? "", p.field ?? "key", p.message)),
        });
      throw e;
    }
  }

  async exportText(format: FileFormat, q: ListQuery = {}): Promise<{ text: string; count: number }> {
    const incidents = await this.store.exportAll(this.filterFor(q));
    return { text: serialiseIncidents(incidents, format), count: incidents.length };
  }

  /**
   * Fills the register with the deterministic demo data set (isDemo). Refuses when demo incidents exist
   * unless `replace`, which deletes them first (audited) in the same way a person would.
   */
  async seedDemo(
    opts: DemoOptions & { replace?: boolean },
    ctx: ChangeContext,
  ): Promise<ImportResult & { removed: number; alreadySeeded: boolean }> {
    const existing = await this.store.exportAll({ demo: true });
    const records = generateDemoIncidents(this.catalog, opts).map((r) =>
      validateNewIncident(r, this.catalog, { allowRevoked: false, source: "demo generator" }),
    );
    if (existing.length && !opts.replace) {
      // Seeding again with the same options is a no-op (`npm start` seeds on first start, and the README's
      // `demo seed` must still work after it); a different demo set needs an explicit --replace.
      const fingerprint = (xs: ReadonlyArray<{ title: string; severity: string; timeline: { detected?: string } }>) =>
        JSON.stringify(xs.map((x) => `${x.title}|${x.severity}|${x.timeline.detected ?? ""}`).sort());
      if (fingerprint(existing) === fingerprint(records))
        return {
          created: 0,
          keys: [],
          updated: 0,
          updatedKeys: [],
          unchanged: 0,
          dryRun: false,
          removed: 0,
          alreadySeeded: true,
        };
      throw new TechtrailError(
        "CONFLICT",
        `the register already holds ${existing.length} other demo incident(s); use --replace to regenerate them`,
      );
    }
    for (const i of existing) await this.store.delete(i.key, { ...ctx, note: "demo seed --replace" });
    // The demo actors with their indicators first, so the incidents attribute to them by name.
    for (const a of demoActors())
      if (!(await this.store.getActor(a.name))) await this.store.createActor(a, { ...ctx, note: "demo seed" });
    const res = await this.store.importMany(records, { ...ctx, note: `demo seed (seed ${opts.seed ?? 42})` });
    return { ...res, removed: existing.length, alreadySeeded: false };
  }

  /** Adds scan findings as evidence to an existing incident's technique tags. */
  async attach(
    key: string,
    found: Iterable<FindingLike>,
    ctx: ChangeContext,
  ): Promise<{ incident: Incident; changed: boolean; unknown: string[] }> {
    const findings = [...found];
    let unknown: string[] = [];
    const res = await this.store.update(
      key,
      (i) => {
        const merged = mergeFindings(i.techniques, findings, this.catalog);
        unknown = merged.unknown;
        return withFindingContext({ ...i, techniques: merged.techniques }, findings);
      },
      ctx,
      "attach",
    );
    return { ...res, unknown };
  }

  /** Stores a draft incident whose technique tags carry the findings as evidence. */
  async createFromFindings(
    found: Iterable<FindingLike>,
    opts: { title?: string; source?: string; totals?: FindingTotals; matchedActors?: readonly MatchedActor[] },
    ctx: ChangeContext,
  ): Promise<{ incident: Incident; unknown: string[]; attribution: ScanAttribution }> {
    const findings = [...found];
    if (findings.length === 0)
      throw new TechtrailError("VALIDATION", "the scan produced no findings: there is nothing to make an incident of");
    const { draft, unknown } = draftFromFindings(findings, this.catalog, opts);
    let incident = await this.store.create(validateNewIncident(draft, this.catalog, { allowRevoked: true }), ctx);
    const matched = opts.matchedActors ?? [];
    const only = matched.length === 1 ? matched[0] : undefined;
    if (!only) return { incident, unknown, attribution: { candidates: [...matched] } };
    // One actor's infrastructure in the logs: attributed as `actor link` does (audited on both sides), at the
    // lowest confidence, since shared or rented infrastructure also matches; a responder raises it.
    const note = `scan findings matched its indicators: ${only.indicators.map((i) => `${i.type}:${i.value}`).join(", ")}`;
    ({ incident } = await this.store.linkIncident(incident.key, only.id, SCAN_ATTRIBUTION_CONFIDENCE, {
      ...ctx,
      note,
    }));
    return {
      incident,
      unknown,
      attribution: { linked: only, confidence: SCAN_ATTRIBUTION_CONFIDENCE, candidates: [] },
    };
  }

  /**
   * Moves technique tags to catalog version `toVersion` using the revoked→replacement map between the
   * version each tag was made against and the target. Each changed incident gets one audit row.
   */
  async remap(
    toVersion: string,
    opts: { dryRun?: boolean; releasesDir?: string; catalogs?: Map<string, Catalog> },
    ctx: ChangeContext,
  ): Promise<RemapResult> {
    const dir = opts.releasesDir ?? BUILTIN_RELEASES_DIR;
    const cache = new Map<string, Catalog>(opts.catalogs ?? []);
    cache.set(this.catalog.meta.version, cache.get(this.catalog.meta.version) ?? this.catalog);
    const releases = new Set(listReleases(dir));
    const load = (v: string): Catalog | undefined => {
      const hit = cache.get(v);
      if (hit) return hit;
      if (!releases.has(v)) return undefined;
      const c = loadReleaseFile(`${dir}/${v}.json`);
      cache.set(v, c);
      return c;
    };
    const target = load(toVersion);
    if (!target)
      throw new TechtrailError("NOT_FOUND", `no catalog release ${toVersion}`, {
        problems: [
          {
            field: "--to",
            message: `known versions: ${[...new Set([...releases, ...cache.keys()])].sort().join(", ") || "none"}`,
          },
        ],
      });
    const maps = new Map<string, Map<string, string>>();
    const mapFor = (v: string) => {
      let m = maps.get(v);
      if (!m) {
        const from = load(v);
        m = from ? revocationMap(from, target) : new Map();
        // Techniques revoked inside the target itself also move to their replacement.
        for (const t of target.techniques)
          if (t.status === "revoked" && t.revokedBy) m.set(t.id, m.get(t.id) ?? t.revokedBy);
        maps.set(v, m);
      }
      return m;
    };
    type Plan = { techniques: TechniqueTag[]; changes: RemapChange[]; unresolved: RemapResult["unresolved"] };
    const plan = (inc: Incident): Plan => {
      const p: Plan = { techniques: [], changes: [], unresolved: [] };
      const out = p.techniques;
      for (const t of inc.techniques) {
        if (t.catalogVersion === toVersion && target.technique(t.id)?.status !== "revoked") {
          out.push(t);
          continue;
        }
        let id = t.id;
        const m = mapFor(t.catalogVersion);
        for (let hops = 0; m.has(id) && hops < 10; hops++) id = m.get(id) as string;
        if (!target.technique(id)) {
          p.unresolved.push({ key: inc.key, id: t.id, fromVersion: t.catalogVersion });
          out.push(t);
          continue;
        }
        if (id === t.id) {
          out.push(t);
          continue;
        }
        const other = inc.techniques.find((x) => x.id === id && x !== t);
        const already = out.find((x) => x.id === id);
        p.changes.push({
          key: inc.key,
          from: t.id,
          to: id,
          fromVersion: t.catalogVersion,
          merged: other !== undefined || already !== undefined,
        });
        if (already || other) {
          // Merge into the replacement already tagged: strongest confidence, all evidence.
          const into = already ?? { ...(other as TechniqueTag), findings: [...(other as TechniqueTag).findings] };
          if (CONFIDENCE_RANK[t.confidence] > CONFIDENCE_RANK[into.confidence]) into.confidence = t.confidence;
          if (t.evidence && !into.evidence.includes(t.evidence))
            into.evidence = into.evidence ? `${into.evidence}\n${t.evidence}` : t.evidence;
          for (const f of t.findings)
            if (!into.findings.some((x) => x.eventID === f.eventID && x.ruleId === f.ruleId)) into.findings.push(f);
          if (t.firstSeen && (!into.firstSeen || t.firstSeen < into.firstSeen)) into.firstSeen = t.firstSeen;
          into.catalogVersion = toVersion;
          if (!already) out.push(into);
        } else out.push({ ...t, id, catalogVersion: toVersion });
      }
      // The replacement, when it was tagged itself further down the list, must not appear twice.
      const seen = new Set<string>();
      p.techniques = out.filter((t) => {
        if (seen.has(t.id)) return false;
        seen.add(t.id);
        return true;
      });
      return p;
    };
    const changes: RemapChange[] = [];
    const unresolved: RemapResult["unresolved"] = [];
    let incidents = 0;
    for (const inc of await this.store.exportAll()) {
      const p = plan(inc);
      unresolved.push(...p.unresolved);
      if (p.changes.length === 0) continue;
      incidents++;
      if (opts.dryRun) {
        changes.push(...p.changes);
        continue;
      }
      // Re-plan inside the transaction so a concurrent edit is never overwritten with stale tags.
      let applied: RemapChange[] = [];
      // The initial-access technique must stay one of the tags: it follows its tag to the replacement.
      const entry = p.changes.find((c) => c.from === inc.initialAccessTechnique);
      const moved = [
        ...p.changes.map((c) => `${c.from}→${c.to}`),
        ...(entry ? [`initial access ${entry.from}→${entry.to}`] : []),
      ].join(", ");
      await this.store.update(
        inc.key,
        (i) => {
          const q = plan(i);
          applied = q.changes;
          const e = q.changes.find((c) => c.from === i.initialAccessTechnique);
          return { ...i, techniques: q.techniques, ...(e ? { initialAccessTechnique: e.to } : {}) };
        },
        { ...ctx, note: `remap to catalog ${toVersion}: ${moved}` },
        "remap",
      );
      changes.push(...applied);
    }
    changes.sort((a, b) => a.key.localeCompare(b.key) || compareIds(a.from, b.from));
    return { toVersion, changes, incidents, unresolved, dryRun: opts.dryRun ?? false };
  }
}
