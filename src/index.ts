// Public library API of techtrail. Everything a program may use is exported from here.

export { Catalog, type CatalogStats, compareIds, normaliseEventQuery } from "./catalog/catalog.js";
export {
  listReleases,
  loadBuiltinCatalog,
  loadCatalogDir,
  loadReleaseFile,
  parseRelease,
} from "./catalog/load.js";
export * from "./catalog/model.js";
export { CatalogSearchIndex, type SearchHit, searchCatalog } from "./catalog/search.js";
export * from "./core/errors.js";
