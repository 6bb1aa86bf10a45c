// Validation of exported STIX objects with the zod schemas of @mitre-attack/attack-data-model
// (devDependency), shared by the unit and end-to-end STIX tests.
import assert from "node:assert/strict";
import {
  collectionSchema,
  extensionDefinitionSchema,
  identitySchema,
  markingDefinitionSchema,
  matrixSchema,
  mitigationSchema,
  relationshipSchema,
  tacticSchema,
  techniqueSchema,
} from "@mitre-attack/attack-data-model";
import { TECHNIQUE_ID_RE } from "../src/catalog/model.js";
import type { StixObject } from "../src/catalog/stix.js";

// Schemas of @mitre-attack/attack-data-model, per STIX type.
const ADM: Record<
  string,
  { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } } }
> = {
  "x-mitre-collection": collectionSchema,
  identity: identitySchema,
  "marking-definition": markingDefinitionSchema,
  "extension-definition": extensionDefinitionSchema,
  "x-mitre-matrix": matrixSchema,
  "x-mitre-tactic": tacticSchema,
  "attack-pattern": techniqueSchema,
  "course-of-action": mitigationSchema,
  relationship: relationshipSchema,
};
const MITRE_IDENTITY = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5";

/**
 * Validates one exported object with the ATT&CK data model. Two deviations are allowed, and only
 * these (any other issue fails the test):
 * - the ADM's ID regexes know only ATT&CK IDs (T####, T####.###, M####), so an object whose first
 *   external_id is an AWS-format ID (T1078.A001, AT1023, AM0003) is re-checked with a valid
 *   placeholder ID;
 * - the ADM pins `x_mitre_modified_by_ref` to MITRE's own identity (required on tactics, matrices,
 *   mitigations, relationships); techtrail does not claim MITRE modified its objects, so the field is
 *   absent and the copy gets MITRE's identity.
 * Returns which deviations were needed.
 */
export function admValidate(o: StixObject): { patchedId: boolean; patchedModifiedBy: boolean } {
  const schema = ADM[o.type];
  assert.ok(schema, `no ADM schema for ${o.type}`);
  const res = schema.safeParse(o);
  if (res.success) return { patchedId: false, patchedModifiedBy: false };
  const issues = res.error?.issues ?? [];
  const firstId = (o.external_references as Array<{ external_id?: string }> | undefined)?.[0]?.external_id ?? "";
  const awsId = TECHNIQUE_ID_RE.test(firstId) && !/^T\d{4}(\.\d{3})?$/.test(firstId);
  const awsMitigation = /^AM\d{4}$/.test(firstId);
  let patchedId = false;
  let patchedModifiedBy = false;
  for (const i of issues) {
    const path = i.path.join(".");
    if (path === "external_references.0.external_id" && (awsId || awsMitigation)) patchedId = true;
    else if (path === "x_mitre_modified_by_ref" && o.x_mitre_modified_by_ref === undefined) patchedModifiedBy = true;
    else assert.fail(`${o.type} ${o.id}: ADM issue at ${path}: ${i.message}`);
  }
  const copy = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  if (patchedId) {
    const refs = copy.external_references as Array<{ external_id: string }>;
    const ref = refs[0];
    if (ref)
      ref.external_id = o.type === "course-of-action" ? "M9999" : copy.x_mitre_is_subtechnique ? "T9999.999" : "T9999";
  }
  if (patchedModifiedBy) copy.x_mitre_modified_by_ref = MITRE_IDENTITY;
  const again = schema.safeParse(copy);
  assert.ok(
    again.success,
    `${o.id} still invalid after the documented patches: ${JSON.stringify(again.error?.issues)}`,
  );
  return { patchedId, patchedModifiedBy };
}
