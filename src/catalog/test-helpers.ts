// Small in-memory catalogs for unit tests (so tests do not depend on the shipped content).
import { Catalog } from "./catalog.js";
import type { CatalogData, TechniqueInput } from "./model.js";
import { Technique } from "./model.js";

export function tech(id: string, extra: Partial<TechniqueInput> = {}): TechniqueInput {
  const parent = id.includes(".") ? id.split(".")[0] : undefined;
  return {
    id,
    name: `Technique ${id}`,
    description: `Description of ${id}.`,
    tactics: ["TA0005"],
    ...(parent ? { parent } : {}),
    aliases: [`alias of ${id}`, "second alias", "third alias"],
    detection: "Look at CloudTrail.",
    dataSources: ["cloudtrail-management"],
    mitigations: [{ id: "M1018", how: "Least privilege." }],
    created: "2026-01-01",
    modified: "2026-01-01",
    ...extra,
  };
}

export function miniCatalogData(techniques: TechniqueInput[], version = "2026.01"): CatalogData {
  return {
    meta: { name: "test catalog", version, description: "test" },
    tactics: [
      { id: "TA0005", shortname: "defense-evasion", name: "Defense Evasion", description: "evade" },
      { id: "TA0040", shortname: "impact", name: "Impact", description: "impact" },
      { id: "TA0006", shortname: "credential-access", name: "Credential Access", description: "creds" },
    ],
    dataSources: [{ id: "cloudtrail-management", name: "CloudTrail", description: "mgmt events" }],
    mitigations: [{ id: "M1018", name: "User Account Management", description: "least privilege" }],
    techniques: techniques.map((t) => Technique.parse(t)),
  };
}

export function miniCatalog(techniques: TechniqueInput[], version = "2026.01"): Catalog {
  return new Catalog(miniCatalogData(techniques, version));
}
