import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DICT_LIMIT, HitDecoder, HitEncoder, type RuleMeta, type UnitInfo } from "./hits.js";
import type { Finding } from "./model.js";
import { compareFindings } from "./summary.js";

/** Decodes every batch (in order, per thread) and sorts the findings like the collected scan result. */
function decodeAll(batches: Array<[ReturnType<HitEncoder["take"]>, number, UnitInfo]>): Finding[] {
  const dec = new HitDecoder(rules);
  const out: Finding[] = [];
  for (const [batch, thread, unit] of batches) dec.decode(dec.receive(batch, thread), unit, 0, batch.count, out);
  return out.sort(compareFindings);
}

const rules: RuleMeta[] = [
  { rule: { id: "b-rule", title: "B", level: "low" }, techniques: ["T1"], tactics: [] },
  { rule: { id: "a-rule", title: "A", level: "high" }, techniques: [], tactics: [] },
];

describe("HitEncoder and HitDecoder", () => {
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
    const got = decodeAll([[enc.take(), 0, { file: "f.jsonl", originKind: "line", lineBase: 10 }]]);
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
    assert.deepEqual(
      decodeAll([[enc.take(), 0, { file: "f", originKind: "index", lineBase: 0 }]]).map((f) => f.eventTime),
      [...times].sort(),
    );
  });

  it("keeps per-thread dictionaries apart across batches", () => {
    const a = new HitEncoder();
    const b = new HitEncoder();
    a.add(0, 1, { eventName: "X", eventTime: "2024-01-01T00:00:01Z" });
    b.add(0, 1, { eventName: "Y", eventTime: "2024-01-01T00:00:02Z" });
    const ua: UnitInfo = { file: "a", originKind: "index", lineBase: 0 };
    const ub: UnitInfo = { file: "b", originKind: "index", lineBase: 0 };
    const a1 = a.take();
    const b1 = b.take();
    a.add(1, 2, { eventName: "X", awsRegion: "r", eventTime: "2024-01-01T00:00:03Z" });
    assert.deepEqual(
      decodeAll([
        [a1, 0, ua],
        [b1, 1, ub],
        [a.take(), 0, ua],
      ]).map((f) => [f.eventName, f.awsRegion, f.origin.file, f.rule.id]),
      [
        ["X", undefined, "a", "b-rule"],
        ["Y", undefined, "b", "b-rule"],
        ["X", "r", "a", "a-rule"],
      ],
    );
  });

  it("starts the dictionary over after DICT_LIMIT strings, and earlier batches still decode", () => {
    const enc = new HitEncoder();
    const dec = new HitDecoder(rules);
    const unit: UnitInfo = { file: "f", originKind: "index", lineBase: 0 };
    for (let i = 0; i < DICT_LIMIT; i++) enc.add(0, i, { sourceIPAddress: `10.0.${i >> 8}.${i & 255}` });
    const first = dec.receive(enc.take(), 0);
    enc.add(0, 0, { sourceIPAddress: "192.0.2.1", eventName: "After" });
    const second = enc.take();
    assert.equal(second.reset, true, "the batch after the limit restarts the dictionary");
    assert.deepEqual([...second.dict].sort(), ["192.0.2.1", "After"]);
    const secondIn = dec.receive(second, 0);
    const out: Finding[] = [];
    // the first batch is decoded after the restart: it keeps reading its own dictionary
    dec.decode(first, unit, DICT_LIMIT - 1, DICT_LIMIT, out);
    dec.decode(secondIn, unit, 0, 1, out);
    assert.deepEqual(
      out.map((f) => [f.sourceIPAddress, f.eventName]),
      [
        [`10.0.${(DICT_LIMIT - 1) >> 8}.${(DICT_LIMIT - 1) & 255}`, undefined],
        ["192.0.2.1", "After"],
      ],
    );
  });
});
