// Public library API of techtrail. Everything a program may use is exported from here.

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
export * from "./core/errors.js";
