// The scenario generator's public surface: options, the sink that receives the CloudTrail records, and the
// functions that play scenario packs inside seeded background activity. Output is a pure function of the
// options: the same options give byte-identical records, file names and answer key.
import { z } from "zod";
import { TechtrailError, zodProblems } from "../core/errors.js";
import type { AnswerKey } from "./answer-key.js";
import { OutputFormat } from "./answer-key.js";

/** Default first moment of a corpus (fixed, so that output does not depend on the clock). */
export const DEFAULT_START = "2026-11-02T00:00:00Z";

export const GenerateOptions = z.strictObject({
  /** Scenario names (scenarios/<name>.yaml); may be empty for background only. */
  scenarios: z.array(z.string()).default([]),
  seed: z.number().int().nonnegative().default(1),
  accounts: z.number().int().positive().max(1000).default(1),
  days: z.number().int().positive().max(3660).default(1),
  /** Background (benign) events per day over all accounts. */
  background: z.number().int().nonnegative().default(10_000),
  format: OutputFormat.default("s3"),
  start: z.iso.datetime({ offset: false }).default(DEFAULT_START),
  /** Folder of scenario packs; default: the shipped scenarios/. */
  scenarioDir: z.string().optional(),
});
export type GenerateOptions = z.input<typeof GenerateOptions>;
export type ResolvedGenerateOptions = z.output<typeof GenerateOptions>;

/**
 * The records of one 5-minute delivery period, in time order over all accounts and regions:
 * `records[i]` is one serialized CloudTrail record of account `accounts[accountIndex[i]]` in region
 * `regions[regionIndex[i]]`.
 */
export interface PeriodBatch {
  /** Epoch milliseconds of the period's start (a multiple of 5 minutes). */
  start: number;
  records: string[];
  accountIndex: number[];
  regionIndex: number[];
}

/** Receives the corpus period by period (S3 delivery tree, JSON Lines file, a scanner, a counter...). */
export interface CorpusSink {
  /** Called once before the first batch with the account IDs and regions the indexes refer to. */
  open?(accounts: readonly string[], regions: readonly string[]): void | Promise<void>;
  /** A batch; the generator reuses nothing of it after the call returns (or its promise settles). */
  write(batch: PeriodBatch): void | Promise<void>;
  close?(): void | Promise<void>;
}

export function resolveGenerateOptions(input: GenerateOptions): ResolvedGenerateOptions {
  const r = GenerateOptions.safeParse(input);
  if (!r.success)
    throw new TechtrailError("VALIDATION", "invalid scenario generator options", {
      problems: zodProblems(r.error.issues, "options"),
    });
  return r.data;
}

/** What a generation produced. */
export interface GenerateResult {
  answerKey: AnswerKey;
  /** CloudTrail records written (background and scenarios). */
  events: number;
  /** Of which, records of scenario steps. */
  scenarioEvents: number;
}

/**
 * Plays the named scenario packs inside seeded background activity and streams every record to `sink`, period by
 * period; returns the answer key. Unknown scenario names are refused with the list of known ones.
 */
export async function generateScenarios(options: GenerateOptions, sink: CorpusSink): Promise<GenerateResult> {
  const resolved = resolveGenerateOptions(options);
  void sink;
  // The engine lands in the next commit of issue 16; the signature is fixed so that workshops can build on it.
  throw new TechtrailError("UNSUPPORTED", `the scenario generator is not available yet (${resolved.scenarios.length})`);
}

/**
 * Writes a corpus into `outDir`: the S3 delivery tree (`AWSLogs/<account>/CloudTrail/<region>/yyyy/mm/dd/*.json.gz`,
 * one file per account, region and 5-minute period) or `events.jsonl`, and `answer-key.json`.
 */
export async function writeScenarioCorpus(options: GenerateOptions, outDir: string): Promise<GenerateResult> {
  void outDir;
  return generateScenarios(options, { write() {} });
}
