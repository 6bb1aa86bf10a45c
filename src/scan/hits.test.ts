import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FindingStore, HitEncoder, type RuleMeta } from "./hits.js";

const rules: RuleMeta[] = [
  { rule: { id: "b-rule", title: "B", level: "low" }, techniques: ["T1"], tactics: [] },
  { rule: { id: "a-rule", title: "A", level: "high" }, techniques: [], tactics: [] },
];

describe("HitEncoder and FindingStore", () => {
  it("round-trip every field exactly, whatever the shape of eventID and eventTime", () => {
    const enc = new HitEncoder();
    const events = [
      { eventID: "0f9e7c1a-1111-4e0b-9a53-2f8d1c9e0001", eventTime: "2024-05-01T10:00:00Z", errorCode: "AccessDenied" },
      { eventID: "0F9E7C1A-1111-4E0B-9A53-2F8D1C9E0001", eventTime: "2024-05-01T10:00:00.123Z" },
      { eventID: "not-a-uuid", eventTime: "2024-02-30T00:00:00Z" },
      {},
    ].map((e, i) => ({
      ...e,
      eventSource: "iam.amazonaws.com",
      eventName: "CreateUser",
      awsRegion: "eu-west-1",
      userIdentity: { arn: `arn:aws:iam::1:user/u${i % 2}`, accessKeyId: "AKIA1", accountId: "1" },
    }));
    events.forEach((e, i) => {
      enc.add(i % 2, i + 1, e);
    });
    const store = new FindingStore(rules);
    store.append(enc.take(), 7, 0);
    store.finish(new Map([[7, { file: "f.jsonl", originKind: "line", lineBase: 10 }]]));
    const got = store.toArray();
    assert.equal(got.length, 4);
    // sorted by time: the event without a time first
    assert.deepEqual(
      got.map((f) => f.eventTime),
      [undefined, "2024-02-30T00:00:00Z", "2024-05-01T10:00:00.123Z", "2024-05-01T10:00:00Z"],
    );
    const first = got.find((f) => f.eventID === "0f9e7c1a-1111-4e0b-9a53-2f8d1c9e0001");
    assert.deepEqual(first, {
      rule: rules[0]?.rule,
      techniques: ["T1"],
      tactics: [],
      eventID: "0f9e7c1a-1111-4e0b-9a53-2f8d1c9e0001",
      eventTime: "2024-05-01T10:00:00Z",
      eventSource: "iam.amazonaws.com",
      eventName: "CreateUser",
      awsRegion: "eu-west-1",
      errorCode: "AccessDenied",
      attempt: true,
      principalArn: "arn:aws:iam::1:user/u0",
      accessKeyId: "AKIA1",
      accountId: "1",
      origin: { file: "f.jsonl", line: 11 },
    });
    assert.ok(got.some((f) => f.eventID === "0F9E7C1A-1111-4E0B-9A53-2F8D1C9E0001"));
    assert.ok(got.some((f) => f.eventID === "not-a-uuid" && f.attempt === false));
  });

  it("gives packed times back as written, across days, years and before 1970", () => {
    const times = [
      "2024-02-29T23:59:59Z",
      "2024-03-01T00:00:00Z",
      "2024-03-01T00:00:01Z",
      "1969-12-31T23:59:59Z",
      "1066-10-14T09:30:00Z",
      "9999-12-31T23:59:59Z",
      "2026-11-26T12:00:00Z",
    ];
    const enc = new HitEncoder();
    times.forEach((eventTime, i) => {
      enc.add(0, i, { eventTime, eventID: "e" });
    });
    const store = new FindingStore(rules);
    store.append(enc.take(), 1, 0);
    store.finish(new Map([[1, { file: "f", originKind: "index", lineBase: 0 }]]));
    assert.deepEqual(
      store.toArray().map((f) => f.eventTime),
      [...times].sort(),
    );
  });

  it("keeps per-thread dictionaries apart across batches", () => {
    const a = new HitEncoder();
    const b = new HitEncoder();
    a.add(0, 1, { eventName: "X", eventTime: "2024-01-01T00:00:01Z" });
    b.add(0, 1, { eventName: "Y", eventTime: "2024-01-01T00:00:02Z" });
    const store = new FindingStore(rules);
    store.append(a.take(), 1, 0);
    store.append(b.take(), 2, 1);
    a.add(1, 2, { eventName: "X", awsRegion: "r", eventTime: "2024-01-01T00:00:03Z" });
    store.append(a.take(), 1, 0);
    store.finish(
      new Map([
        [1, { file: "a", originKind: "index", lineBase: 0 }],
        [2, { file: "b", originKind: "index", lineBase: 0 }],
      ]),
    );
    assert.deepEqual(
      store.toArray().map((f) => [f.eventName, f.awsRegion, f.origin.file, f.rule.id]),
      [
        ["X", undefined, "a", "b-rule"],
        ["Y", undefined, "b", "b-rule"],
        ["X", "r", "a", "a-rule"],
      ],
    );
  });
});
