import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { loadBuiltinCatalog } from "../catalog/index.js";
import { TechtrailError } from "../core/errors.js";
import { AnswerKey } from "./answer-key.js";
import { type GenerateOptions, generateScenarios, writeBenchCorpus, writeScenarioCorpus } from "./generate.js";
import { asciiJson } from "./play.js";
import { batchOf } from "./render.js";
import { CountingSink, JsonLinesSink } from "./sinks.js";

const catalog = loadBuiltinCatalog();

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

/** Path → SHA-256 of every file of a tree. */
function digest(dir: string): Map<string, string> {
  return new Map(files(dir).map((f) => [relative(dir, f), createHash("sha256").update(readFileSync(f)).digest("hex")]));
}

async function corpus(options: GenerateOptions): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-scenario-gen-"));
  await writeScenarioCorpus(options, dir, catalog);
  return dir;
}

const small: GenerateOptions = {
  scenarios: ["ransomware-s3", "credential-misuse"],
  accounts: 2,
  days: 1,
  background: 3000,
  seed: 7,
};

describe("scenario generator", () => {
  it("gives byte-identical output for the same seed, in both formats, and different output for another", async () => {
    for (const format of ["s3", "jsonl"] as const) {
      const a = digest(await corpus({ ...small, format }));
      const b = digest(await corpus({ ...small, format }));
      assert.ok(a.size >= 2);
      assert.deepEqual(a, b, `${format} output differs between two runs with the same seed`);
      const c = digest(await corpus({ ...small, format, seed: 8 }));
      assert.notDeepEqual(a, c);
    }
  });

  it("writes the S3 delivery layout: 5-minute files per account and region holding their own records", async () => {
    const dir = await corpus({ ...small, format: "s3" });
    const key = AnswerKey.parse(JSON.parse(readFileSync(join(dir, "answer-key.json"), "utf8")));
    const logs = files(dir).filter((f) => f.endsWith(".json.gz"));
    assert.ok(logs.length > 100);
    const re =
      /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\d{8})T(\d{4})Z_[A-Z0-9]{16}\.json\.gz$/;
    const ids = new Set<string>();
    let events = 0;
    for (const f of logs) {
      const rel = relative(dir, f);
      const m = re.exec(rel);
      assert.ok(m, `bad delivery path ${rel}`);
      const [, account, region, , , , ymd, hm] = m as unknown as string[];
      assert.equal(Number(hm) % 5, 0, rel);
      const delivered = Date.parse(
        `${ymd?.slice(0, 4)}-${ymd?.slice(4, 6)}-${ymd?.slice(6, 8)}T${hm?.slice(0, 2)}:${hm?.slice(2)}:00Z`,
      );
      const { Records } = JSON.parse(gunzipSync(readFileSync(f)).toString("utf8")) as {
        Records: Array<Record<string, unknown>>;
      };
      for (const r of Records) {
        events++;
        assert.equal(r.recipientAccountId, account);
        assert.equal(r.awsRegion, region);
        const t = Date.parse(String(r.eventTime));
        assert.ok(t < delivered && t >= delivered - 300_000, `${r.eventTime} outside the period of ${rel}`);
        ids.add(String(r.eventID));
      }
    }
    assert.equal(ids.size, events, "eventIDs are unique");
    for (const s of key.scenarios) for (const st of s.steps) for (const id of st.eventIds) assert.ok(ids.has(id));
  });

  it("writes well-formed, consistent CloudTrail records and a valid answer key", async () => {
    const dir = await corpus({ ...small, format: "jsonl", scenarios: ["ssrf-imds", "console-takeover"] });
    const key = AnswerKey.parse(JSON.parse(readFileSync(join(dir, "answer-key.json"), "utf8")));
    const lines = readFileSync(join(dir, "events.jsonl"), "utf8").trimEnd().split("\n");
    const types = new Set<string>();
    const keyOwner = new Map<string, string>();
    let last = "";
    let reads = 0;
    let roles = 0;
    for (const line of lines) {
      const r = JSON.parse(line) as Record<string, unknown> & { userIdentity: Record<string, unknown> };
      assert.match(String(r.eventVersion), /^1\.\d\d$/);
      assert.match(String(r.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(String(r.eventTime) >= last, "JSON Lines are in time order");
      last = String(r.eventTime);
      assert.match(String(r.eventID), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(String(r.recipientAccountId), /^\d{12}$/);
      assert.equal(typeof r.managementEvent, "boolean");
      assert.equal(typeof r.readOnly, "boolean");
      assert.ok(["Management", "Data"].includes(String(r.eventCategory)));
      assert.equal(r.managementEvent, r.eventCategory === "Management");
      const ui = r.userIdentity;
      types.add(String(ui.type));
      if (/^\d/.test(String(r.sourceIPAddress)) && r.eventSource !== "signin.amazonaws.com")
        assert.ok(r.tlsDetails, `no tlsDetails: ${line.slice(0, 200)}`);
      if (ui.type === "AssumedRole") {
        roles++;
        const ctx = ui.sessionContext as { sessionIssuer: { arn: string; type: string } };
        assert.equal(ctx.sessionIssuer.type, "Role");
        assert.match(String(ui.accessKeyId), /^ASIA[A-Z2-7]{16}$/);
      }
      if (r.readOnly) reads++;
      // one access key, one principal
      const k = String(ui.accessKeyId ?? "");
      if (k !== "") {
        const owner = String(ui.arn);
        assert.equal(keyOwner.get(k) ?? owner, owner, `key ${k} used by two principals`);
        keyOwner.set(k, owner);
      }
    }
    for (const t of ["AssumedRole", "IAMUser", "AWSService", "SAMLUser", "WebIdentityUser", "AWSAccount"])
      assert.ok(types.has(t), `no ${t} identity in the background`);
    assert.ok(reads / lines.length > 0.6, "background is read-heavy");
    assert.ok(roles / lines.length > 0.5, "background is assumed-role heavy");
    const ssrf = key.scenarios.find((s) => s.name === "ssrf-imds");
    assert.ok(ssrf);
    assert.deepEqual(
      ssrf.steps.map((s) => s.cloudtrailVisible),
      [false, false, true, true, true],
    );
    assert.ok(ssrf.initialAccess.accessKeyId?.startsWith("ASIA"));
    assert.ok(ssrf.impact.exfiltrated.length > 0);
    assert.ok(ssrf.containBy < (ssrf.steps[4]?.start ?? ""));
    // the stolen instance credentials also work normally, from elsewhere, in the background
    const stolen = ssrf.initialAccess.accessKeyId as string;
    const attackIds = new Set(ssrf.steps.flatMap((s) => s.eventIds));
    const benign = lines.filter(
      (l) => l.includes(stolen) && !attackIds.has((JSON.parse(l) as { eventID: string }).eventID),
    );
    assert.ok(benign.length > 0);
  });

  it("renders the same bytes whatever the number of worker threads", async () => {
    const options: GenerateOptions = { ...small, background: 60_000, format: "jsonl" };
    const digestOf = async (workers: number) => {
      const hash = createHash("sha256");
      let parts = 0;
      const r = await generateScenarios(
        options,
        {
          write(b) {
            parts++;
            hash.update(b.bytes);
          },
        },
        catalog,
        { workers },
      );
      return { digest: hash.digest("hex"), events: r.events, parts };
    };
    const inline = await digestOf(0);
    const threaded = await digestOf(2);
    assert.ok(inline.parts >= 288, "every period was rendered");
    assert.deepEqual(threaded, inline);
  });

  it("gives each corpus its own accounts when several are generated in one process", async () => {
    for (const seed of [11, 12]) {
      const dir = await corpus({ ...small, seed, scenarios: [], format: "s3" });
      for (const f of files(dir).filter((x) => x.endsWith(".json.gz"))) {
        const account = relative(dir, f).split("/")[1];
        const { Records } = JSON.parse(gunzipSync(readFileSync(f)).toString("utf8")) as {
          Records: Array<{ recipientAccountId: string }>;
        };
        for (const r of Records) assert.equal(r.recipientAccountId, account, `seed ${seed}: ${relative(dir, f)}`);
      }
    }
  });

  it("refuses zero days, negative sizes and unknown scenarios", async () => {
    const sink = new CountingSink();
    for (const bad of [{ days: 0 }, { accounts: 0 }, { background: -1 }, { days: 1.5 }] as GenerateOptions[])
      await assert.rejects(generateScenarios({ ...small, ...bad }, sink, catalog), (e: unknown) => {
        assert.ok(e instanceof TechtrailError && e.code === "VALIDATION");
        return true;
      });
    await assert.rejects(generateScenarios({ ...small, scenarios: ["nope"] }, sink, catalog), /known scenarios: /);
  });
});

describe("benchmark corpus", () => {
  it("writes the same records as an S3 tree and as JSON Lines in one pass", async () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-bench-corpus-"));
    const r = await writeBenchCorpus({ events: 2000, scenarios: ["logging-disabled"] }, dir, catalog);
    const jsonl = readFileSync(join(dir, "events.jsonl"), "utf8").trimEnd().split("\n");
    assert.equal(jsonl.length, r.events);
    const fromS3 = files(join(dir, "s3")).flatMap(
      (f) => (JSON.parse(gunzipSync(readFileSync(f)).toString("utf8")) as { Records: unknown[] }).Records,
    );
    assert.equal(fromS3.length, r.events);
    const ids = (rs: Array<{ eventID: string }>) => rs.map((x) => x.eventID).sort();
    assert.deepEqual(ids(fromS3 as Array<{ eventID: string }>), ids(jsonl.map((l) => JSON.parse(l))));
  });
});

describe("JSON Lines sink", () => {
  it("writes scenario records with non-ASCII text exactly (escaped to ASCII by the generator)", () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-jsonl-sink-"));
    const sink = new JsonLinesSink(join(dir, "e.jsonl"));
    sink.open();
    const record = { eventName: "PutObject", requestParameters: { key: "reçu-日本-😀.pdf" } };
    sink.write(batchOf([asciiJson(record), asciiJson({ n: 2 })]));
    sink.close();
    const lines = readFileSync(join(dir, "e.jsonl"), "utf8").trimEnd().split("\n");
    assert.deepEqual(JSON.parse(lines[0] as string), record);
    assert.deepEqual(JSON.parse(lines[1] as string), { n: 2 });
  });
});

describe("writeBenchCorpus", () => {
  it("writes every record to the S3 tree as well as to JSON Lines (no file of a period overwrites another)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "techtrail-bench-corpus-"));
    await writeBenchCorpus({ events: 20_000, seed: 3, accounts: 2 }, dir);
    const lines = readFileSync(join(dir, "events.jsonl"), "utf8").split("\n").filter(Boolean).length;
    let records = 0;
    for (const e of readdirSync(join(dir, "s3"), { recursive: true, withFileTypes: true }))
      if (e.isFile())
        records += (
          JSON.parse(gunzipSync(readFileSync(join(e.parentPath, e.name))).toString()) as { Records: unknown[] }
        ).Records.length;
    assert.ok(lines > 20_000);
    assert.equal(records, lines);
  });
});
