// Controls and counterfactuals: what a mitigation does to a technique (prevents, detects, limits) and under
// which conditions, and which controls a team has deployed since when. One zod schema per type; the catalog's
// effects file (catalog/mitigation-effects.yaml) and a team's controls file (controls.yaml) share EffectRule.
import { z } from "zod";
import { IsoDate, MitigationId, TechniqueId } from "../catalog/model.js";

/**
 * The credential an intruder used to get in. Root MFA stops a stolen root password but not a root access
 * key, and short-lived credentials change nothing for a console password: the counterfactuals need it.
 */
export const CredentialType = z.enum([
  "root-password",
  "root-access-key",
  "iam-user-password",
  "iam-user-access-key",
  "role-session",
  "federated-session",
  "none",
  "other",
]);
export type CredentialType = z.infer<typeof CredentialType>;

/** The coarse way in an incident records as `initialAccess` (effect rules may narrow on it). */
export const InitialAccessVector = z.enum([
  "leaked-access-key",
  "compromised-console-credentials",
  "compromised-sso-identity",
  "exploited-public-application",
  "misconfigured-resource",
  "third-party-compromise",
  "malicious-package",
  "insider",
  "unknown",
  "other",
]);
export type InitialAccessVector = z.infer<typeof InitialAccessVector>;

/**
 * prevents: the technique cannot succeed (an incident whose initial access it is would not have happened);
 * detects: it would have been noticed within `within` of its first sign;
 * limits: its effect is cut off `within` after it starts (a session expires, a quota or budget stops it).
 */
export const ControlEffect = z.enum(["prevents", "detects", "limits"]);
export type ControlEffect = z.infer<typeof ControlEffect>;

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { m: 60, min: 60, h: 3600, d: 86_400, w: 604_800 };

/** `15m`, `4h`, `2d`, `1w` as seconds. */
export function durationSeconds(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNIT_SECONDS[m[2] as string] ?? 0));
}

export const Duration = z.string().refine((s) => durationSeconds(s) !== undefined, {
  message: "expected a duration like 15m, 4h, 2d or 1w",
});

/** When a rule applies; every listed condition must hold (each list is any-of). */
export const EffectCondition = z
  .strictObject({
    /** The incident's credential type is one of these. */
    credential: z.array(CredentialType).min(1).optional(),
    /** The incident's initial-access technique is one of these (or a sub-technique of one). */
    initialAccess: z.array(TechniqueId).min(1).optional(),
    /** The incident's coarse way in (its `initialAccess` vector) is one of these: a leaked key, not an insider's. */
    vector: z
      .array(InitialAccessVector.exclude(["unknown"]))
      .min(1)
      .optional(),
    /** The incident has at least one of these techniques (or a sub-technique): the fact the control acts on. */
    has: z.array(TechniqueId).min(1).optional(),
    /** The incident has none of these techniques: a step that defeats the effect (persistence that outlives a session). */
    lacks: z.array(TechniqueId).min(1).optional(),
  })
  .refine((c) => Object.values(c).some((v) => v !== undefined), {
    message: "a condition names credential, initialAccess, vector, has and/or lacks",
  });
export type EffectCondition = z.infer<typeof EffectCondition>;

/** What a control does to one technique, under conditions, and why (shown as the deciding rule). */
export const EffectRule = z
  .strictObject({
    /** The technique (a parent ID also covers its sub-techniques). */
    technique: TechniqueId,
    effect: ControlEffect,
    /** detects: noticed within this long after the technique's first sign; limits: cut off after this long. */
    within: Duration.optional(),
    when: EffectCondition.optional(),
    why: z.string().trim().min(1, "say why the control has this effect"),
  })
  .superRefine((r, ctx) => {
    if (r.effect !== "prevents" && r.within === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["within"],
        message: `a ${r.effect} rule needs within (how soon it ${r.effect === "detects" ? "detects" : "cuts the activity off"}, e.g. 4h)`,
      });
    if (r.effect === "prevents" && r.within !== undefined)
      ctx.addIssue({ code: "custom", path: ["within"], message: "a prevents rule takes no within" });
  });
export type EffectRule = z.infer<typeof EffectRule>;

/** catalog/mitigation-effects.yaml: per mitigation, its effect on the techniques it addresses. */
export const MitigationEffects = z.array(
  z.strictObject({
    mitigation: MitigationId,
    effects: z.array(EffectRule).min(1),
  }),
);
export type MitigationEffects = z.infer<typeof MitigationEffects>;

/** `2026-02-30` matches the pattern but is no day. */
function realDate(d: string): boolean {
  const ms = Date.parse(`${d}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === d;
}

/** One control a team has in place. */
export const DeployedControl = z.strictObject({
  /** A catalog mitigation ID (M1032, AM0009). */
  control: MitigationId,
  /** In place from this day on (UTC). */
  since: IsoDate.refine((d) => realDate(d), {
    message: "expected a real date YYYY-MM-DD",
  }),
  /** Only part of the control is in place: its rules apply to these techniques only. */
  techniques: z.array(TechniqueId).min(1).optional(),
  /** The team's own rules for this control, added to the catalog's. */
  effects: z.array(EffectRule).default([]),
  note: z.string().optional(),
});
export type DeployedControl = z.infer<typeof DeployedControl>;

/** A team's deployed-controls inventory (controls.yaml). */
export const ControlsInventory = z.strictObject({
  team: z.string().trim().min(1, "name the team whose controls these are"),
  controls: z.array(DeployedControl).default([]),
});
export type ControlsInventory = z.infer<typeof ControlsInventory>;
export type ControlsInventoryInput = z.input<typeof ControlsInventory>;

/** The team's controls file kept in the register (set from the API or the web UI), as written and who saved it. */
export const StoredControls = z.object({
  /** The controls.yaml text, checked against the catalog when it was saved and each time it is read. */
  text: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type StoredControls = z.infer<typeof StoredControls>;
