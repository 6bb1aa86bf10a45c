#!/usr/bin/env node
// Runs every *.test.ts under src/, test/ and web/src/ with Node's test runner (TypeScript through tsx).
// Fails when no test file exists or when no test ran, so a green run always means tests executed.
// End-to-end tests run the built CLI (bin/techtrail.js over dist/), as a user does and without compiling
// TypeScript in every child process: dist/ is rebuilt first when a source file is newer than it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
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
/** Newest modification time of the files under dir that keep(). */
function newest(dir, keep) {
  let t = 0;
  for (const f of walkAll(dir, [])) if (keep(f)) t = Math.max(t, statSync(f).mtimeMs);
  return t;
}
function walkAll(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkAll(p, out);
    else out.push(p);
  }
  return out;
}
function ensureBuilt() {
  const stamp = "dist/yaml-cache.json"; // written last by `npm run build:lib`
  const built = existsSync(stamp) && existsSync("dist/cli/main.js") ? statSync(stamp).mtimeMs : 0;
  const sources = Math.max(
    newest("src", (f) => f.endsWith(".ts") && !f.endsWith(".test.ts")),
    ...["package.json", "tsconfig.json", "tsconfig.build.json", "scripts/build-yaml-cache.mjs"].map(
      (f) => statSync(f).mtimeMs,
    ),
  );
  if (built >= sources) return;
  console.error("run-tests: dist/ is older than src/: npm run build:lib");
  const r = spawnSync("npm", ["run", "build:lib", "--silent"], { stdio: ["ignore", process.stderr, "inherit"] });
  if (r.status !== 0) {
    console.error("run-tests: the build failed");
    process.exit(1);
  }
}

let files = roots.flatMap((r) => walk(r, [])).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("run-tests: no test files found");
  process.exit(1);
}
ensureBuilt();
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
