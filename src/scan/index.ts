// Scan engine: CloudTrail readers (S3 delivery trees, JSON Lines, arrays, stdin), pre-filter, worker pool,
// findings and summary. scanPaths() is the entry point.
export type { FindingsSink } from "./aggregate.js";
export { type BaselineBuild, buildBaseline, loadBaseline } from "./baseline.js";
export { type CorrelationSummary, sourceNetworkOf } from "./correlate.js";
export { detectFormat, type InputFormat } from "./engine.js";
export {
  CSV_COLUMNS,
  csvHeader,
  type FindingGroup,
  FindingGroups,
  findingCsv,
  findingJsonl,
  findingRow,
  GROUP_LIMIT,
} from "./format.js";
export { DICT_LIMIT } from "./hits.js";
export * from "./model.js";
export { BUILTIN_RULES_DIR, readRuleFiles } from "./rule-files.js";
export {
  lintRuleLibrary,
  loadRuleLibrary,
  type RuleLibrary,
  type RuleLibraryOptions,
  testRuleLibrary,
} from "./rule-library.js";
export {
  compareFindings,
  type FindingList,
  resolveScanOptions,
  type ScanHooks,
  type ScanResult,
  scanPaths,
} from "./scan.js";
export { principalOf } from "./summary.js";
export {
  loadSuppressions,
  parseSuppressions,
  SuppressionEntry,
  SuppressionFile,
  type SuppressionHit,
  Suppressor,
} from "./suppress.js";
