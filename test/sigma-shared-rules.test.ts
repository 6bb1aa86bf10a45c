// End-to-end check of the Sigma engine on third-party data:
// - SigmaHQ AWS CloudTrail rules (../shared/data/sigma-aws-cloudtrail, Detection Rule License 1.1),
// - Invictus AWS CloudTrail dataset (../shared/data/invictus-aws-dataset, MIT),
// - Stratus Red Team detonation logs (../shared/data/stratus-detonation-logs, Apache-2.0).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { type CompiledRule, compileSigmaRules, RuleIndex } from "../src/rules/index.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const shared = sharedPath("data");
const sigmaDir = join(shared, "sigma-aws-cloudtrail");
const skip = skipUnlessShared("data/sigma-aws-cloudtrail", "data/invictus-aws-dataset", "data/stratus-detonation-logs");

function ymlFiles(dir: string): Array<{ text: string; source: string }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yml"))
    .sort()
    .map((f) => ({ source: join(dir, f), text: readFileSync(join(dir, f), "utf8") }));
}

type Event = Record<string, unknown>;
function invictusEvents(): Event[] {
  const dir = join(shared, "invictus-aws-dataset", "CloudTrail");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), "utf8")) as { Records: Event[] }).Records);
}

const compiled = skip ? { rules: [], errors: [] } : compileSigmaRules(ymlFiles(join(sigmaDir, "rules")));
const byFile = (name: string) => compiled.rules.find((r) => r.source.endsWith(`/${name}`)) as CompiledRule;

describe("SigmaHQ CloudTrail rules", { skip }, () => {
  it("compiles all 57 rules without errors", () => {
    assert.deepEqual(
      compiled.errors.map((e) => e.describe()),
      [],
    );
    assert.equal(compiled.rules.length, 57);
    for (const r of compiled.rules) {
      assert.ok(r.title.length > 0);
      assert.ok(r.techniqueRefs.length + r.tacticRefs.length > 0, `${r.source} has no ATT&CK tags`);
    }
  });

  it("runs over the Invictus dataset; the index never hides a matching rule", () => {
    const events = invictusEvents();
    assert.ok(events.length > 2000);
    const index = new RuleIndex(compiled.rules);
    const hits = new Map<string, number>();
    for (const e of events) {
      const candidates = new Set(index.candidates(e.eventName as string | undefined));
      for (const r of compiled.rules) {
        if (!r.match(e)) continue;
        assert.ok(candidates.has(r), `${r.source} matches ${String(e.eventName)} but is not a candidate`);
        hits.set(r.id, (hits.get(r.id) ?? 0) + 1);
      }
    }
    // Cross-check one rule against an independent reading of its detection block.
    const disable = byFile("aws_cloudtrail_disable_logging.yml");
    const expected = events.filter(
      (e) =>
        e.eventSource === "cloudtrail.amazonaws.com" &&
        ["StopLogging", "UpdateTrail", "DeleteTrail"].includes(e.eventName as string),
    ).length;
    assert.ok(expected > 0);
    assert.equal(hits.get(disable.id), expected);
    assert.ok(hits.size >= 5, `only ${hits.size} rules fired on an attack simulation`);
  });

  it("detects the Stratus CloudTrail stop/delete detonations", () => {
    const lines = readFileSync(join(shared, "stratus-detonation-logs", "events.jsonl"), "utf8").split("\n");
    const labelled = lines
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { stratus_technique_id: string; event: Event });
    const disable = byFile("aws_cloudtrail_disable_logging.yml");
    for (const id of ["aws.defense-evasion.cloudtrail-stop", "aws.defense-evasion.cloudtrail-delete"]) {
      const events = labelled.filter((x) => x.stratus_technique_id === id).map((x) => x.event);
      assert.ok(
        events.some((e) => disable.match(e)),
        `${id} not detected`,
      );
    }
    const unrelated = labelled.filter((x) => x.stratus_technique_id.startsWith("aws.credential-access."));
    assert.equal(unrelated.filter((x) => disable.match(x.event)).length, 0);
  });
});
