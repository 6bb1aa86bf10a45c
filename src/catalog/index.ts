// `techtrail/catalog`: the threat-technique catalog (load, search, diff, release, Navigator layers, STIX 2.1).
// Pure data and file reading: no store, scan engine or server.
export { Catalog, type CatalogStats, compareIds, normaliseEventQuery } from "./catalog.js";
export {
  type CatalogDiff,
  diffCatalogs,
  diffToJson,
  isEmptyDiff,
  renderDiffMarkdown,
  renderDiffText,
  revocationMap,
} from "./diff.js";
export { catalogFolderFiles, techniqueYaml } from "./folder.js";
export { buildNavigatorLayers, type LayerOptions, NavigatorLayer, parseScores } from "./layer.js";
export {
  listReleases,
  loadBuiltinCatalog,
  loadCatalogDir,
  loadReleaseFile,
  openCatalogRef,
  parseRelease,
} from "./load.js";
export * from "./model.js";
export { createRelease, serializeRelease } from "./release.js";
export { CatalogSearchIndex, type SearchHit, searchCatalog } from "./search.js";
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
} from "./stix.js";
