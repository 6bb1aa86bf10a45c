// The answer key of a generated scenario corpus (answer-key.json beside the logs): which scenarios were played,
// where and when, the attacker's first foothold, what was hit, and every step with its catalog technique and the
// exact CloudTrail events it produced. Workshops score answers against it; the detection regression test checks
// scan findings against it.
import { z } from "zod";

const IsoTime = z.iso.datetime({ offset: false });

export const OUTPUT_FORMATS = ["s3", "jsonl"] as const;
export const OutputFormat = z.enum(OUTPUT_FORMATS);
export type OutputFormat = z.infer<typeof OutputFormat>;

/** How the corpus was generated: the same values (and generator version) give byte-identical output. */
export const GeneratorSettings = z.strictObject({
  scenarios: z.array(z.string()),
  seed: z.number().int().nonnegative(),
  accounts: z.number().int().positive(),
  days: z.number().int().positive(),
  /** Background (benign) events per day, over all accounts. */
  background: z.number().int().nonnegative(),
  format: OutputFormat,
  start: IsoTime,
  end: IsoTime,
});
export type GeneratorSettings = z.infer<typeof GeneratorSettings>;

/** One attacker step as it was played. */
export const AnswerStep = z.strictObject({
  id: z.string(),
  title: z.string(),
  /** Catalog technique ID. */
  technique: z.string(),
  /** Catalog tactic ID the step serves. */
  tactic: z.string(),
  /** False for steps that leave no CloudTrail management or data event (e.g. reading instance metadata). */
  cloudtrailVisible: z.boolean(),
  start: IsoTime,
  end: IsoTime,
  /** eventID of every CloudTrail record the step produced, in time order. */
  eventIds: z.array(z.string()),
  /** Distinct events as `service:EventName` (e.g. `iam:CreateUser`), in first-seen order. */
  eventNames: z.array(z.string()),
  principals: z.array(z.string()),
  accessKeyIds: z.array(z.string()),
  sourceIps: z.array(z.string()),
  /** The branch taken at this step, when the scenario branches here. */
  branch: z.string().optional(),
});
export type AnswerStep = z.infer<typeof AnswerStep>;

export const AnswerScenario = z.strictObject({
  name: z.string(),
  title: z.string(),
  account: z.string(),
  /** The region the attacker worked in (the scenario's home region, or the branch's). */
  region: z.string(),
  window: z.strictObject({ start: IsoTime, end: IsoTime }),
  initialAccess: z.strictObject({
    principalArn: z.string(),
    accessKeyId: z.string().optional(),
    sourceIp: z.string(),
    eventId: z.string(),
    time: IsoTime,
  }),
  /** ARNs (or names when AWS gives none) of what the attacker deleted, encrypted, took, or created. */
  impact: z.strictObject({
    deleted: z.array(z.string()),
    encrypted: z.array(z.string()),
    exfiltrated: z.array(z.string()),
    created: z.array(z.string()),
  }),
  /** The last moment containment would have prevented the impact: just before the first impact event. */
  containBy: IsoTime,
  steps: z.array(AnswerStep),
});
export type AnswerScenario = z.infer<typeof AnswerScenario>;

export const AnswerKey = z.strictObject({
  version: z.literal(1),
  generator: GeneratorSettings,
  scenarios: z.array(AnswerScenario),
});
export type AnswerKey = z.infer<typeof AnswerKey>;

export const ANSWER_KEY_FILE = "answer-key.json";
