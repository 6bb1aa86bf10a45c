// Sigma rule engine for CloudTrail (pure, no I/O): compile rule text to matchers, index rules by eventName,
// and resolve rule tags to catalog techniques. See docs/rules.md for the supported Sigma subset.

export { type ConditionNode, expandOfPattern, parseCondition } from "./condition.js";
export {
  describeRule,
  findRule,
  levelRank,
  matchesRuleFilter,
  RuleFilter,
  RuleInfo,
  RuleKind,
  RuleOrigin,
  sortRuleInfos,
} from "./library.js";
export { formatLintProblem, LINT_CHECKS, LintCheck, LintProblem, lintRules, MAX_TITLE_LENGTH } from "./lint.js";
export { fieldGetter, type PatternToken, tokenizePattern } from "./matchers.js";
export {
  CloudTrailRecord,
  type CompiledRule,
  RuleTestsFile,
  SIGMA_LEVELS,
  SigmaDetection,
  SigmaFieldMap,
  SigmaLevel,
  SigmaLogsource,
  SigmaRuleDoc,
  SigmaScalar,
  SigmaSearchIdentifier,
  type ValueFilter,
} from "./model.js";
export { resolveRuleTechniques } from "./resolve.js";
export { RuleIndex } from "./rule-index.js";
export { compileSigmaRule, compileSigmaRules, correlationMessage } from "./sigma.js";
export { type ParsedTags, parseTags } from "./tags.js";
export {
  type ParsedRuleTests,
  parseRuleTests,
  type RuleTestContext,
  RuleTestResult,
  RuleTestStatus,
  runRuleTests,
  type TestableRule,
  testsFileName,
} from "./testing.js";
