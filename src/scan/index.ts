// `techtrail/scan`: the scan engine's public surface. scanPaths() with its options, hooks and result; the
// finding and summary types; the output formats; rule loading, baselines and suppressions for scans. The
// engine's parts (readers, splitters, pre-filter, worker pool, aggregation, hit dictionaries) stay internal
// and may change between versions.
export type { FindingsSink } from "./aggregate.js";
export { type BaselineBuild, buildBaseline, loadBaseline } from "./baseline.js";
export { csvHeader, type FindingGroup, FindingGroups, findingCsv, findingJsonl, findingRow } from "./format.js";
export {
  Finding,
  FindingRule,
  Origin,
  PrincipalTimeline,
  RuleProblem,
  ScanOptions,
  type ScanProgress,
  ScanSummary,
  SkipExample,
  SkipReason,
  TechniqueSeen,
  TimelineEntry,
} from "./model.js";
export {
  makeWindow,
  parseListOption,
  parseWindowTime,
  ScanWindow,
  type ScanWindowInput,
} from "./prune.js";
export { type RuleFolders, RuleSetCache } from "./rule-cache.js";
export { BUILTIN_RULES_DIR } from "./rule-files.js";
export {
  lintRuleLibrary,
  loadRuleLibrary,
  type RuleLibrary,
  type RuleLibraryOptions,
  testRuleLibrary,
} from "./rule-library.js";
export { isS3Url, parseS3Url, type S3Location, S3Settings } from "./s3-settings.js";
export { type ExternalEngine, type FindingList, type ScanHooks, type ScanResult, scanPaths } from "./scan.js";
export {
  loadSuppressions,
  parseSuppressions,
  SuppressionEntry,
  SuppressionFile,
  type SuppressionHit,
  type Suppressor,
} from "./suppress.js";
