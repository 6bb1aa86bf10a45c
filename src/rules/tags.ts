// Sigma tag parsing. Namespaces: `attack.tNNNN[.NNN]` → ATT&CK technique, `attack.<tactic>` → tactic short
// name, `techtrail.<catalog id>` → techtrail catalog technique (e.g. techtrail.t1078.a001 → T1078.A001).
import { TECHNIQUE_ID_RE } from "../catalog/model.js";

export interface ParsedTags {
  techniqueRefs: string[];
  catalogRefs: string[];
  attackRefs: string[];
  tacticRefs: string[];
  /** Malformed `techtrail.*` tags: index into the tag list and message. */
  problems: Array<{ index: number; message: string }>;
}

export function parseTags(tags: readonly string[]): ParsedTags {
  const out: ParsedTags = { techniqueRefs: [], catalogRefs: [], attackRefs: [], tacticRefs: [], problems: [] };
  const add = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  tags.forEach((raw, index) => {
    const tag = raw.trim().toLowerCase();
    const dot = tag.indexOf(".");
    if (dot < 0) return;
    const ns = tag.slice(0, dot);
    const rest = tag.slice(dot + 1);
    if (ns === "techtrail") {
      const id = rest.toUpperCase();
      if (!TECHNIQUE_ID_RE.test(id)) {
        out.problems.push({
          index,
          message: `tag '${raw}' is not a catalog technique tag (expected techtrail.<id> like techtrail.t1078.a001)`,
        });
        return;
      }
      add(out.catalogRefs, id);
      add(out.techniqueRefs, id);
    } else if (ns === "attack") {
      const id = rest.toUpperCase();
      if (/^t\d{4}/.test(rest)) {
        if (TECHNIQUE_ID_RE.test(id)) {
          add(out.attackRefs, id);
          add(out.techniqueRefs, id);
        }
      } else if (/^[a-z][a-z_-]*$/.test(rest)) {
        // Letters only: tactics. Groups/software (attack.g0016, attack.s0002) carry digits and are ignored.
        add(out.tacticRefs, rest.replace(/_/g, "-"));
      }
    }
  });
  return out;
}
