// POST /api/scan: upload a real Stratus Red Team detonation log (../shared/data/stratus-detonation-logs,
// Apache-2.0) and get findings; create an incident from them; path tricks in file names are refused; a small
// upload answers fast once the server has compiled its rules.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { sharedPath, skipUnlessShared } from "../../test/shared.js";
import { RuleSetCache } from "../scan/rule-cache.js";
import { checkUploadName, contentBytes } from "./routes/scan.js";
import { type Fixture, makeFixture } from "./test-helpers.js";

const LOG = "data/stratus-detonation-logs/raw/aws.defense-evasion.cloudtrail-stop.json";
const STRATUS = sharedPath(LOG);
const needsLog = { skip: skipUnlessShared(LOG) };

let f: Fixture;
const ruleCache = new RuleSetCache();
before(async () => {
  f = await makeFixture({ limits: { uploadBytes: 2 * 1024 * 1024, uploadFiles: 3 }, ruleCache });
});
after(async () => {
  await f.close();
});

function upload(files: Array<[string, string | Uint8Array<ArrayBuffer>]>, query = "", token = f.tokens.responder) {
  const form = new FormData();
  for (const [name, content] of files) form.append("file", new Blob([content]), name);
  return f.app.request(`/api/scan${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
}

type ScanBody = {
  findings: Array<{ techniques: string[]; origin: { file: string }; correlation?: { type: string } }>;
  summary: {
    findings: { total: number };
    techniques: Array<{ id: string }>;
    workers: number;
    events: { read: number };
  };
  incident?: { key: string; techniques: Array<{ id: string; findings: unknown[] }>; title: string };
};

describe("scan upload", () => {
  test("findings and summary for an uploaded CloudTrail file, reported under its own name", needsLog, async () => {
    const res = await upload([["cloudtrail-stop.json", readFileSync(STRATUS)]]);
    assert.equal(res.status, 200);
    const body = (await res.json()) as ScanBody;
    assert.ok(body.summary.findings.total > 0);
    assert.ok(body.findings.length > 0);
    assert.ok(
      body.findings.every((x) => x.origin.file === "cloudtrail-stop.json"),
      JSON.stringify(body.findings[0]?.origin),
    );
    assert.ok(!JSON.stringify(body).includes("techtrail-upload-"), "no temporary paths leak");
    assert.ok(body.summary.techniques.some((t) => t.id.startsWith("T1562")));
  });

  test("?createIncident=1 stores a draft incident with the findings as evidence", needsLog, async () => {
    const before = await f.store.count();
    const res = await upload(
      [["cloudtrail-stop.json", readFileSync(STRATUS)]],
      "?createIncident=1&title=CloudTrail%20stopped",
    );
    assert.equal(res.status, 201);
    const body = (await res.json()) as ScanBody;
    assert.ok(body.incident);
    assert.equal(body.incident.title, "CloudTrail stopped");
    assert.ok(body.incident.techniques.length > 0);
    assert.ok(body.incident.techniques.some((t) => t.findings.length > 0));
    assert.equal(await f.store.count(), before + 1);
    const stored = await f.store.require(body.incident.key);
    assert.equal(stored.techniques.length, body.incident.techniques.length);
  });

  test("path tricks in file names are refused and nothing is written", async () => {
    const before = await f.store.count();
    for (const name of ["../../etc/passwd", "..\\..\\boot.ini", "/etc/passwd", "..", ".hidden", "a\u0000b.json"]) {
      const res = await upload([[name, "{}"]], "?createIncident=1");
      assert.equal(res.status, 400, name);
      const body = (await res.json()) as { error: { code: string; details: { problems: Array<{ field: string }> } } };
      assert.equal(body.error.code, "VALIDATION");
      assert.equal(body.error.details.problems[0]?.field, "file.0");
    }
    assert.equal(await f.store.count(), before);
    assert.equal(checkUploadName("cloudtrail.json.gz"), undefined);
    assert.equal(checkUploadName("my..log.json"), undefined);
  });

  test("limits, roles and bad requests", async () => {
    assert.equal((await upload([["x.json", new Uint8Array(3 * 1024 * 1024)]])).status, 413);
    const many: Array<[string, string]> = [1, 2, 3, 4].map((i) => [`f${i}.json`, "{}"]);
    assert.equal((await upload(many)).status, 400);
    assert.equal((await upload([["x.json", "{}"]], "", f.tokens.viewer)).status, 403);
    const noFiles = await f.app.request("/api/scan", {
      method: "POST",
      headers: { Authorization: `Bearer ${f.tokens.responder}`, "Content-Type": "application/json" },
      body: "{}",
    });
    assert.equal(noFiles.status, 400);
    const empty = await upload([["not-cloudtrail.txt", "hello"]], "?createIncident=1");
    assert.equal(empty.status, 400, "no findings: nothing to make an incident of");
  });
});

/** The README's example: three CloudTrail events, two of them findings. */
const EXAMPLE = readFileSync(
  new URL("../../examples/cloudtrail/111122223333_CloudTrail_eu-west-1_example.json", import.meta.url),
);

describe("small uploads", () => {
  test("a warm 3-event upload answers in under 1 s, scanned on the server's thread", async () => {
    const first = await upload([["example.json", EXAMPLE]]); // compiles the rules
    assert.equal(first.status, 200);
    const t0 = performance.now();
    const res = await upload([["example.json", EXAMPLE]]);
    const body = (await res.json()) as ScanBody;
    const ms = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.equal(body.summary.events.read, 3);
    assert.equal(body.summary.findings.total, 2);
    assert.equal(body.summary.workers, 0, "no worker threads for a small upload");
    assert.equal(ruleCache.loads, 1, "the rules were compiled once, for the first upload");
    // typically 10–50 ms; the margin is for a loaded machine (the cold first upload takes 0.3–2 s)
    assert.ok(ms < 1000, `warm upload took ${ms.toFixed(0)} ms`);
  });

  test("correlation rules run on the server's thread too", async () => {
    const login = (i: number, time: string, result: string) => ({
      eventVersion: "1.09",
      userIdentity: { type: "IAMUser", userName: "alice", arn: "arn:aws:iam::111122223333:user/alice" },
      eventTime: time,
      eventSource: "signin.amazonaws.com",
      eventName: "ConsoleLogin",
      awsRegion: "us-east-1",
      sourceIPAddress: "203.0.113.9",
      responseElements: { ConsoleLogin: result },
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      recipientAccountId: "111122223333",
    });
    const records = [0, 1, 2, 3, 4, 5].map((i) => login(i, `2024-05-10T03:0${i}:00Z`, "Failure"));
    records.push(login(6, "2024-05-10T03:20:00Z", "Success"));
    const res = await upload([["console.json.gz", new Uint8Array(gzipSync(JSON.stringify({ Records: records })))]]);
    assert.equal(res.status, 200);
    const body = (await res.json()) as ScanBody;
    assert.equal(body.summary.workers, 0);
    const types = body.findings.flatMap((x) => (x.correlation ? [x.correlation.type] : []));
    assert.ok(types.includes("event_count") && types.includes("temporal_ordered"), types.join(", "));
  });

  test("a gzip file counts as its inflated size", () => {
    const text = Buffer.alloc(5_000_000, " ");
    const gz = new Uint8Array(gzipSync(text));
    assert.ok(gz.length < 50_000);
    assert.equal(contentBytes(gz), 5_000_000);
    assert.equal(contentBytes(new Uint8Array(EXAMPLE)), EXAMPLE.length);
  });
});
