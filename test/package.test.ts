// The published package: no test code in dist/, dependencies that match what the code imports, and subpath
// exports that load only what they need (checked on the built dist/, as a user of the package gets it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "./cli-helper.js";

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, string | { types: string; import: string }>;
  files: string[];
};
const BUILT = existsSync(join(REPO_ROOT, "dist/index.js"));
const needsDist = { skip: BUILT ? false : "dist/ is not built (npm run build)" };

function walk(dir: string, keep: (f: string) => boolean, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, keep, out);
    else if (keep(p)) out.push(p);
  }
  return out;
}

/** Bare package names imported (statically or dynamically) by a source text. */
function importedPackages(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(/(?:^import\s+|\bfrom\s+|\bimport\s*\(\s*)"([@a-z][^"]*)"/gm)) {
    const spec = m[1] as string;
    if (spec.startsWith("node:")) continue;
    names.push(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] as string));
  }
  return names;
}

test("dist/ holds no test code", needsDist, () => {
  const files = walk(join(REPO_ROOT, "dist"), (f) => f.endsWith(".js"));
  assert.ok(files.length > 50, "dist/ looks empty");
  const offenders = files.filter(
    (f) =>
      /\.test\.js$|test-helpers|test-catalog|-test-store|contract\.js$/.test(f) ||
      /from "node:(test|assert)/.test(readFileSync(f, "utf8")),
  );
  assert.deepEqual(offenders, []);
});

test("runtime dependencies are exactly the packages the shipped code imports", () => {
  const sources = walk(join(REPO_ROOT, "src"), (f) => /\.ts$/.test(f) && !/\.test\.ts$|test-|contract\.ts$/.test(f));
  const used = new Set(sources.flatMap((f) => importedPackages(readFileSync(f, "utf8"))));
  for (const name of used) {
    if (name === "techtrail") continue;
    assert.ok(name in pkg.dependencies, `src imports ${name}, which is not a runtime dependency`);
  }
  for (const name of Object.keys(pkg.dependencies))
    assert.ok(used.has(name), `${name} is a runtime dependency that no shipped module imports`);
  for (const name of ["kysely", "vite", "@vitejs/plugin-react", "react", "react-dom"])
    assert.ok(!(name in pkg.dependencies), `${name} must not be a runtime dependency`);
  // the web UI is built by `npm ci` (prepare), which installs devDependencies too
  for (const name of ["vite", "@vitejs/plugin-react", "react", "react-dom"]) assert.ok(name in pkg.devDependencies);
  for (const f of ["LICENSE", "CHANGELOG.md"]) assert.ok(pkg.files.includes(f) && existsSync(join(REPO_ROOT, f)));
});

test("every subpath export points at a built module", needsDist, () => {
  for (const sub of [
    "techtrail",
    "techtrail/catalog",
    "techtrail/rules",
    "techtrail/scan",
    "techtrail/store",
    "techtrail/server",
  ]) {
    const entry = pkg.exports[sub === "techtrail" ? "." : `./${sub.slice("techtrail/".length)}`];
    assert.ok(entry && typeof entry === "object", `no export for ${sub}`);
    assert.ok(existsSync(join(REPO_ROOT, entry.import)), `${sub}: ${entry.import} is missing`);
    assert.ok(existsSync(join(REPO_ROOT, entry.types)), `${sub}: ${entry.types} is missing`);
  }
});

// A resolve hook that writes every module URL the process loads to stderr.
const TRACE = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(\`
import { writeSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  writeSync(2, "LOADED " + r.url + "\\\\n");
  return r;
}\`));`)}`;

/** Imports a specifier in a fresh process (as a program inside the package would) and lists what it loaded. */
function load(specifier: string, probe = ""): { loaded: string[]; stdout: string } {
  const r = spawnSync(
    process.execPath,
    ["--import", TRACE, "--input-type=module", "-e", `const m = await import(${JSON.stringify(specifier)}); ${probe}`],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  const loaded = [...r.stderr.matchAll(/^LOADED (.*)$/gm)].map((m) => m[1] as string);
  assert.ok(loaded.length > 0, "the trace hook saw no module");
  return { loaded, stdout: r.stdout };
}

const HEAVY = [
  /\/node_modules\/hono\//,
  /\/node_modules\/@hono\//,
  /\/node_modules\/echarts\//,
  /\/node_modules\/pg\//,
  /better-sqlite3/,
  /\/dist\/server\//,
];

test("techtrail/rules loads neither the server, echarts, pg nor better-sqlite3", needsDist, () => {
  const { loaded, stdout } = load("techtrail/rules", "console.log(typeof m.compileSigmaRule, typeof m.RuleIndex)");
  assert.equal(stdout.trim(), "function function");
  for (const re of HEAVY)
    assert.deepEqual(
      loaded.filter((u) => re.test(u)),
      [],
      `techtrail/rules loaded ${re}`,
    );
  assert.deepEqual(
    loaded.filter((u) => /\/dist\/(store|scan|register|catalog\/stix)/.test(u)),
    [],
  );
});

test("the package root stays small and keeps internals private", needsDist, () => {
  const { loaded, stdout } = load("techtrail", "console.log(Object.keys(m).join(','))");
  for (const re of HEAVY)
    assert.deepEqual(
      loaded.filter((u) => re.test(u)),
      [],
      `techtrail loaded ${re}`,
    );
  const names = new Set(stdout.trim().split(","));
  for (const name of ["Catalog", "IncidentRegister", "TechtrailError", "techniqueFrequency", "loadPlaybooks"])
    assert.ok(names.has(name), `the root should export ${name}`);
  for (const name of ["uuidv5", "escapeHtml", "SqlStore", "openSqliteStore", "hashPassword", "createApp"])
    assert.ok(!names.has(name), `the root must not export ${name}`);
});

test("techtrail/store loads only the driver it opens", needsDist, () => {
  const { loaded, stdout } = load(
    "techtrail/store",
    "const s = await m.openStore({ db: ':memory:' }); console.log(s.location); await s.close();",
  );
  assert.match(stdout, /memory/);
  assert.ok(loaded.some((u) => /better-sqlite3/.test(u)));
  assert.deepEqual(
    loaded.filter((u) => /\/node_modules\/pg\//.test(u)),
    [],
  );
  const server = load("techtrail/server", "console.log(typeof m.createApp, typeof m.startService)");
  assert.equal(server.stdout.trim(), "function function");
});

test("techtrail/scan exports the scan API and keeps the engine's parts private", needsDist, () => {
  const { stdout } = load("techtrail/scan", "console.log(Object.keys(m).join(','))");
  const names = new Set(stdout.trim().split(","));
  for (const name of [
    "scanPaths",
    "ScanOptions",
    "ScanSummary",
    "Finding",
    "findingJsonl",
    "findingCsv",
    "csvHeader",
    "FindingGroups",
    "loadRuleLibrary",
    "BUILTIN_RULES_DIR",
    "loadBaseline",
    "loadSuppressions",
  ])
    assert.ok(names.has(name), `techtrail/scan should export ${name}`);
  for (const name of [
    "ScanPool",
    "runInThread",
    "planPrefilter",
    "FindingAggregator",
    "HitEncoder",
    "DICT_LIMIT",
    "readRuleFiles",
    "resolveScanOptions",
    "compareFindings",
    "detectFormat",
    "Suppressor",
  ])
    assert.ok(!names.has(name), `techtrail/scan must not export ${name}`);
});
