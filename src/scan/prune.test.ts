import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { miniCatalog, tech } from "../catalog/test-helpers.js";
import { isTechtrailError } from "../core/errors.js";
import type { Finding } from "./model.js";
import { EventWindow, LayoutPruner, layoutOf, makeWindow, parseListOption, parseWindowTime } from "./prune.js";
import { scanPaths } from "./scan.js";
import { TRAIL_ACCOUNTS, TRAIL_ORG, TRAIL_RULE, type TrailFile, trailFiles, writeTrail } from "./test-helpers.js";

const catalog = miniCatalog([tech("T1562", {}), tech("T1562.008", {})]);
const seg = (p: string) => p.split("/");

describe("delivery layout", () => {
  it("reads account, region and day from plain and organisation trail paths", () => {
    const p = layoutOf(seg("/x/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/04/f_20260304T0105Z_a.json.gz"), true);
    assert.deepEqual(
      { ...p },
      {
        inLayout: true,
        atDay: true,
        account: "111122223333",
        region: "us-east-1",
        year: 2026,
        month: 3,
        day: 4,
        fileTime: Date.UTC(2026, 2, 4, 1, 5),
      },
    );
    const org = layoutOf(seg(`AWSLogs/${TRAIL_ORG}/444455556666/CloudTrail/eu-west-1/2026/03`), false);
    assert.equal(org.account, "444455556666");
    assert.equal(org.month, 3);
    assert.equal(org.day, undefined);
    assert.equal(layoutOf(seg("logs/2026/03/04/file.json"), true).inLayout, false);
    // a folder that breaks the layout is not pruned by name
    assert.equal(layoutOf(seg("AWSLogs/111122223333/CloudTrail/us-east-1/latest/f.json"), true).inLayout, false);
    assert.equal(layoutOf(seg("AWSLogs/not-an-account/CloudTrail"), false).inLayout, false);
  });

  it("prunes folders and files by account, region and day, allowing for delivery lag", () => {
    const w = makeWindow({
      fromMs: parseWindowTime("--from", "2026-03-04"),
      toMs: parseWindowTime("--to", "2026-03-04"),
      accounts: ["111122223333"],
      regions: ["us-east-1"],
    });
    const p = new LayoutPruner(w);
    const keep = (s: string, file = false) => p.keep(seg(s), file);
    assert.equal(keep("AWSLogs/111122223333"), true);
    assert.equal(keep("AWSLogs/999999999999"), false);
    assert.equal(keep(`AWSLogs/${TRAIL_ORG}`), true);
    assert.equal(keep(`AWSLogs/${TRAIL_ORG}/999999999999`), false);
    assert.equal(keep("AWSLogs/111122223333/CloudTrail/eu-west-1"), false);
    assert.equal(keep("AWSLogs/111122223333/CloudTrail/us-east-1/2025"), false);
    assert.equal(keep("AWSLogs/111122223333/CloudTrail/us-east-1/2026/02"), false);
    assert.equal(keep("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/03"), false);
    assert.equal(keep("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/04"), true);
    // the next day's folder may hold files delivered late (first hour)
    assert.equal(keep("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/05"), true);
    assert.equal(keep("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/06"), false);
    const day5 = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/05/111122223333_CloudTrail_us-east-1";
    assert.equal(keep(`${day5}_20260305T0020Z_a.json.gz`, true), true);
    assert.equal(keep(`${day5}_20260305T0120Z_a.json.gz`, true), false);
    // anything outside the layout is kept (its events are filtered instead)
    assert.equal(keep("exports/extra.jsonl", true), true);
  });

  it("parses window options and names what is wrong", () => {
    assert.equal(parseWindowTime("--from", "2026-03-04T10:00:00+02:00"), Date.UTC(2026, 2, 4, 8));
    assert.equal(parseWindowTime("--to", "2026-03-04"), Date.UTC(2026, 2, 5));
    for (const bad of ["2026-02-30", "yesterday", "2026-03-04T10:00"])
      assert.throws(
        () => parseWindowTime("--from", bad),
        (e: unknown) => isTechtrailError(e) && e.message.includes(`--from: '${bad}'`),
      );
    assert.deepEqual(parseListOption("--regions", ["us-east-1,eu-west-1", "us-east-1"]), ["us-east-1", "eu-west-1"]);
    assert.throws(() => parseListOption("--accounts", ["1234"]), /--accounts: '1234' is not a 12-digit account ID/);
    assert.throws(() => makeWindow({ fromMs: 10, toMs: 5 }), /must be before --to/);
  });

  it("checks events by eventTime, account and region", () => {
    const w = new EventWindow(
      makeWindow({ fromMs: Date.UTC(2026, 0, 1), toMs: Date.UTC(2026, 0, 2), regions: ["us-east-1"] }),
    );
    const ev = (eventTime: unknown, awsRegion = "us-east-1") => ({ eventTime, awsRegion });
    assert.equal(w.has(ev("2026-01-01T00:00:00Z")), true);
    assert.equal(w.has(ev("2026-01-02T00:00:00Z")), false);
    assert.equal(w.has(ev("2025-12-31T23:59:59Z")), false);
    assert.equal(w.has(ev("2026-01-01T05:00:00Z", "eu-west-1")), false);
    assert.equal(w.has(ev(undefined)), false);
  });
});

describe("scan with a window over a 90-day tree", () => {
  let root: string;
  let files: TrailFile[];
  let all: Finding[];
  let totalStored: number;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "techtrail-prune-"));
    files = trailFiles("2026-01-01", 90);
    writeTrail(root, files);
    totalStored = files.reduce((n, f) => n + f.body.length, 0);
    const r = await scanPaths([root], { builtinRules: false, ruleTexts: [TRAIL_RULE], workers: 2 }, { catalog });
    all = r.findings;
    assert.equal(r.summary.files.scanned, files.length);
    assert.equal(r.summary.window, undefined);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const ids = (fs: readonly Finding[]) => fs.map((f) => f.eventID as string).sort();
  const inside = (from: number, to: number, keep: (f: Finding) => boolean = () => true) =>
    ids(
      all.filter((f) => Date.parse(f.eventTime as string) >= from && Date.parse(f.eventTime as string) < to && keep(f)),
    );

  it("a one-day question opens only that day's files (and the next day's first hour) and reads ≤ 2% of the bytes", async () => {
    const r = await scanPaths(
      [root],
      {
        builtinRules: false,
        ruleTexts: [TRAIL_RULE],
        workers: 2,
        window: { fromMs: Date.UTC(2026, 1, 10), toMs: Date.UTC(2026, 1, 11) },
      },
      { catalog },
    );
    const s = r.summary;
    // 4 streams × (4 files of the day + the next day's 00:20 file) + the file outside the layout
    assert.equal(s.files.scanned, 4 * 5 + 1);
    assert.ok((s.files.stored ?? 0) <= totalStored * 0.02, `${s.files.stored} of ${totalStored} bytes read`);
    assert.ok(s.window && s.window.prunedFolders > 0);
    assert.equal(s.window?.from, "2026-02-10T00:00:00.000Z");
    // same findings as the full scan cut to the day, including the event of 23:58 delivered after midnight
    const expected = inside(Date.UTC(2026, 1, 10), Date.UTC(2026, 1, 11));
    assert.equal(expected.length, 4 * 4 + 4); // 4 per stream + 1 late per stream (day 10 has no extra.jsonl event)
    assert.deepEqual(ids(r.findings), expected);
    assert.ok(expected.some((id) => id.startsWith("late-")));
    // events of the files read but outside the day were counted, not evaluated
    assert.ok((s.window?.outsideEvents ?? 0) > 0);
    assert.equal(s.events.evaluated, expected.length);
  });

  it("prunes by account and region (organisation trail too) and filters files outside the layout", async () => {
    const from = Date.UTC(2026, 0, 1);
    const to = Date.UTC(2026, 0, 15);
    const r = await scanPaths(
      [root],
      {
        builtinRules: false,
        ruleTexts: [TRAIL_RULE],
        workers: 0,
        window: { fromMs: from, toMs: to, accounts: [TRAIL_ACCOUNTS[1]], regions: ["eu-west-1"] },
      },
      { catalog },
    );
    assert.equal(r.summary.files.scanned, 14 * 4 + 1 + 1);
    assert.ok(r.findings.every((f) => f.accountId === TRAIL_ACCOUNTS[1] && f.awsRegion === "eu-west-1"));
    assert.deepEqual(
      ids(r.findings),
      inside(from, to, (f) => f.accountId === TRAIL_ACCOUNTS[1] && f.awsRegion === "eu-west-1"),
    );
    // the file outside the layout is read; its events in the window belong to the other account
    const extra = await scanPaths(
      [join(root, "exports")],
      { builtinRules: false, ruleTexts: [TRAIL_RULE], workers: 0, window: { fromMs: from, toMs: to } },
      { catalog },
    );
    assert.deepEqual(ids(extra.findings), ["x-0", "x-10"]);
    assert.equal(extra.summary.window?.outsideEvents, 1);
  });
});
