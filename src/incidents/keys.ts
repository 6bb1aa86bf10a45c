// Team keys and updates by key. A register always accepts techtrail's own keys (IR-2026-0042, the form the
// store assigns to records without a key); its key pattern, a register setting, adds the form of the team's
// ticket IDs (SEC-1234). `incident import --upsert` updates the incidents whose keys already exist: only the
// fields the record gives change (a sheet with five columns leaves the other fields alone).
import { z } from "zod";
import { TechtrailError } from "../core/errors.js";
import { INCIDENT_KEY_RE, type Incident, KEY_SHAPE_RE, NewIncident, TIMELINE_FIELDS } from "./model.js";

const MAX_PATTERN = 200;

/** The anchored, case-insensitive expression of a key pattern (keys are upper-cased before they are matched). */
export function compileKeyPattern(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`, "iu");
}

/**
 * A key pattern as an administrator types it: a regular expression for the whole key (anchors are implied),
 * e.g. `SEC-\d{4,}` or `(SEC|OPS)-\d+`. It must compile and must not accept the empty key.
 */
export const KeyPattern = z
  .string()
  .trim()
  .min(1, "the key pattern is empty")
  .max(MAX_PATTERN, `at most ${MAX_PATTERN} characters`)
  .superRefine((p, ctx) => {
    let re: RegExp;
    try {
      re = compileKeyPattern(p);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: `not a regular expression: ${(e as Error).message}` });
      return;
    }
    if (re.test("")) ctx.addIssue({ code: "custom", message: "the pattern accepts an empty key" });
  });

/** `IR-YYYY-NNNN` plus the team's pattern, for messages. */
export function expectedKeys(pattern: string | undefined): string {
  return pattern ? `a key matching ${pattern} or IR-YYYY-NNNN` : "IR-YYYY-NNNN (no team key pattern is set)";
}

/** Why a (normalised, upper-case) key is not accepted by a register with this pattern; undefined when it is. */
export function keyProblem(key: string, pattern: string | undefined): string | undefined {
  if (INCIDENT_KEY_RE.test(key)) return undefined;
  if (pattern && compileKeyPattern(pattern).test(key)) {
    if (KEY_SHAPE_RE.test(key)) return undefined;
    return `key ${key} matches ${pattern} but keys may only hold letters, digits, - _ . (at most 40)`;
  }
  return `key ${key} does not match the register's key pattern: expected ${expectedKeys(pattern)}`;
}

/** Throws VALIDATION naming every explicit key of `inputs` the pattern does not accept. */
export function checkKeys(inputs: ReadonlyArray<{ key?: string | undefined }>, pattern: string | undefined): void {
  const problems = inputs.flatMap((i) => {
    const p = i.key === undefined ? undefined : keyProblem(i.key, pattern);
    return p ? [{ field: "key", message: p }] : [];
  });
  if (problems.length)
    throw new TechtrailError(
      "VALIDATION",
      problems.length === 1 ? (problems[0]?.message ?? "bad key") : `${problems.length} keys not accepted`,
      { problems },
    );
}

/** Content fields an upsert can change (`timeline.x` per timeline field); key and bookkeeping times never change. */
export const UPSERT_FIELDS: readonly string[] = Object.keys(NewIncident.shape).flatMap((f) =>
  f === "timeline"
    ? TIMELINE_FIELDS.map((t) => `timeline.${t}`)
    : ["key", "createdAt", "updatedAt"].includes(f)
      ? []
      : [f],
);
const UPSERTABLE = new Set<string>(UPSERT_FIELDS);

/** The upsertable fields a raw record gives (JSON object keys; timeline per sub-field). */
export function fieldsOfRecord(raw: unknown): string[] {
  if (typeof raw !== "object" || raw === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (k === "timeline" && typeof v === "object" && v !== null)
      for (const t of Object.keys(v)) out.push(`timeline.${t}`);
    else out.push(k);
  }
  return out.filter((f) => UPSERTABLE.has(f));
}

/**
 * The incident after an upsert: the record's value for every field it gives (a given but empty value clears
 * the field), the stored value for every other. `fields` undefined means every content field. The result is
 * not validated here: the store parses it (timeline order, closed status) inside the transaction.
 */
export function mergeRecord(
  current: Incident,
  record: NewIncident,
  fields: readonly string[] | undefined,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...current, timeline: { ...current.timeline } };
  const timeline = next.timeline as Record<string, unknown>;
  const rec = record as Record<string, unknown>;
  for (const f of fields ?? UPSERT_FIELDS) {
    if (!UPSERTABLE.has(f)) continue;
    const [head, sub] = f.split(".") as [string, string | undefined];
    const value = sub ? (record.timeline as Record<string, unknown>)[sub] : rec[head];
    const target = sub ? timeline : next;
    const name = sub ?? head;
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
  // Reopening, as `incident edit` does: a status other than closed clears the closed time unless it is given.
  const given = new Set(fields ?? UPSERT_FIELDS);
  if (given.has("status") && record.status !== "closed" && !given.has("timeline.closed")) delete timeline.closed;
  return next;
}
