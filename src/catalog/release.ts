// Catalog releases: a release freezes the whole catalog (tactics, techniques, mitigations, data
// sources) with its version and date into one JSON file, so later versions can be diffed against it.
import { TechtrailError } from "../core/errors.js";
import type { Catalog } from "./catalog.js";
import { CATALOG_VERSION_RE, RELEASE_FORMAT, type ReleaseFile } from "./model.js";

export function createRelease(catalog: Catalog, version: string, date: string): ReleaseFile {
  if (!CATALOG_VERSION_RE.test(version))
    throw new TechtrailError(
      "VALIDATION",
      `bad release version ${JSON.stringify(version)}: expected YYYY.MM or YYYY.MM.N`,
    );
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    throw new TechtrailError("VALIDATION", `bad release date ${date}: expected YYYY-MM-DD`);
  // The version is the catalog's own: a release named otherwise would freeze data under the wrong label.
  if (version !== catalog.meta.version)
    throw new TechtrailError(
      "VALIDATION",
      `release version ${version} does not match the catalog's version ${catalog.meta.version}: set version: "${version}" in catalog.yaml first, or release ${catalog.meta.version}`,
      {
        problems: [
          { source: "catalog.yaml", field: "version", message: `expected ${version}, found ${catalog.meta.version}` },
        ],
      },
    );
  const d = catalog.data;
  return {
    format: RELEASE_FORMAT,
    catalog: {
      meta: { ...d.meta, version },
      released: date,
      tactics: d.tactics,
      dataSources: d.dataSources,
      mitigations: d.mitigations,
      techniques: [...catalog.techniques],
    },
  };
}

export function serializeRelease(r: ReleaseFile): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
