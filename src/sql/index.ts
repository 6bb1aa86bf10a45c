// Rules as SQL: the rule IR (ir.ts), its dialects (DuckDB, Trino/Athena, CloudTrail Lake) and compileRules().
export {
  type CompiledQuery,
  type CompileOptions,
  type CompileResult,
  combinedQuery,
  compileRules,
  ruleCondition,
  type UnsupportedRule,
} from "./compile.js";
export {
  DIALECTS,
  type DialectName,
  duckdbColumnFields,
  duckdbFieldColumns,
  type FieldLists,
  type ListVariant,
  sqlString,
  Unsupported,
} from "./dialects.js";
export { type Expr, fieldsOf, type Pred, type RuleIR, ruleIR } from "./ir.js";
