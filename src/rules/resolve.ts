// Maps a rule's technique tags onto catalog technique IDs (techtrail.* must exist; attack.* may fall back
// to the catalog parent technique).
import type { Catalog } from "../catalog/catalog.js";
import type { CompiledRule } from "./model.js";

export function resolveRuleTechniques(
  rule: Pick<CompiledRule, "catalogRefs" | "attackRefs">,
  catalog: Catalog,
): { techniques: string[]; unknown: string[] } {
  const techniques: string[] = [];
  const unknown: string[] = [];
  const keep = (id: string) => {
    if (!techniques.includes(id)) techniques.push(id);
  };
  for (const ref of rule.catalogRefs) {
    const t = catalog.technique(ref);
    if (t) keep(t.id);
    else if (!unknown.includes(ref)) unknown.push(ref);
  }
  for (const ref of rule.attackRefs) {
    const t =
      catalog.technique(ref) ?? (ref.includes(".") ? catalog.technique(ref.split(".")[0] as string) : undefined);
    if (t) keep(t.id);
    else if (!unknown.includes(ref)) unknown.push(ref);
  }
  return { techniques, unknown };
}
