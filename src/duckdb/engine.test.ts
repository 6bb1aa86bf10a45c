// `--engine auto` keeping JS must cost what `--engine js` costs: no DuckDB native module mapped, no rules
// compiled for SQL, no input file read to tell its format (the probe of 523 gzip files held ~450 MB, issue 14).
// The native module is seen through process.dlopen, the probe's reads through fs/promises open (live ESM
// bindings of a builtin follow syncBuiltinESMExports). The last test is the control: with DuckDB chosen both
// are seen, so the first tests would see them too.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type { open as openFile } from "node:fs/promises";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import type { Finding } from "../scan/model.js";
import { type ExternalEngine, scanPaths } from "../scan/scan.js";
import { TRAIL_RULE, trailFiles, writeTrail } from "../scan/test-helpers.js";

/** Native addons loaded by this process (the test runner gives each test file its own process). */
const addons: string[] = [];
const dlopen = process.dlopen.bind(process);
process.dlopen = (...args: Parameters<typeof process.dlopen>) => {
  addons.push(args[1]);
  dlopen(...args);
};
const duckdbLoaded = () => addons.some((a) => /duckdb/i.test(a));

/** Paths opened through fs/promises while `tracking` is on. */
const opened: string[] = [];
let tracking = false;
const fsp = createRequire(import.meta.url)("node:fs/promises") as { open: typeof openFile };
const realOpen = fsp.open;
fsp.open = ((...args: Parameters<typeof openFile>) => {
  if (tracking) opened.push(String(args[0]));
  return realOpen(...args);
}) as typeof openFile;
syncBuiltinESMExports();

// imported once both are watched: a static import of the native module in engine.ts shows too
const { duckdbEngine } = await import("./engine.js");

/** The engine, with the files its plan() opens recorded. */
function traced(engine: ExternalEngine): ExternalEngine {
  return {
    async plan(...args) {
      tracking = true;
      try {
        return await engine.plan(...args);
      } finally {
        tracking = false;
      }
    },
    run: (...args) => engine.run(...args),
  };
}

const OPTS = { workers: 0, builtinRules: false, ruleTexts: [TRAIL_RULE] };
const key = (f: Finding) => JSON.stringify(f);

describe("duckdbEngine: auto", () => {
  const dir = mkdtempSync(join(tmpdir(), "tt-duckdb-auto-"));
  const files = trailFiles("2026-01-01", 1, 30);
  before(() => {
    // and a gzipped JSON Lines file that inflates ~300-fold (its head is sniffed without inflating it all)
    const line = JSON.stringify({
      eventTime: "2026-01-01T12:00:00Z",
      eventSource: "cloudtrail.amazonaws.com",
      eventName: "StopLogging",
      eventID: "big",
      awsRegion: "us-east-1",
      requestParameters: { pad: "x".repeat(900) },
    });
    files.push({ path: "exports/big.jsonl.gz", body: gzipSync(`${line}\n`.repeat(4000)) });
    writeTrail(dir, files);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  let jsFindings: string[] = [];

  it("keeping JS by size reads no input file in its plan and never loads DuckDB; same scan as --engine js", async () => {
    const js = await scanPaths([dir], OPTS);
    jsFindings = js.findings.map(key).sort();
    assert.ok(jsFindings.length > 0);
    opened.length = 0;
    const auto = await scanPaths([dir], OPTS, { external: traced(duckdbEngine({ requested: "auto" })) });
    assert.equal(auto.summary.engine?.used, "js", auto.summary.engine?.reason);
    assert.match(auto.summary.engine?.reason ?? "", /^auto: [\d.]+ MiB of input/);
    assert.deepEqual(opened, [], "auto's plan opened input files");
    assert.equal(duckdbLoaded(), false, `DuckDB loaded: ${addons.join(", ")}`);
    assert.deepEqual(auto.findings.map(key).sort(), jsFindings);
    assert.deepEqual(auto.summary.events, js.summary.events);
    // the JS rules are the scan's own (the plan did not compile them)
    assert.equal(auto.summary.engine?.jsRules, 1);
  });

  it("keeping JS for a window or --strict reads nothing either", async () => {
    opened.length = 0;
    const strict = await scanPaths(
      [dir],
      { ...OPTS, strict: true },
      {
        external: traced(duckdbEngine({ requested: "auto", autoMinBytes: 0 })),
      },
    );
    assert.equal(strict.summary.engine?.used, "js");
    assert.match(strict.summary.engine?.reason ?? "", /--strict/);
    const windowed = await scanPaths(
      [dir],
      { ...OPTS, window: { fromMs: Date.parse("2026-01-01T00:00:00Z") } },
      {
        external: traced(duckdbEngine({ requested: "auto", autoMinBytes: 0 })),
      },
    );
    assert.equal(windowed.summary.engine?.used, "js");
    assert.deepEqual(opened, []);
    assert.equal(duckdbLoaded(), false, `DuckDB loaded: ${addons.join(", ")}`);
  });

  it("control: choosing DuckDB reads each file's head once in its plan and loads DuckDB only to run", async () => {
    opened.length = 0;
    const engine = duckdbEngine({ requested: "auto", autoMinBytes: 0 });
    const dd = await scanPaths([dir], OPTS, {
      external: {
        plan: async (...args) => {
          const p = await traced(engine).plan(...args);
          assert.equal(duckdbLoaded(), false, "DuckDB loaded while planning");
          return p;
        },
        run: (...args) => engine.run(...args),
      },
    });
    assert.equal(dd.summary.engine?.used, "duckdb", dd.summary.engine?.reason);
    assert.deepEqual(opened.sort(), files.map((f) => join(dir, f.path)).sort());
    assert.equal(duckdbLoaded(), true);
    assert.deepEqual(dd.findings.map(key).sort(), jsFindings);
  });
});
