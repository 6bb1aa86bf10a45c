// End-to-end detection check of the scan engine and the built-in rules on real attack telemetry.
// Data: ../shared/data/stratus-detonation-logs (CloudTrail captured while Stratus Red Team detonated 35 AWS
// techniques; Apache-2.0, DataDog/stratus-red-team) and ../shared/data/invictus-aws-dataset (MIT, Invictus IR)
// and the SigmaHQ rules in ../shared/data/sigma-aws-cloudtrail (Detection Rule License 1.1).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { describe, it } from "node:test";
import { loadBuiltinCatalog } from "../src/catalog/load.js";
import { type Finding, scanPaths } from "../src/scan/index.js";
import { sharedPath, skipUnlessShared } from "./shared.js";

const STRATUS = sharedPath("data/stratus-detonation-logs");
const INVICTUS = sharedPath("data/invictus-aws-dataset");
const SIGMA = sharedPath("data/sigma-aws-cloudtrail/rules");

/**
 * Labels judged wrong, with the reason and what is expected instead. Stratus maps its techniques to the
 * AWS catalog by hand; these do not describe what the recorded calls do.
 */
const WRONG_LABELS: Record<string, { label: string; reason: string; instead: string[] }> = {
  "aws.exfiltration.rds-share-snapshot": {
    label: "T1496.A007",
    reason:
      "T1496.A007 is Bedrock LLM abuse (resource hijacking, Impact); the scenario calls rds:ModifyDBSnapshotAttribute to share a DB snapshot with another account, which is Transfer Data to Cloud Account (T1537)",
    instead: ["T1537"],
  },
  "aws.exfiltration.ec2-share-ebs-snapshot": {
    label: "T1578.001",
    reason:
      "T1578.001 is Create Snapshot, but the recording holds no snapshot creation: its one call is ec2:ModifySnapshotAttribute adding createVolumePermission for another account, i.e. Transfer Data to Cloud Account (T1537)",
    instead: ["T1537"],
  },
};

/**
 * Tactic labels judged wrong: Stratus files these scenarios under its own grouping, while the scenario's
 * own technique labels belong to other tactics in ATT&CK and in the catalog. The tactics of the labelled
 * techniques are expected instead.
 */
const WRONG_TACTICS: Record<string, { reason: string; instead: string[] }> = {
  "aws.execution.ec2-launch-unusual-instances": {
    reason:
      "labelled T1496.A008 (resource hijacking, Impact) and T1578.002 (Create Cloud Instance, Defense Evasion); launching GPU instances executes no code the attacker controls, so Execution does not fit",
    instead: ["Impact", "Defense Evasion"],
  },
  "aws.exfiltration.ec2-security-group-open-port-22-ingress": {
    reason:
      "labelled T1562.007 (Disable or Modify Cloud Firewall, Defense Evasion); opening port 22 moves no data out by itself",
    instead: ["Defense Evasion"],
  },
};

interface Scenario {
  id: string;
  tactics: string[];
  techniques: string[];
}

function scenarios(): Scenario[] {
  const byId = new Map<string, Scenario>();
  for (const line of readFileSync(resolve(STRATUS, "events.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as {
      stratus_technique_id: string;
      mitre_tactics: string[];
      attack_technique_ids: string[];
    };
    if (!byId.has(r.stratus_technique_id))
      byId.set(r.stratus_technique_id, {
        id: r.stratus_technique_id,
        tactics: r.mitre_tactics,
        techniques: r.attack_technique_ids,
      });
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

describe("scan: Stratus Red Team detonations", { skip: skipUnlessShared("data/stratus-detonation-logs") }, () => {
  it("finds every labelled technique (or its sub-technique/parent) and a technique of the labelled tactic", async () => {
    const catalog = loadBuiltinCatalog();
    const { findings, summary } = await scanPaths([resolve(STRATUS, "raw")], {}, { catalog });
    assert.equal(summary.skipped.total, 0);
    assert.equal(summary.rules.failed, 0, JSON.stringify(summary.rules.errors.slice(0, 3)));
    const byFile = new Map<string, Finding[]>();
    for (const f of findings) {
      const k = basename(f.origin.file).replace(/\.json$/, "");
      byFile.set(k, [...(byFile.get(k) ?? []), f]);
    }
    // a technique counts for a label when it is the label, a sub-technique of it, or its parent
    const related = (found: string, label: string) => {
      const t = catalog.technique(found);
      const l = catalog.technique(label);
      return found === label || t?.parent === label || (l?.parent !== undefined && l.parent === found);
    };
    const rows: string[][] = [];
    const failures: string[] = [];
    for (const s of scenarios()) {
      const fs = byFile.get(s.id) ?? [];
      const found = [...new Set(fs.flatMap((f) => f.techniques))].sort();
      const notes: string[] = [];
      const wrongTactic = WRONG_TACTICS[s.id];
      if (wrongTactic) notes.push(`tactic ${s.tactics.join("/")} judged wrong: ${wrongTactic.reason}`);
      const tactics = wrongTactic?.instead ?? s.tactics;
      const tacticIds = tactics.map((name) => catalog.tactic(name)?.id ?? `?${name}`);
      const tacticHit = found.some((id) => catalog.technique(id)?.tactics.some((ta) => tacticIds.includes(ta)));
      let labelsOk = true;
      for (const label of s.techniques) {
        const wrong = WRONG_LABELS[s.id];
        const wanted = wrong?.label === label ? wrong.instead : [label];
        if (wrong?.label === label) notes.push(`label ${label} judged wrong: ${wrong.reason}`);
        const ok = wanted.some((w) => found.some((f) => related(f, w)));
        if (!ok) {
          labelsOk = false;
          failures.push(`${s.id}: no finding for ${wanted.join("/")} (found: ${found.join(", ") || "nothing"})`);
        }
      }
      if (!tacticHit)
        failures.push(`${s.id}: no technique of tactic ${tactics.join("/")} (found: ${found.join(", ") || "nothing"})`);
      rows.push([
        s.id.replace(/^aws\./, ""),
        s.techniques.join(",") || "-",
        s.tactics.join("/"),
        found.join(",") || "-",
        labelsOk && tacticHit ? "ok" : "MISSING",
        notes.join("; "),
      ]);
    }
    const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => (r[i] ?? "").length), 8));
    const fmt = (r: string[]) => r.map((c, i) => (i < 5 ? c.padEnd(widths[i] ?? 0) : c)).join("  ");
    process.stdout.write(
      `\n${fmt(["scenario", "labels", "tactics", "techniques found", "verdict", "notes"])}\n${rows.map(fmt).join("\n")}\n`,
    );
    assert.deepEqual(failures, [], `scenarios without the expected detection:\n${failures.join("\n")}`);
  });
});

describe("scan: Invictus AWS dataset", {
  skip: skipUnlessShared("data/invictus-aws-dataset", "data/sigma-aws-cloudtrail", "data/stratus-detonation-logs"),
}, () => {
  it("completes with a summary, the shared Sigma rules all loading", async () => {
    const { findings, summary } = await scanPaths([INVICTUS], { ruleDirs: [SIGMA] }, { catalog: loadBuiltinCatalog() });
    assert.equal(summary.files.scanned, 55);
    // README.md and LICENSE are not JSON: skipped as files, named in the summary
    assert.equal(summary.files.skipped, 2);
    assert.equal(summary.skipped.byReason["unknown-format"], 2);
    assert.ok(summary.events.read >= 2800, `read ${summary.events.read}`);
    assert.equal(summary.rules.failed, 0, JSON.stringify(summary.rules.errors.slice(0, 3)));
    assert.ok(summary.rules.loaded >= 57 + 60);
    assert.ok(findings.length > 0);
    assert.ok(summary.techniques.length > 0);
    assert.ok(summary.principals.every((p) => p.timeline.length > 0));
    // the simulation used Stratus Red Team: its user agent shows up among the findings
    assert.ok(findings.some((f) => f.userAgent?.startsWith("stratus-red-team_")));
  });

  it("finds exactly the same with the pre-filter off (real rules on real records)", async () => {
    const catalog = loadBuiltinCatalog();
    const paths = [INVICTUS, resolve(STRATUS, "raw")];
    const on = await scanPaths(paths, { ruleDirs: [SIGMA] }, { catalog });
    const off = await scanPaths(paths, { ruleDirs: [SIGMA], prefilter: false }, { catalog });
    assert.ok(on.summary.events.evaluated < off.summary.events.evaluated);
    assert.equal(JSON.stringify(on.findings), JSON.stringify(off.findings));
  });
});
