// Data types of the scan engine, each a zod schema with its inferred type: findings (one event × rule
// pair), skipped-record reports, the scan summary, and the options accepted by scanPaths().
import { z } from "zod";
import { ActorIndicators, IndicatorType } from "../core/indicators.js";
import { DetectorSource, DetectorSummary } from "../detectors/model.js";
import { Baseline } from "../rules/first-seen.js";
import { SigmaLevel } from "../rules/index.js";
import { ScanWindow } from "./prune.js";
import { S3Settings } from "./s3-settings.js";

/** Where an event came from: file path ("-" for stdin) and line (JSON Lines) or index (arrays, Records). */
export const Origin = z.strictObject({
  file: z.string(),
  line: z.number().int().positive().optional(),
  index: z.number().int().nonnegative().optional(),
});
export type Origin = z.infer<typeof Origin>;

export const FindingRule = z.strictObject({ id: z.string(), title: z.string(), level: SigmaLevel });
export type FindingRule = z.infer<typeof FindingRule>;

/** One (event, rule) pair. Optional fields are absent when the event does not carry them. */
export const Finding = z.strictObject({
  rule: FindingRule,
  /** Catalog technique IDs the rule's tags resolve to. */
  techniques: z.array(z.string()),
  /** Catalog tactic IDs (from the techniques and the rule's tactic tags). */
  tactics: z.array(z.string()),
  eventID: z.string().optional(),
  eventTime: z.string().optional(),
  eventSource: z.string().optional(),
  eventName: z.string().optional(),
  awsRegion: z.string().optional(),
  sourceIPAddress: z.string().optional(),
  userAgent: z.string().optional(),
  errorCode: z.string().optional(),
  /** True when the call failed (errorCode set): evidence of an attempt, not of success. */
  attempt: z.boolean(),
  /** userIdentity.arn, else the session issuer's ARN. */
  principalArn: z.string().optional(),
  accessKeyId: z.string().optional(),
  /** recipientAccountId, else userIdentity.accountId. */
  accountId: z.string().optional(),
  origin: Origin,
  /**
   * Set on findings of correlation and first_seen rules: the finding's own fields are those of the event that
   * completed the condition; this says what was correlated.
   */
  correlation: z
    .strictObject({
      type: z.string(),
      /** Group-by field → value (first_seen: the new combination). */
      group: z.record(z.string(), z.string()),
      /** Events in the window (event_count, value_count) or rules seen (temporal, temporal_ordered). */
      count: z.number().int().nonnegative(),
      /** value_count: distinct values of the counted field. */
      distinct: z.number().int().nonnegative().optional(),
      firstTime: z.string(),
      lastTime: z.string(),
      rules: z.array(z.string()),
      /** A few contributing events. */
      evidence: z.array(
        z.strictObject({ eventTime: z.string().optional(), eventName: z.string().optional(), origin: Origin }),
      ),
    })
    .optional(),
  /** Set only on suppressed findings passed on with `showSuppressed`: the suppression entry that matched. */
  suppressed: z.strictObject({ index: z.number().int().nonnegative(), reason: z.string() }).optional(),
  /**
   * Set on findings read from an AWS detector (GuardDuty, Security Hub, ...): `rule` is then
   * `<detector>:<type>` with the finding's title and severity, eventID the finding ID, eventName its type,
   * eventTime when the activity was first seen, and `techniques` those the reviewed mapping says it detects.
   */
  detector: DetectorSource.optional(),
  /** Known actors whose indicator (source IP or network, user agent, access key, account) the finding matches. */
  actors: z
    .array(
      z.strictObject({
        id: z.string(),
        name: z.string(),
        indicator: z.strictObject({ type: IndicatorType, value: z.string() }),
      }),
    )
    .optional(),
});
export type Finding = z.infer<typeof Finding>;

export const SKIP_REASONS = [
  "not-json", // a line or record that does not parse as JSON
  "not-cloudtrail", // JSON that is not a CloudTrail record (not an object, or no eventName/eventSource)
  "too-large", // a record longer than maxRecordBytes
  "truncated", // gzip or JSON document ending early (records after the cut are lost)
  "unreadable", // a file that cannot be opened or read
  "unknown-format", // a file whose content is not JSON
] as const;
export const SkipReason = z.enum(SKIP_REASONS);
export type SkipReason = z.infer<typeof SkipReason>;

/** One skipped record or file, with its location. */
export const SkipExample = z.strictObject({
  reason: SkipReason,
  file: z.string(),
  line: z.number().int().positive().optional(),
  index: z.number().int().nonnegative().optional(),
  message: z.string(),
});
export type SkipExample = z.infer<typeof SkipExample>;

export const RuleProblem = z.strictObject({
  code: z.string(),
  message: z.string(),
  source: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
  field: z.string().optional(),
});
export type RuleProblem = z.infer<typeof RuleProblem>;

export const TechniqueSeen = z.strictObject({
  id: z.string(),
  name: z.string().optional(),
  tactics: z.array(z.string()),
  findings: z.number().int().nonnegative(),
  /** Findings of failed calls only (attempts). */
  attempts: z.number().int().nonnegative(),
  firstSeen: z.string().optional(),
  lastSeen: z.string().optional(),
  principals: z.array(z.string()),
  rules: z.array(z.string()),
});
export type TechniqueSeen = z.infer<typeof TechniqueSeen>;

export const TimelineEntry = z.strictObject({
  eventTime: z.string().optional(),
  eventName: z.string().optional(),
  ruleId: z.string(),
  level: SigmaLevel,
  techniques: z.array(z.string()),
  attempt: z.boolean(),
  origin: Origin,
  /** The detector, on entries of detector findings (their eventName is the finding type). */
  detector: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

export const PrincipalTimeline = z.strictObject({
  principal: z.string(),
  findings: z.number().int().nonnegative(),
  firstSeen: z.string().optional(),
  lastSeen: z.string().optional(),
  techniques: z.array(z.string()),
  /** Findings in time order, at most `timelineLimit` of them. */
  timeline: z.array(TimelineEntry),
  /** Findings left out of `timeline` by the limit. */
  omitted: z.number().int().nonnegative(),
});
export type PrincipalTimeline = z.infer<typeof PrincipalTimeline>;

/** The engine that produced a scan's findings (`scan --engine`), and the rules each engine ran. */
export const EngineInfo = z.strictObject({
  requested: z.enum(["js", "duckdb", "auto"]),
  used: z.enum(["js", "duckdb"]),
  /** Why `used` (for auto: the rule that chose it). */
  reason: z.string(),
  /** Rules evaluated by DuckDB SQL. */
  sqlRules: z.number().int().nonnegative(),
  /** Rules (and correlations) evaluated by the JS engine. */
  jsRules: z.number().int().nonnegative(),
  /** Rules DuckDB cannot express, with the construct (they ran in JS). */
  notExpressible: z.array(z.strictObject({ rule: z.string(), construct: z.string() })),
});
export type EngineInfo = z.infer<typeof EngineInfo>;

export const ScanSummary = z.strictObject({
  inputs: z.array(z.string()),
  events: z.strictObject({
    /** Records read (lines, array elements), including skipped ones and those the pre-filter passed over. */
    read: z.number().int(),
    /** Records fully parsed and evaluated (the rest could not match any rule). */
    evaluated: z.number().int(),
    /** Events with at least one finding. */
    matched: z.number().int(),
  }),
  skipped: z.strictObject({
    total: z.number().int(),
    byReason: z.record(z.string(), z.number().int()),
    /** The first few skipped records/files with their location. */
    examples: z.array(SkipExample),
  }),
  files: z.strictObject({
    /** Files (or S3 objects) opened. */
    scanned: z.number().int(),
    skipped: z.number().int(),
    /** Bytes read, decompressed. */
    bytes: z.number(),
    /** Bytes of the files opened as stored (compressed size on disk or in S3; absent for stdin-only scans). */
    stored: z.number().optional(),
  }),
  rules: z.strictObject({
    loaded: z.number().int(),
    failed: z.number().int(),
    errors: z.array(RuleProblem),
    /** Technique tags that name no catalog technique, per rule ID. */
    unknownTechniques: z.record(z.string(), z.array(z.string())),
  }),
  findings: z.strictObject({
    total: z.number().int(),
    attempts: z.number().int(),
    byLevel: z.record(z.string(), z.number().int()),
    byRule: z.record(z.string(), z.number().int()),
    /** The minimum level asked for (option `minLevel`): findings below it are counted here only. */
    minLevel: SigmaLevel.optional(),
    belowMinLevel: z.number().int().nonnegative().optional(),
  }),
  techniques: z.array(TechniqueSeen),
  /** Findings hidden by a suppression file (scan --suppress), counted per entry (index in the file, 0-based). */
  suppressed: z.strictObject({
    total: z.number().int().nonnegative(),
    byEntry: z.array(
      z.strictObject({ index: z.number().int().nonnegative(), reason: z.string(), count: z.number().int() }),
    ),
  }),
  tactics: z.array(z.strictObject({ id: z.string(), name: z.string().optional(), findings: z.number().int() })),
  /** At most 1,000 principals, the first met; findings of any further principal are counted here. */
  principals: z.array(PrincipalTimeline),
  /** Correlation and first_seen rules: what they read, what arrived too late, what was capped. */
  correlations: z
    .strictObject({
      rules: z.number().int(),
      events: z.number().int(),
      late: z.number().int(),
      untimed: z.number().int(),
      ungrouped: z.number().int(),
      evictedByCap: z.number().int(),
      peakGroups: z.number().int(),
      reorderWindowMs: z.number(),
      firstSeenOverflow: z.record(z.string(), z.number().int()),
      findings: z.number().int(),
      warnings: z.array(z.string()),
    })
    .optional(),
  unlistedPrincipalFindings: z.number().int().nonnegative().optional(),
  /** Findings read from AWS detectors (GuardDuty, Security Hub, ...), when any detector file was given. */
  detectors: DetectorSummary.optional(),
  /** The scan window (--from/--to/--accounts/--regions): what it pruned by name and what it left out by content. */
  window: z
    .strictObject({
      from: z.string().optional(),
      to: z.string().optional(),
      accounts: z.array(z.string()).optional(),
      regions: z.array(z.string()).optional(),
      /** Folders (S3 prefixes) and files (objects) never listed or opened: outside by their layout names. */
      prunedFolders: z.number().int(),
      prunedFiles: z.number().int(),
      /** Events read and found outside the window (not evaluated). */
      outsideEvents: z.number().int(),
    })
    .optional(),
  /**
   * Present when some input could not be read whole (unreadable or denied file/object, truncated gzip): the
   * findings cover only what was read. Never absent for such a scan, so it cannot pass for a clean one.
   */
  partial: z
    .strictObject({
      files: z.number().int(),
      byReason: z.record(z.string(), z.number().int()),
    })
    .optional(),
  engine: EngineInfo.optional(),
  /** With actor indicators (option `actors`): findings that matched one, per actor and indicator. */
  actors: z
    .strictObject({
      /** Findings that matched at least one indicator. */
      findings: z.number().int().nonnegative(),
      /** Indicators the scan looked for (ASN indicators cannot match CloudTrail and are not counted). */
      indicators: z.number().int().nonnegative(),
      actors: z.array(
        z.strictObject({
          id: z.string(),
          name: z.string(),
          findings: z.number().int().nonnegative(),
          indicators: z.array(
            z.strictObject({ type: z.string(), value: z.string(), findings: z.number().int().nonnegative() }),
          ),
        }),
      ),
    })
    .optional(),
  workers: z.number().int(),
  /** Wall time of the whole call, including loading the catalog and compiling rules. */
  durationMs: z.number(),
  /** Wall time of reading and matching only (from the first unit dispatched to the last result). */
  scanMs: z.number(),
  /** events.read / durationMs. */
  eventsPerSecond: z.number(),
  /** events.read / scanMs: the throughput once rules are compiled and workers are ready. */
  scanEventsPerSecond: z.number(),
});
export type ScanSummary = z.infer<typeof ScanSummary>;

export const ScanOptions = z.strictObject({
  /** Extra rule folders (recursive *.yml / *.yaml, excluding *.tests.yaml). */
  ruleDirs: z.array(z.string()).default([]),
  /** Rules given as text (used by the server and tests). */
  ruleTexts: z.array(z.strictObject({ text: z.string(), source: z.string() })).default([]),
  builtinRules: z.boolean().default(true),
  /** Worker threads; 0 scans in the calling thread. Default: number of cores. */
  workers: z.number().int().min(0).max(64).optional(),
  /** Skip records no rule can match without parsing them (off: parse every record; same findings, slower). */
  prefilter: z.boolean().default(true),
  /** Stop at the first problem (rule error, skipped record or file). */
  strict: z.boolean().default(false),
  /** Records longer than this are skipped as too-large (bounded memory). */
  maxRecordBytes: z
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** Plain JSON Lines files larger than this are split into chunks scanned in parallel. */
  chunkBytes: z
    .number()
    .int()
    .min(4096)
    .default(32 * 1024 * 1024),
  /** Entries kept per principal in the summary timeline. */
  timelineLimit: z.number().int().min(0).default(100),
  /**
   * Findings of rules below this Sigma level (informational < low < medium < high < critical) are counted in
   * the summary (`findings.belowMinLevel`) and nothing else: not passed on, not summarised.
   */
  minLevel: SigmaLevel.optional(),
  /** Findings kept per technique as evidence for a draft incident (the earliest ones). */
  evidencePerTechnique: z.number().int().min(0).max(10_000).default(20),
  /** Examples of skipped records kept in the summary. */
  skipExamples: z.number().int().min(0).default(20),
  /**
   * Correlations: how far behind the newest event time a matched event may arrive and still be correlated
   * (ms; default 1 h). Later events are counted in the summary as late.
   */
  reorderWindowMs: z.number().int().min(0).default(3_600_000),
  /** ...and keeps at least this many of the latest matched events, whatever their times. */
  reorderMinEvents: z.number().int().min(0).default(50_000),
  /** first_seen rules: combinations already seen (from `techtrail baseline build`). */
  baseline: Baseline.optional(),
  /** Only events inside this window are evaluated; delivery-layout folders and files outside it are not read. */
  window: ScanWindow.optional(),
  /** S3 client settings for `s3://` inputs. */
  s3: S3Settings.optional(),
  /** Known actors' indicators: matching findings are marked (`actors`) and counted in the summary. */
  actors: z.array(ActorIndicators).default([]),
});
export type ScanOptions = z.input<typeof ScanOptions>;
export type ResolvedScanOptions = z.infer<typeof ScanOptions>;

/** Progress snapshot, reported while scanning. */
export interface ScanProgress {
  filesDone: number;
  filesTotal: number;
  events: number;
  findings: number;
  bytes: number;
  elapsedMs: number;
}
