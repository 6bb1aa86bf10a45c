// `scan s3://bucket/prefix` against a real S3-compatible server (s3rver, started here on a free port): the same
// tree is uploaded to a bucket and written to a local folder, and the S3 scan must prune by day, account and
// region as the local one does and give the same findings. Generated files always; the Invictus AWS dataset
// (../shared) too when present, placed in the delivery layout.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type Finding, type ScanOptions, ScanSummary, scanPaths } from "../src/scan/index.js";
import { TRAIL_ACCOUNTS, TRAIL_RULE, type TrailFile, trailFiles, writeTrail } from "../src/scan/test-helpers.js";
import { BIN, type CliResult, REPO_ROOT } from "./cli-helper.js";
import { type S3TestServer, startS3Server } from "./helpers/s3-server.js";
import { sharedPath } from "./shared.js";

const INVICTUS = sharedPath("data/invictus-aws-dataset/CloudTrail");
const CREDS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

/** Invictus files in the layout their names give (account, region, day), gzipped as CloudTrail delivers them. */
function invictusFiles(): TrailFile[] {
  if (!existsSync(INVICTUS)) return [];
  return readdirSync(INVICTUS)
    .filter((n) => n.endsWith(".json"))
    .map((name) => {
      const m = /^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T/.exec(name);
      if (!m) throw new Error(`unexpected Invictus file name ${name}`);
      const [, account, region, y, mo, d] = m;
      return {
        path: `AWSLogs/${account}/CloudTrail/${region}/${y}/${mo}/${d}/${name}.gz`,
        body: gzipSync(readFileSync(join(INVICTUS, name))),
      };
    });
}

/**
 * The CLI in a child process, awaited without blocking: the S3 server runs in this process, so a spawnSync
 * (cli-helper's runCli) would leave it unable to answer.
 */
function runCli(args: string[], opts: { env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

const key = (f: Finding) => `${f.eventID}|${f.rule.id}`;
const keys = (fs: readonly Finding[]) => fs.map(key).sort();

describe("scan s3://", () => {
  let server: S3TestServer;
  let endpoint: string;
  let work: string;
  let local: string;
  let files: TrailFile[];
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "techtrail-s3-"));
    mkdirSync(join(work, "server"));
    server = await startS3Server(join(work, "server"));
    endpoint = server.endpoint;
    for (const [k, v] of Object.entries(CREDS)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    files = [...trailFiles("2026-01-01", 20, 10), ...invictusFiles()];
    local = join(work, "local");
    writeTrail(local, files);
    const client = new S3Client({ region: "us-east-1", endpoint, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: "trail" }));
    // uploads a few at a time (s3rver writes each object to disk)
    const queue = [...files];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let f = queue.shift(); f; f = queue.shift())
          await client.send(new PutObjectCommand({ Bucket: "trail", Key: `org/${f.path}`, Body: f.body }));
      }),
    );
    // bad input, under its own prefix: an object that is not CloudTrail, and a gzip cut in half
    const benign = trailFiles("2026-02-01", 1, 200)[0] as TrailFile;
    const notTrail = Buffer.from("# README\nnot a trail\n");
    const cut = gzipSync(
      JSON.stringify({
        Records: JSON.parse(gunzipSync(benign.body).toString()).Records.filter(
          (r: { eventName: string }) => r.eventName !== "StopLogging",
        ),
      }),
    );
    await client.send(new PutObjectCommand({ Bucket: "trail", Key: "bad/README.md", Body: notTrail }));
    await client.send(
      new PutObjectCommand({ Bucket: "trail", Key: "bad/cut.json.gz", Body: cut.subarray(0, cut.length >> 1) }),
    );
    client.destroy();
  });

  after(async () => {
    await server?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(work, { recursive: true, force: true });
  });

  const opts = (extra: ScanOptions = {}): ScanOptions => ({
    ruleTexts: [TRAIL_RULE],
    workers: 2,
    s3: { endpoint, concurrency: 8 },
    ...extra,
  });

  it("gives the same findings as a local scan of the same files (built-in rules, Invictus when present)", async () => {
    const s3 = await scanPaths(["s3://trail/org/"], opts());
    const loc = await scanPaths([local], opts());
    assert.equal(s3.summary.files.scanned, files.length);
    assert.equal(s3.summary.files.scanned, loc.summary.files.scanned);
    assert.equal(s3.summary.files.stored, loc.summary.files.stored);
    assert.equal(s3.summary.events.read, loc.summary.events.read);
    assert.ok(s3.findings.length > 0);
    assert.deepEqual(keys(s3.findings), keys(loc.findings));
    // origins name the object
    assert.ok(s3.findings.every((f) => f.origin.file.startsWith("s3://trail/org/")));
    if (existsSync(INVICTUS))
      assert.ok(
        s3.findings.some((f) => f.origin.file.includes("/AWSLogs/218007301253/")),
        "Invictus events found through S3",
      );
    assert.equal(s3.summary.partial, undefined);
  });

  it("prunes by day, account and region before reading, as the local scan does", async () => {
    const window = {
      fromMs: Date.UTC(2026, 0, 5),
      toMs: Date.UTC(2026, 0, 6),
      accounts: [TRAIL_ACCOUNTS[1]],
      regions: ["us-east-1"],
    };
    const s3 = await scanPaths(["s3://trail/org"], opts({ window, builtinRules: false }));
    const loc = await scanPaths([local], opts({ window, builtinRules: false }));
    // the day's 4 files and the next day's first one, for one account and region; + the file outside the layout
    assert.equal(s3.summary.files.scanned, 5 + 1);
    assert.equal(loc.summary.files.scanned, 5 + 1);
    assert.ok((s3.summary.window?.prunedFolders ?? 0) > 0);
    assert.deepEqual(keys(s3.findings), keys(loc.findings));
    assert.deepEqual(
      s3.findings.map((f) => f.eventID).sort(),
      [
        `late-${TRAIL_ACCOUNTS[1]}-us-east-1-20260106T0020Z`,
        ...["0020", "0620", "1220", "1820"].map((t) => `s-${TRAIL_ACCOUNTS[1]}-us-east-1-20260105T${t}Z`),
      ].sort(),
    );
  });

  it("the CLI scans a bucket with --s3-endpoint and a window; bad objects make the scan PARTIAL", async () => {
    writeFileSync(join(work, "rule.yml"), TRAIL_RULE.text);
    const ok = await runCli(
      [
        "scan",
        "s3://trail/org/AWSLogs",
        "--from",
        "2026-01-03",
        "--to",
        "2026-01-03",
        "--regions",
        "eu-west-1",
        "--no-builtin-rules",
        "--rules",
        join(work, "rule.yml"),
        "--format",
        "jsonl",
        "--summary-json",
        join(work, "summary.json"),
      ],
      { env: { ...CREDS, AWS_ENDPOINT_URL_S3: endpoint } },
    );
    assert.equal(ok.status, 1, ok.stderr);
    const lines = ok.stdout.trim().split("\n");
    assert.equal(lines.length, 2 * 5); // 2 accounts × (4 + the late one)
    const summary = ScanSummary.parse(JSON.parse(readFileSync(join(work, "summary.json"), "utf8")));
    assert.equal(summary.files.scanned, 2 * 5);
    assert.equal(summary.window?.regions?.[0], "eu-west-1");
    assert.doesNotMatch(ok.stderr, /Warning|PARTIAL/);

    const bad = await runCli(
      ["scan", "s3://trail/bad/", "--s3-endpoint", endpoint, "--summary-json", join(work, "bad.json")],
      {
        env: CREDS,
      },
    );
    assert.equal(bad.status, 10, bad.stderr);
    assert.match(bad.stderr, /s3:\/\/trail\/bad\/README\.md/);
    assert.match(bad.stderr, /s3:\/\/trail\/bad\/cut\.json\.gz/);
    assert.match(bad.stderr, /truncated or corrupt/);
    assert.match(bad.stderr, /PARTIAL scan: 1 file\(s\) not read whole \(1 truncated\)/);
    assert.match(bad.stdout, /PARTIAL/);
    const badSummary = ScanSummary.parse(JSON.parse(readFileSync(join(work, "bad.json"), "utf8")));
    assert.deepEqual(badSummary.partial, { files: 1, byReason: { truncated: 1 } });
    assert.equal(badSummary.skipped.byReason["unknown-format"], 1);
  });

  it("names the bucket for denied or missing credentials and a missing bucket; the key for a missing object", async () => {
    const denied = await runCli(["scan", "s3://trail/org/", "--s3-endpoint", endpoint], {
      env: { AWS_ACCESS_KEY_ID: "AKIAWRONG", AWS_SECRET_ACCESS_KEY: "wrong" },
    });
    assert.equal(denied.status, 2);
    assert.match(denied.stderr, /cannot list s3:\/\/trail\/org\//);
    assert.match(denied.stderr, /access denied \(InvalidAccessKeyId/);
    assert.doesNotMatch(denied.stderr, /\n\s+at /); // no stack trace

    const none = await runCli(["scan", "s3://trail/org/", "--s3-endpoint", endpoint], {
      env: {
        AWS_ACCESS_KEY_ID: "",
        AWS_SECRET_ACCESS_KEY: "",
        AWS_PROFILE: "",
        AWS_CONFIG_FILE: join(work, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(work, "no-credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_WEB_IDENTITY_TOKEN_FILE: "",
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
        AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
      },
    });
    assert.equal(none.status, 2, none.stderr);
    assert.match(none.stderr, /s3:\/\/trail\/org\/: no AWS credentials found/);

    const missing = await runCli(["scan", "s3://no-such-bucket/", "--s3-endpoint", endpoint], { env: CREDS });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /s3:\/\/no-such-bucket\/: no such bucket/);

    // an object gone between listing and reading: reported with its key, the scan marked partial
    const { openS3Object } = await import("../src/scan/s3.js");
    await assert.rejects(
      openS3Object({ bucket: "trail", key: "org/nope.json.gz", file: "s3://trail/org/nope.json.gz" }, { endpoint }),
      /s3:\/\/trail\/org\/nope\.json\.gz: no such object/,
    );
  });
});
