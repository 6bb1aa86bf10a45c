// Public library API of techtrail. The root holds the domain: errors, the catalog, incidents and their
// register, analytics, playbooks and coverage. It loads no database driver, HTTP server or chart library;
// those live behind the subpath exports `techtrail/catalog`, `techtrail/rules`, `techtrail/scan`,
// `techtrail/store` and `techtrail/server` (see package.json "exports"), each loading only what it needs.

export * from "./analytics/index.js";
export {
  Catalog,
  type CatalogStats,
  compareIds,
  listReleases,
  loadBuiltinCatalog,
  loadCatalogDir,
  loadReleaseFile,
  openCatalogRef,
  type SearchHit,
  searchCatalog,
} from "./catalog/index.js";
export * from "./catalog/model.js";
export * from "./core/errors.js";
export {
  CoverageResult,
  CoverageScores,
  computeCoverage,
  coverageFromStore,
  coverageLayers,
  DetectorFinding,
  deployedRules,
  detectorTypesOn,
  TechniqueCoverage,
} from "./coverage/coverage.js";
export {
  BUILTIN_PROFILES_DIR,
  builtinProfileNames,
  loadProfile,
  MonitoringProfile,
  MonitoringProfileDoc,
  parseProfile,
  SecurityHubStandard,
} from "./coverage/profile.js";
export {
  BUILTIN_MAPPINGS_DIR,
  DetectorId,
  type DetectorMapping,
  DetectorMappings,
  loadDetectorMappings,
  MappingEntry,
  MappingFileDoc,
  parseMappingFile,
} from "./detectors/mapping.js";
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
export {
  type FieldChanges,
  IncidentRegister,
  type ListQuery,
  type RemapChange,
  type RemapResult,
  type TagRequest,
} from "./register/register.js";
