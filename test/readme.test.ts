// The README's usage commands work as written, in order, after `npm ci && npm start`: this test starts the
// service once in an empty folder (as `npm start` does: SQLite ./techtrail.db, demo data seeded), stops it,
// then runs every line of the README's Usage block there with `npx techtrail` replaced by the built command.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BIN, REPO_ROOT } from "./cli-helper.js";
import { skipUnlessShared } from "./shared.js";

const dir = mkdtempSync(join(tmpdir(), "techtrail-readme-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, TECHTRAIL_DB: "", TECHTRAIL_DATABASE_URL: "" };

/** The shell lines of the README's "## Usage" code block. */
function usageLines(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Usage"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, "README has a ```sh block under ## Usage");
  return block.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

async function firstStart(): Promise<string> {
  const child = spawn(process.execPath, [BIN, "start", "--port", "0"], { cwd: dir, env });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start did not come up: ${stderr}`)), 120_000);
    child.stdout.on("data", (d) => {
      stdout += String(d);
      if (/listening on http/.test(stdout) && /sign in/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`start exited ${code}: ${stderr}`)));
  });
  await new Promise((resolve) => {
    child.once("exit", resolve);
    child.kill("SIGTERM");
  });
  return stdout;
}

test("the README's usage commands work as written, in order, after npm start", async (t) => {
  symlinkSync(join(REPO_ROOT, "examples"), join(dir, "examples"));
  const started = await firstStart();
  assert.match(started, /seeded \d+ demo incidents/);
  assert.ok(existsSync(join(dir, "techtrail.db")));
  const lines = usageLines();
  assert.ok(lines.length >= 10, "the Usage block lists the commands");
  for (const line of lines) {
    // lines marked as needing ../shared run only where it is (see README, "Extended suite")
    if (/needs \.\.\/shared/.test(line) && skipUnlessShared()) {
      t.diagnostic(`skipped (no ../shared): ${line}`);
      continue;
    }
    const command = line
      .replace(/#.*$/, "")
      .replaceAll("npx techtrail", `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`);
    const r = spawnSync("sh", ["-c", command], { cwd: dir, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    // scan exits 1 when it found something (documented on the line); everything else must succeed
    const ok = /^npx techtrail scan /.test(line) ? r.status === 0 || r.status === 1 : r.status === 0;
    assert.ok(ok, `${line}\nexited ${r.status}\n${r.stderr.slice(-2000)}`);
  }
  for (const file of ["techtrail.stix.json", "layer.json", "findings.jsonl", "summary.json", "report.html"])
    assert.ok(existsSync(join(dir, file)), `${file} was written`);
  assert.ok(readFileSync(join(dir, "findings.jsonl"), "utf8").includes("StopLogging"));
});
