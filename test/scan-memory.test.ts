// Peak memory of `techtrail scan` does not grow with the number of findings: a 4 MB gzip of 1,000,001 CloudTrail
// records that all match a built-in rule (760 MB inflated, issue 10's attack) is scanned by the built command with
// every finding written as JSON Lines, and the process's peak RSS (main thread and workers) stays under the
// documented 300 MB. Holding every finding, as scan did before, took about 340 MB here and 200 MB more per
// million findings.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BIN } from "./cli-helper.js";
import { bombRecords, writeGzipBomb } from "./helpers/gzip-bomb.js";

const RECORDS = 1_000_000;
const LIMIT_MB = 300;
// prints the process's peak RSS (KB) when it exits
const REPORT = `data:text/javascript,process.on("exit",()=>process.stderr.write("maxRSS="+process.resourceUsage().maxRSS+"\\n"))`;

describe("techtrail scan memory", () => {
  it(`stays under ${LIMIT_MB} MB for a million findings written as they come`, () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-scan-mem-"));
    try {
      const file = join(dir, "bomb.json.gz");
      writeGzipBomb(file, RECORDS);
      const out = openSync("/dev/null", "w");
      let r: ReturnType<typeof spawnSync>;
      try {
        r = spawnSync(process.execPath, ["--import", REPORT, BIN, "scan", file, "--format", "jsonl"], {
          stdio: ["ignore", out, "pipe"],
          encoding: "utf8",
        });
      } finally {
        closeSync(out);
      }
      const stderr = String(r.stderr);
      assert.equal(r.status, 1, stderr);
      assert.match(stderr, new RegExp(`${bombRecords(RECORDS).toLocaleString("en-US")} finding\\(s\\)`));
      const kb = Number(/maxRSS=(\d+)/.exec(stderr)?.[1]);
      assert.ok(kb > 0, stderr);
      assert.ok(kb / 1024 < LIMIT_MB, `peak RSS ${(kb / 1024).toFixed(0)} MB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
