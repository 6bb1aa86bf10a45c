#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and web/src/ with Node's test runner (TypeScript through tsx).
// Fails when no test file exists or when no test ran, so a green run always means tests executed.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const roots = ["src", "test", "web/src"];
const filter = process.argv.slice(2);
function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts") || name.endsWith(".test.tsx")) out.push(p);
  }
  return out;
}
let files = roots.flatMap((r) => walk(r, [])).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
const tap = join(mkdtempSync(join(tmpdir(), "techtrail-tests-")), "report.tap");
const res = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=2",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, TECHTRAIL_TEST: "1" } },
);
let report = "";
try {
  report = readFileSync(tap, "utf8");
} catch {}
const count = (k) =>
  Number(/^# (\w+) (\d+)$/gm.exec(report) && (report.match(new RegExp(`^# ${k} (\\d+)$`, "m")) ?? [])[1]);
const tests = count("tests");
const pass = count("pass");
const fail = count("fail");
const skipped = count("skipped");
console.log(`${pass || 0} passed, ${fail || 0} failed, ${skipped || 0} skipped`);
if (!tests) {
  console.error("run-tests: no test ran");
  process.exit(1);
}
process.exit(res.status ?? 1);
