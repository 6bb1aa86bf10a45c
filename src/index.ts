// Public library API of techtrail. Everything a program may use is exported from here.

export * from "./analytics/index.js";
export { AuthStore, type AuthStoreOptions, openAuthStore, TOKEN_PREFIX } from "./auth/auth-store.js";
export * from "./auth/model.js";
export { generatePassword, hashPassword, verifyPassword } from "./auth/password.js";
export { Catalog, type CatalogStats, compareIds, normaliseEventQuery } from "./catalog/catalog.js";
export {
  type CatalogDiff,
  diffCatalogs,
  diffToJson,
  isEmptyDiff,
  renderDiffMarkdown,
  renderDiffText,
  revocationMap,
} from "./catalog/diff.js";
export { catalogFolderFiles, techniqueYaml } from "./catalog/folder.js";
export { buildNavigatorLayers, type LayerOptions, NavigatorLayer, parseScores } from "./catalog/layer.js";
export {
  listReleases,
  loadBuiltinCatalog,
  loadCatalogDir,
  loadReleaseFile,
  openCatalogRef,
  parseRelease,
} from "./catalog/load.js";
export * from "./catalog/model.js";
export { createRelease, serializeRelease } from "./catalog/release.js";
export { CatalogSearchIndex, type SearchHit, searchCatalog } from "./catalog/search.js";
export {
  ATTACK_SPEC_VERSION,
  exportStix,
  formatImportReport,
  ImportConflict,
  ImportReport,
  ImportSkip,
  importStix,
  parseStixJson,
  StixBundle,
  serializeStix,
  stixToCatalog,
  TECHTRAIL_EXTENSION_ID,
  TECHTRAIL_IDENTITY_ID,
  TECHTRAIL_STIX_NAMESPACE,
  uuidv5,
} from "./catalog/stix.js";
export * from "./core/errors.js";
export {
  CoverageResult,
  CoverageScores,
  computeCoverage,
  coverageFromStore,
  coverageLayers,
  deployedRules,
  TechniqueCoverage,
} from "./coverage/coverage.js";
export {
  BUILTIN_PROFILES_DIR,
  builtinProfileNames,
  loadProfile,
  MonitoringProfile,
  MonitoringProfileDoc,
  parseProfile,
} from "./coverage/profile.js";
export {
  ACTORS as DEMO_ACTORS,
  DEMO_NOW,
  type DemoOptions,
  generateDemoIncidents,
  SCENARIOS as DEMO_SCENARIOS,
} from "./incidents/demo.js";
export { draftFromFindings, type FindingLike, findingRef, mergeFindings } from "./incidents/evidence.js";
export {
  COLUMNS as INCIDENT_CSV_COLUMNS,
  EXPORT_FORMAT as INCIDENT_EXPORT_FORMAT,
  type FileFormat as IncidentFileFormat,
  parseColumnMap,
  parseIncidentFile,
  serialiseIncidents,
} from "./incidents/io.js";
export {
  AccountId,
  AuditAction,
  AuditEntry,
  ChangeContext,
  Confidence,
  DetectionSource,
  FindingRef,
  formatIncidentKey,
  ImpactCategory,
  Incident,
  type IncidentInput,
  IncidentKey,
  IncidentStatus,
  IncidentSummary,
  InitialAccessVector,
  incidentDate,
  NewIncident,
  type NewIncidentInput,
  normaliseName,
  normaliseTimestamp,
  parseIncidentKey,
  Severity,
  TechniqueTag,
  Timeline as IncidentTimeline,
} from "./incidents/model.js";
export {
  checkNewIncident,
  requireTechniqueRef,
  resolveTechniqueRef,
  type TechniqueResolution,
  validateNewIncident,
} from "./incidents/validate.js";
export { GapRow, GapStatus, GapsResult, playbookGaps, ResponseGap, trendFactor } from "./playbooks/gaps.js";
export {
  BUILTIN_PLAYBOOKS_DIR,
  coveredTechniques,
  loadPlaybooks,
  PHASES,
  Playbook,
  PlaybookMeta,
  type PlaybookRegistry,
  PlaybookStatus,
  parsePlaybook,
  playbooksFor,
  requirePlaybook,
} from "./playbooks/playbooks.js";
export { escapeHtml, type ReportFormat, renderHtml, renderMarkdown, renderReport } from "./report/render.js";
export { buildReport, ReportData, type ReportOptions, ReportPeriod, reportPeriod } from "./report/report.js";
export {
  CloudTrailRecord,
  type CompiledRule,
  compileSigmaRule,
  compileSigmaRules,
  correlationMessage,
  describeRule,
  findRule,
  matchesRuleFilter,
  type ParsedTags,
  parseRuleTests,
  parseTags,
  RuleFilter,
  RuleIndex,
  RuleInfo,
  RuleOrigin,
  RuleTestResult,
  RuleTestsFile,
  resolveRuleTechniques,
  runRuleTests,
  SigmaRuleDoc,
  sortRuleInfos,
  type TestableRule,
  testsFileName,
  type ValueFilter,
} from "./rules/index.js";
export {
  CSV_COLUMNS,
  compareFindings,
  csvHeader,
  detectFormat,
  Finding,
  FindingRule,
  findingCsv,
  findingJsonl,
  findingRow,
  type InputFormat,
  loadRuleLibrary,
  Origin as FindingOrigin,
  PrincipalTimeline,
  principalOf,
  type RuleLibrary,
  RuleProblem,
  readRuleFiles,
  type ScanHooks,
  ScanOptions,
  type ScanProgress,
  type ScanResult,
  ScanSummary,
  SkipExample,
  SkipReason,
  scanPaths,
  TechniqueSeen,
  TimelineEntry,
  testRuleLibrary,
} from "./scan/index.js";
export { type AppOptions, createApp, DEFAULT_LIMITS } from "./server/app.js";
export { openApiDocument } from "./server/openapi.js";
export { DEFAULT_HOST, DEFAULT_PORT, type RunningService, type ServiceOptions, startService } from "./server/serve.js";
export { DEFAULT_DB_FILE, type OpenStoreOptions, openStore, storeTarget } from "./store/open.js";
export { openPostgresStore, type PostgresOptions } from "./store/postgres.js";
export {
  type FieldChanges,
  IncidentRegister,
  type ListQuery,
  type RemapChange,
  type RemapResult,
  type TagRequest,
} from "./store/register.js";
export { SqlStore, type Taxonomy } from "./store/sql-store.js";
export { openSqliteStore, type SqliteOptions } from "./store/sqlite.js";
export {
  type ImportResult,
  IncidentFilter,
  type IncidentFilterInput,
  type IncidentPage,
  type Store,
} from "./store/store.js";
