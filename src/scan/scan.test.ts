import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { isTechtrailError } from "../core/errors.js";
import type { Finding } from "./model.js";
import { type ScanResult, scanPaths } from "./scan.js";

const catalog = miniCatalog([
  tech("T1098", { tactics: ["TA0006"] }),
  tech("T1098.001", { tactics: ["TA0006"] }),
  tech("T1078", { tactics: ["TA0005"] }),
  tech("T1078.004", { tactics: ["TA0005"] }),
  tech("T1562", { tactics: ["TA0005"] }),
  tech("T1562.008", { tactics: ["TA0005"] }),
]);

const RULES = [
  {
    source: "create-key.yml",
    text: `title: Access key created
id: r-create-key
level: high
tags: [attack.t1098.001]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: iam.amazonaws.com
    eventName: CreateAccessKey
  condition: selection
`,
  },
  {
    source: "root.yml",
    text: `title: Root used
id: r-root
level: medium
tags: [attack.t1078.004]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    userIdentity.type: Root
  filter:
    eventType: AwsServiceEvent
  condition: selection and not filter
`,
  },
  {
    source: "stop-logging.yml",
    text: `title: Trail stopped
id: r-stop
level: high
tags: [attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: StopLogging
    requestParameters.name|contains: trail
  condition: selection
`,
  },
];

const opts = { builtinRules: false, ruleTexts: RULES, workers: 0 };
let n = 0;
function ev(name: string, source: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  n++;
  return {
    eventVersion: "1.09",
    userIdentity: {
      type: "IAMUser",
      arn: "arn:aws:iam::111122223333:user/alice",
      accessKeyId: "AKIAEXAMPLE",
      accountId: "111122223333",
    },
    eventTime: `2024-05-01T10:${String(n % 60).padStart(2, "0")}:00Z`,
    eventSource: `${source}.amazonaws.com`,
    eventName: name,
    awsRegion: "us-east-1",
    sourceIPAddress: "198.51.100.7",
    userAgent: "aws-cli/2",
    requestParameters: null,
    eventID: `id-${n}`,
    recipientAccountId: "111122223333",
    ...extra,
  };
}

/** A small account's day: noise plus three matching events (one of them a failed call). */
function sample(): Array<Record<string, unknown>> {
  n = 0;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 30; i++) out.push(ev(i % 2 ? "DescribeInstances" : "GetObject", i % 2 ? "ec2" : "s3"));
  out.push(ev("CreateAccessKey", "iam", { requestParameters: { userName: "bob" } }));
  out.push(
    ev("StopLogging", "cloudtrail", {
      requestParameters: { name: "org-trail" },
      errorCode: "AccessDenied",
      userIdentity: { type: "Root", arn: "arn:aws:iam::111122223333:root", accountId: "111122223333" },
    }),
  );
  // a nested "eventName" must not hide the top-level one
  out.push(ev("CreateAccessKey", "iam", { additionalEventData: { eventName: "Other" } }));
  out.push(ev("ConsoleLogin", "signin", { eventType: "AwsServiceEvent", userIdentity: { type: "Root" } }));
  return out;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "techtrail-scan-"));
}

const key = (f: Finding) => `${f.eventID}|${f.rule.id}`;
const keys = (r: ScanResult) => r.findings.map(key).sort();

describe("scanPaths: formats", () => {
  const events = sample();
  const dir = tmp();
  const s3 = join(dir, "s3", "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2024", "05", "01");
  mkdirSync(s3, { recursive: true });
  writeFileSync(join(s3, "a.json.gz"), gzipSync(JSON.stringify({ Records: events.slice(0, 20) })));
  writeFileSync(join(s3, "b.json"), JSON.stringify({ Records: events.slice(20) }, null, 2));
  const jsonl = events.map((e) => JSON.stringify(e)).join("\n");
  writeFileSync(join(dir, "events.jsonl"), jsonl);
  writeFileSync(join(dir, "events.jsonl.gz"), gzipSync(jsonl));
  // the name says nothing: content decides
  writeFileSync(join(dir, "array.txt"), JSON.stringify(events, null, 3));

  it("finds the same findings in an S3 delivery tree, JSON Lines (plain, gzip), a JSON array and stdin", async () => {
    const results = await Promise.all([
      scanPaths([join(dir, "s3")], opts, { catalog }),
      scanPaths([join(dir, "events.jsonl")], opts, { catalog }),
      scanPaths([join(dir, "events.jsonl.gz")], opts, { catalog }),
      scanPaths([join(dir, "array.txt")], opts, { catalog }),
      scanPaths(["-"], opts, { catalog, stdin: Readable.from([Buffer.from(jsonl)]) }),
      scanPaths(["-"], opts, { catalog, stdin: Readable.from([gzipSync(JSON.stringify({ Records: events }))]) }),
    ]);
    const expected = ["id-31|r-create-key", "id-32|r-root", "id-32|r-stop", "id-33|r-create-key"];
    for (const r of results) {
      assert.deepEqual(keys(r), expected);
      assert.equal(r.summary.events.read, events.length);
      assert.equal(r.summary.skipped.total, 0);
    }
  });

  it("records where each event came from: line numbers for JSON Lines, indexes for arrays", async () => {
    const lines = await scanPaths([join(dir, "events.jsonl")], opts, { catalog });
    const f = lines.findings.find((x) => x.eventID === "id-31");
    assert.deepEqual(f?.origin, { file: join(dir, "events.jsonl"), line: 31 });
    const tree = await scanPaths([join(dir, "s3")], opts, { catalog });
    const g = tree.findings.find((x) => x.eventID === "id-32");
    assert.deepEqual(g?.origin, { file: join(s3, "b.json"), index: 11 });
  });

  it("fills the finding fields: techniques, tactics, principal, key, account, attempt", async () => {
    const r = await scanPaths([join(dir, "events.jsonl")], opts, { catalog });
    const stop = r.findings.find((x) => x.rule.id === "r-stop");
    assert.ok(stop);
    assert.deepEqual(stop.rule, { id: "r-stop", title: "Trail stopped", level: "high" });
    assert.deepEqual(stop.techniques, ["T1562.008"]);
    assert.deepEqual(stop.tactics, ["TA0005"]);
    assert.equal(stop.errorCode, "AccessDenied");
    assert.equal(stop.attempt, true);
    assert.equal(stop.principalArn, "arn:aws:iam::111122223333:root");
    assert.equal(stop.accountId, "111122223333");
    const key1 = r.findings.find((x) => x.eventID === "id-31");
    assert.equal(key1?.attempt, false);
    assert.equal(key1?.accessKeyId, "AKIAEXAMPLE");
    assert.equal(key1?.eventSource, "iam.amazonaws.com");
    assert.equal(key1?.awsRegion, "us-east-1");
    assert.equal(key1?.userAgent, "aws-cli/2");
    assert.equal(key1?.sourceIPAddress, "198.51.100.7");
  });

  it("summarises techniques, tactics and a per-principal timeline", async () => {
    const { summary } = await scanPaths([join(dir, "events.jsonl")], opts, { catalog });
    assert.equal(summary.findings.total, 4);
    assert.equal(summary.findings.attempts, 2);
    assert.deepEqual(
      summary.techniques.map((t) => [t.id, t.findings, t.attempts]),
      [
        ["T1098.001", 2, 0],
        ["T1078.004", 1, 1],
        ["T1562.008", 1, 1],
      ],
    );
    const root = summary.principals.find((p) => p.principal === "arn:aws:iam::111122223333:root");
    assert.deepEqual(
      root?.timeline.map((t) => t.ruleId),
      ["r-root", "r-stop"],
    );
    const alice = summary.principals.find((p) => p.principal.endsWith("user/alice"));
    assert.equal(alice?.findings, 2);
    assert.deepEqual(alice?.techniques, ["T1098.001"]);
    assert.ok(summary.events.evaluated < summary.events.read, "the pre-filter skipped records no rule can match");
    assert.equal(summary.rules.loaded, 3);
  });
});

describe("scanPaths: workers and chunks", () => {
  it("gives identical findings with 0, 1 and 3 workers, and with chunked JSON Lines ranges", async () => {
    const dir = tmp();
    const lines: string[] = [];
    for (let i = 0; i < 60; i++)
      for (const e of sample()) lines.push(JSON.stringify({ ...e, eventID: `${e.eventID}-${i}` }));
    const file = join(dir, "big.jsonl");
    writeFileSync(file, `${lines.join("\n")}\n`);
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, `small-${i}.json`), JSON.stringify({ Records: sample() }));
    const base = { builtinRules: false, ruleTexts: RULES, chunkBytes: 8192 };
    const [w0, w1, w3, nofilter] = [
      await scanPaths([dir], { ...base, workers: 0 }, { catalog }),
      await scanPaths([dir], { ...base, workers: 1 }, { catalog }),
      await scanPaths([dir], { ...base, workers: 3 }, { catalog }),
      await scanPaths([dir], { ...base, workers: 2, prefilter: false }, { catalog }),
    ];
    const json = (r: ScanResult) => JSON.stringify(r.findings);
    assert.equal(w0.findings.length, 60 * 4 + 5 * 4);
    assert.equal(json(w1), json(w0));
    assert.equal(json(w3), json(w0));
    assert.equal(json(nofilter), json(w0), "the pre-filter changes nothing but speed");
    assert.equal(w3.summary.workers, 3);
    // line numbers of later ranges continue the earlier ones
    const text = readFileSync(file, "utf8").split("\n");
    for (const f of w3.findings.filter((x) => x.origin.file === file)) {
      const line = text[(f.origin.line as number) - 1] ?? "";
      assert.equal(JSON.parse(line).eventID, f.eventID);
    }
    // sorted by eventTime, then file, then line/index, then rule
    const order = w3.findings.map(
      (f) => `${f.eventTime}|${f.origin.file}|${String(f.origin.line ?? f.origin.index).padStart(6, "0")}|${f.rule.id}`,
    );
    assert.deepEqual(order, [...order].sort());
  });
});

describe("scanPaths: pre-filter edge cases", () => {
  /** CreateAccessKey written with an escape, in upper case, with spaces, and after a nested eventName. */
  const CREATE_KEY_LINES = [
    '{"eventSource":"iam.amazonaws.com","eventName":"Create\\u0041ccessKey","eventID":"esc"}',
    '{"eventSource":"iam.amazonaws.com","eventName":"CREATEACCESSKEY","eventID":"upper"}',
    '{"eventSource" : "iam.amazonaws.com", "eventName"  :  "CreateAccessKey", "eventID":"spaced"}',
    '{"eventSource":"iam.amazonaws.com","eventID":"nested-first","requestParameters":{"eventName":"X"},"eventName":"CreateAccessKey"}',
  ];

  it("still matches escaped, upper-case, spaced and non-string eventNames", async () => {
    const dir = tmp();
    const lines = [
      ...CREATE_KEY_LINES,
      '{"eventSource":"iam.amazonaws.com","eventName":"ListUsers","userIdentity":{"type":"ROOT"},"eventID":"root-upper"}',
    ];
    writeFileSync(join(dir, "e.jsonl"), lines.join("\n"));
    const r = await scanPaths([dir], opts, { catalog });
    assert.deepEqual(r.findings.map((f) => f.eventID).sort(), ["esc", "nested-first", "root-upper", "spaced", "upper"]);
  });

  it("decides the same on bytes (no unindexed rule) and on text (an unindexed rule's literal test)", async () => {
    const dir = tmp();
    const lines = [
      ...CREATE_KEY_LINES,
      '{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","userAgent":"agent-\\u00e9-\\u4e2d","eventID":"non-ascii-elsewhere"}',
      '{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","userAgent":"agent-é-中","eventID":"raw-utf8-elsewhere"}',
      '{"eventSource":"iam.amazonaws.com","eventName":"CréateAccessKey","eventID":"non-ascii-name"}',
      '{"eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"other-name"}',
    ];
    writeFileSync(join(dir, "e.jsonl"), lines.join("\n"));
    const expected = ["esc", "nested-first", "non-ascii-elsewhere", "raw-utf8-elsewhere", "spaced", "upper"];
    const createOnly = RULES.filter((r) => r.source === "create-key.yml");
    const bytes = await scanPaths([dir], { ...opts, ruleTexts: createOnly }, { catalog });
    const text = await scanPaths([dir], { ...opts, ruleTexts: RULES }, { catalog });
    const off = await scanPaths([dir], { ...opts, ruleTexts: RULES, prefilter: false }, { catalog });
    const ids = (r: ScanResult, rule: string) =>
      r.findings
        .filter((f) => f.rule.id === rule)
        .map((f) => f.eventID)
        .sort();
    assert.deepEqual(ids(bytes, "r-create-key"), expected);
    assert.deepEqual(ids(text, "r-create-key"), expected);
    assert.deepEqual(ids(off, "r-create-key"), expected);
    assert.equal(JSON.stringify(text.findings), JSON.stringify(off.findings));
  });
});

describe("scanPaths: bad input", () => {
  it("reports a truncated gzip, a non-JSON line and non-CloudTrail JSON with their location, and goes on", async () => {
    const dir = tmp();
    const good = sample();
    const gz = gzipSync(JSON.stringify({ Records: good }));
    writeFileSync(join(dir, "cut.json.gz"), gz.subarray(0, Math.floor(gz.length * 0.6)));
    writeFileSync(
      join(dir, "mixed.jsonl"),
      [JSON.stringify(good[30]), "this is not json", '{"foo": 1}', "[1,2]", JSON.stringify(good[32])].join("\n"),
    );
    const r = await scanPaths([dir], opts, { catalog });
    assert.deepEqual(r.summary.skipped.byReason, { truncated: 1, "not-json": 1, "not-cloudtrail": 2 });
    const ex = r.summary.skipped.examples;
    assert.ok(
      ex.some(
        (e) => e.reason === "truncated" && e.file.endsWith("cut.json.gz") && /truncated or corrupt/.test(e.message),
      ),
    );
    assert.ok(ex.some((e) => e.reason === "not-json" && e.line === 2));
    assert.ok(ex.some((e) => e.reason === "not-cloudtrail" && e.line === 3 && /eventName/.test(e.message)));
    assert.ok(ex.some((e) => e.reason === "not-cloudtrail" && e.line === 4 && /array/.test(e.message)));
    // findings from the good lines, and from the records before the cut
    assert.ok(r.findings.some((f) => f.origin.file.endsWith("mixed.jsonl") && f.origin.line === 5));
    assert.ok(r.summary.events.read > 5);
  });

  it("skips a single 100 MB line as too large without holding it in memory, and reads the next line", async () => {
    const dir = tmp();
    const file = join(dir, "huge.jsonl");
    const huge = Buffer.alloc(100 * 1024 * 1024, 0x61);
    huge.write('{"eventName":"CreateAccessKey","x":"', 0);
    const rest = Buffer.from(`"}\n${JSON.stringify(sample()[30])}\n`);
    writeFileSync(file, Buffer.concat([huge, rest]));
    const before = process.memoryUsage().rss;
    const r = await scanPaths([file], { ...opts, maxRecordBytes: 1024 * 1024 }, { catalog });
    assert.equal(r.summary.skipped.byReason["too-large"], 1);
    assert.equal(r.summary.skipped.examples[0]?.line, 1);
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0]?.origin.line, 2);
    assert.ok(process.memoryUsage().rss - before < 80 * 1024 * 1024, "the line was never buffered whole");
  });

  it("reports unreadable and non-JSON files and scans the rest", async () => {
    const dir = tmp();
    symlinkSync(join(dir, "missing-target"), join(dir, "dangling.json"));
    writeFileSync(join(dir, "README.md"), "# notes\n");
    writeFileSync(join(dir, "ok.jsonl"), JSON.stringify(sample()[30]));
    const r = await scanPaths([dir], opts, { catalog });
    assert.equal(r.summary.skipped.byReason.unreadable, 1);
    assert.equal(r.summary.skipped.byReason["unknown-format"], 1);
    assert.equal(r.summary.files.skipped, 2);
    assert.equal(r.findings.length, 1);
  });

  it("treats gzip files inflated in one call like streamed ones: empty, not JSON, a bomb, a JSON array", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "empty.json.gz"), gzipSync(""));
    writeFileSync(join(dir, "notes.gz"), gzipSync("# not CloudTrail\n"));
    // inflates to 40 MiB of blanks (over the one-call limit): streamed, holds no record, no problem
    writeFileSync(join(dir, "bomb.json.gz"), gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20)));
    writeFileSync(join(dir, "array.json.gz"), gzipSync(JSON.stringify(sample())));
    const r = await scanPaths([dir], opts, { catalog });
    assert.equal(r.summary.skipped.byReason["unknown-format"], 1);
    assert.ok(r.summary.skipped.examples.some((e) => e.file.endsWith("notes.gz") && e.reason === "unknown-format"));
    const stdin = await scanPaths(["-"], opts, {
      catalog,
      stdin: Readable.from([gzipSync(JSON.stringify(sample()))]),
    });
    const ids = (x: ScanResult) => x.findings.map((f) => `${f.rule.id}|${f.eventID}|${f.origin.index}`).sort();
    assert.ok(r.findings.length > 0);
    assert.deepEqual(ids(r), ids(stdin), "the array file (one call) and the same bytes on stdin (streamed) agree");
    assert.equal(r.summary.skipped.total, 1, JSON.stringify(r.summary.skipped));
  });

  it("reports rules with YAML or condition errors with file:line:column and scans with the others", async () => {
    const bad = [
      ...RULES,
      { source: "broken.yml", text: "title: x\ndetection: [unclosed\n" },
      {
        source: "bad-cond.yml",
        text: "title: y\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: X\n  condition: sel and and\n",
      },
    ];
    const dir = tmp();
    writeFileSync(
      join(dir, "e.jsonl"),
      sample()
        .map((e) => JSON.stringify(e))
        .join("\n"),
    );
    const r = await scanPaths([dir], { ...opts, ruleTexts: bad }, { catalog });
    assert.equal(r.summary.rules.loaded, 3);
    assert.equal(r.summary.rules.failed, 2);
    const broken = r.summary.rules.errors.find((e) => e.source === "broken.yml");
    assert.ok(broken?.line !== undefined && broken.column !== undefined, "YAML error located");
    const cond = r.summary.rules.errors.find((e) => e.source === "bad-cond.yml");
    assert.equal(cond?.line, 6);
    assert.ok(cond?.column !== undefined);
    assert.equal(r.findings.length, 4);
  });

  it("stops at the first problem with strict", async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "e.jsonl"),
      [JSON.stringify(sample()[30]), "garbage", JSON.stringify(sample()[30])].join("\n"),
    );
    await assert.rejects(
      scanPaths([dir], { ...opts, strict: true }, { catalog }),
      (e) => isTechtrailError(e) && e.problems[0]?.line === 2 && /strict/.test(e.message),
    );
    await assert.rejects(
      scanPaths(
        [dir],
        { ...opts, strict: true, ruleTexts: [...RULES, { source: "b.yml", text: "title: [" }] },
        { catalog },
      ),
      (e) => isTechtrailError(e) && /rule error/.test(e.message),
    );
  });

  it("rejects paths that do not exist and invalid options", async () => {
    await assert.rejects(
      scanPaths(["/nonexistent/x"], opts, { catalog }),
      (e) => isTechtrailError(e) && e.code === "NOT_FOUND",
    );
    await assert.rejects(
      scanPaths(["-"], { ...opts, workers: -1 }, { catalog }),
      (e) => isTechtrailError(e) && e.code === "VALIDATION",
    );
  });
});

describe("scanPaths: special files", () => {
  it("does not block on a FIFO given as input", async () => {
    const dir = tmp();
    const fifo = join(dir, "pipe");
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [fifo]);
    writeFileSync(join(dir, "ok.jsonl"), JSON.stringify(sample()[30]));
    const r = await scanPaths([fifo, join(dir, "ok.jsonl")], opts, { catalog });
    assert.equal(r.summary.skipped.byReason.unreadable, 1);
    assert.match(r.summary.skipped.examples[0]?.message ?? "", /not a regular file/);
    assert.equal(r.findings.length, 1);
  });
});

describe("scanPaths: progress", () => {
  it("reports files, events and findings as it goes, ending with the totals", async () => {
    const dir = tmp();
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, `f${i}.json`), JSON.stringify({ Records: sample() }));
    const seen: Array<{ filesDone: number; events: number; findings: number }> = [];
    const r = await scanPaths([dir], { ...opts, workers: 2 }, { catalog, onProgress: (p) => seen.push(p) });
    const last = seen[seen.length - 1];
    assert.ok(last);
    assert.equal(last.filesDone, 4);
    assert.equal(last.events, r.summary.events.read);
    assert.equal(last.findings, r.findings.length);
    for (let i = 1; i < seen.length; i++) assert.ok((seen[i]?.events ?? 0) >= (seen[i - 1]?.events ?? 0));
  });
});

describe("scanPaths: streamed findings", () => {
  it("passes findings to onFindings as they come, keeps none, and summarises them as when collected", async () => {
    const dir = tmp();
    const lines: string[] = [];
    for (let i = 0; i < 40; i++)
      for (const e of sample()) lines.push(JSON.stringify({ ...e, eventID: `${e.eventID}-${i}` }));
    writeFileSync(join(dir, "big.jsonl"), `${lines.join("\n")}\n`);
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `small-${i}.json`), JSON.stringify({ Records: sample() }));
    const base = { builtinRules: false, ruleTexts: RULES, chunkBytes: 8192, timelineLimit: 5 };
    const collected = await scanPaths([dir], { ...base, workers: 0 }, { catalog });
    const streamed: Finding[] = [];
    let calls = 0;
    const r = await scanPaths(
      [dir],
      { ...base, workers: 2 },
      {
        catalog,
        onFindings: async (batch) => {
          calls++;
          streamed.push(...batch);
          await new Promise((res) => setImmediate(res)); // a slow writer holds the scan back
        },
      },
    );
    assert.equal(r.findings.length, 0, "nothing kept with a sink");
    assert.ok(calls > 0);
    assert.deepEqual(streamed.map(key).sort(), keys(collected));
    // the same origins (line numbers of chunked ranges included) whatever the order of arrival
    const origin = (f: Finding) => `${key(f)}|${f.origin.file}|${f.origin.line ?? f.origin.index}`;
    assert.deepEqual(streamed.map(origin).sort(), collected.findings.map(origin).sort());
    const strip = (s: ScanResult["summary"]) => ({
      ...s,
      durationMs: 0,
      scanMs: 0,
      eventsPerSecond: 0,
      scanEventsPerSecond: 0,
      workers: 0,
    });
    assert.deepEqual(strip(r.summary), strip(collected.summary));
    // timelines hold the earliest findings of each principal, in time order
    for (const p of r.summary.principals) {
      const times = p.timeline.map((t) => t.eventTime ?? "");
      assert.deepEqual(times, [...times].sort());
      assert.equal(p.omitted, p.findings - p.timeline.length);
    }
  });

  it("keeps a bounded evidence sample per technique: the earliest findings", async () => {
    const dir = tmp();
    const lines: string[] = [];
    for (let i = 0; i < 30; i++)
      for (const e of sample()) lines.push(JSON.stringify({ ...e, eventID: `${e.eventID}-${i}` }));
    writeFileSync(join(dir, "e.jsonl"), lines.join("\n"));
    const r = await scanPaths([dir], { ...opts, evidencePerTechnique: 3 }, { catalog, onFindings: () => undefined });
    const t = r.summary.techniques.find((x) => x.id === "T1098.001");
    assert.equal(t?.findings, 60);
    const sample1098 = r.evidence.filter((f) => f.techniques.includes("T1098.001"));
    assert.equal(sample1098.length, 3);
    const all = (await scanPaths([dir], opts, { catalog })).findings.filter((f) => f.techniques.includes("T1098.001"));
    assert.deepEqual(sample1098, all.slice(0, 3), "the three earliest, in order");
  });

  it("minLevel: findings below it are counted in the summary and nothing else", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "e.json"), JSON.stringify({ Records: sample() }));
    const seen: Finding[] = [];
    const r = await scanPaths(
      [dir],
      { ...opts, minLevel: "high" },
      { catalog, onFindings: (b) => void seen.push(...b) },
    );
    assert.ok(seen.length > 0);
    assert.ok(seen.every((f) => f.rule.level === "high"));
    assert.equal(r.summary.findings.minLevel, "high");
    assert.equal(r.summary.findings.belowMinLevel, 1, "the medium root finding");
    assert.equal(r.summary.findings.total, seen.length);
    assert.equal(r.summary.findings.byLevel.medium, undefined);
  });

  it("stops when the signal aborts, with the signal's reason", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "e.json"), JSON.stringify({ Records: sample() }));
    const ac = new AbortController();
    const reason = new Error("too slow");
    ac.abort(reason);
    await assert.rejects(scanPaths([dir], { ...opts, workers: 1 }, { catalog, signal: ac.signal }), (e) => {
      return e === reason || (isTechtrailError(e) && e.cause === reason);
    });
  });
});

describe("scanPaths: on the calling thread", () => {
  it("lets other work run while it scans (a server's small upload): a gzip file inflated in one call is scanned in slices", async () => {
    const dir = tmp();
    const lines: string[] = [];
    for (let i = 0; i < 25_000; i++)
      lines.push(JSON.stringify(ev("CreateAccessKey", "iam", { eventID: `k-${i}`, requestParameters: { n: i } })));
    const gz = gzipSync(`${lines.join("\n")}\n`);
    assert.ok(gz.length < 4 * 1024 * 1024, "small enough to be inflated in one call");
    writeFileSync(join(dir, "keys.jsonl.gz"), gz);
    // the longest time the thread was held: without slices, the whole inflated file is split and matched in
    // one go (about 60 % of the scan's time); with them, inflating and the first slice (under 30 %)
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const t0 = performance.now();
    try {
      const r = await scanPaths([dir], opts, { catalog, onFindings: () => undefined });
      assert.equal(r.summary.findings.total, 25_000);
    } finally {
      clearInterval(timer);
    }
    const took = performance.now() - t0;
    assert.ok(longest < took / 2, `the thread was held for ${longest.toFixed(0)} ms of a ${took.toFixed(0)} ms scan`);
  });
});
