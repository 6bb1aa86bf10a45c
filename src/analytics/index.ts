// Incident analytics over the store (SQLite or PostgreSQL, same SQL): frequency, trend, co-occurrence,
// tactic paths, actor profiles and matching, response timing and detection-source mix, mitigation impact.
export { actorProfiles, jaccard, matchIncidentToActors, weightedJaccard } from "./actors.js";
export {
  ControlDecision,
  ControlImpact,
  ControlOutcome,
  type ControlsOptions,
  ControlsResult,
  controlsImpact,
  humanSeconds,
  ruleText,
} from "./controls.js";
export { countPairs, techniqueCooccurrence } from "./cooccurrence.js";
export { techniqueFrequency, techniqueSeverityCounts } from "./frequency.js";
export { mitigationImpact } from "./mitigations.js";
export * from "./model.js";
export { tacticPath, tacticPaths } from "./paths.js";
export { type AnalyticsSource, quantile } from "./query.js";
export { durationStats, formatDuration, responseTiming } from "./timing.js";
export { techniqueTrend } from "./trend.js";
