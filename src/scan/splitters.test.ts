import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonlSplitter, type RecordSink, ValueSplitter } from "./splitters.js";

/** Feeds text in chunks of every size from 1 to 7 bytes, to cross every boundary. */
function feedAll(make: (sink: RecordSink) => { push(b: Buffer): void; end(): string | undefined }, text: string) {
  const runs: Array<{ records: Array<[number, string]>; big: Array<[number, number]>; end: string | undefined }> = [];
  for (let size = 1; size <= 7; size++) {
    const records: Array<[number, string]> = [];
    const big: Array<[number, number]> = [];
    const sink: RecordSink = {
      record: (buf, s, e, o) => records.push([o, buf.toString("utf8", s, e)]),
      // the size reported is a lower bound that depends on chunking: compare ordinals only
      tooLarge: (o) => big.push([o, 0]),
    };
    const sp = make(sink);
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += size) sp.push(bytes.subarray(i, i + size));
    runs.push({ records, big, end: sp.end() });
  }
  for (const r of runs.slice(1)) assert.deepEqual(r, runs[0], "same result whatever the chunk size");
  return runs[0] as (typeof runs)[number];
}

describe("JsonlSplitter", () => {
  it("splits lines across chunk boundaries, numbers lines, strips CR, skips blank lines", () => {
    const r = feedAll((s) => new JsonlSplitter(s, 1000), '{"a":1}\r\n\n{"b":"x\\ny"}\n{"c":3}');
    assert.deepEqual(r.records, [
      [1, '{"a":1}'],
      [3, '{"b":"x\\ny"}'],
      [4, '{"c":3}'],
    ]);
  });

  it("reports a line longer than the limit once and goes on with the next line", () => {
    const long = `{"x":"${"y".repeat(100)}"}`;
    const r = feedAll((s) => new JsonlSplitter(s, 50), `{"a":1}\n${long}\n{"b":2}\n`);
    assert.deepEqual(r.records, [
      [1, '{"a":1}'],
      [3, '{"b":2}'],
    ]);
    assert.equal(r.big.length, 1);
    assert.equal(r.big[0]?.[0], 2);
  });

  it("reads a byte range: skips the partial first line and stops after the line crossing the end", () => {
    const text = "aaaa\nbbbb\ncccc\ndddd\n";
    // range [7, 12): starts inside "bbbb" (line 2), so the first line it owns is "cccc" (starts at 10)
    const got: string[] = [];
    const sink: RecordSink = { record: (b, s, e) => got.push(b.toString("utf8", s, e)), tooLarge: () => undefined };
    const sp = new JsonlSplitter(sink, 100, { startOffset: 6, skipFirst: true, stopAt: 12 });
    sp.push(Buffer.from(text).subarray(6));
    sp.end();
    assert.deepEqual(got, ["cccc"]);
    // the range starting exactly at a line start owns that line
    const got2: string[] = [];
    const sp2 = new JsonlSplitter(
      { record: (b, s, e) => got2.push(b.toString("utf8", s, e)), tooLarge: () => undefined },
      100,
      { startOffset: 4, skipFirst: true, stopAt: 10 },
    );
    sp2.push(Buffer.from(text).subarray(4));
    sp2.end();
    assert.deepEqual(got2, ["bbbb"]);
  });
});

describe("ValueSplitter", () => {
  const doc = `{"Records": [ {"eventName":"A","p":{"s":"}{][\\"\\\\"}}, {"eventName":"B","l":[1,{"x":"]"}]} ], "x": 1}`;

  it("cuts the elements of the Records array, whatever braces and escapes strings hold", () => {
    const r = feedAll((s) => new ValueSplitter(s, 1000, "records"), doc);
    assert.equal(r.records.length, 2);
    assert.deepEqual(
      r.records.map(([, t]) => JSON.parse(t).eventName),
      ["A", "B"],
    );
    assert.deepEqual(
      r.records.map(([o]) => o),
      [0, 1],
    );
    assert.equal(r.end, undefined);
    assert.equal(JSON.parse(r.records[0]?.[1] ?? "").p.s, '}{][\\"\\\\'.replace(/\\(.)/g, "$1"));
  });

  it("cuts a top-level array and a stream of pretty-printed values", () => {
    const arr = feedAll((s) => new ValueSplitter(s, 1000, "array"), '[\n {"a": 1},\n {"b": [2]}\n]\n');
    assert.deepEqual(
      arr.records.map(([, t]) => JSON.parse(t)),
      [{ a: 1 }, { b: [2] }],
    );
    const vals = feedAll((s) => new ValueSplitter(s, 1000, "values"), '{\n "a": 1\n}\n{\n "b": "}"\n}\n');
    assert.deepEqual(
      vals.records.map(([, t]) => JSON.parse(t)),
      [{ a: 1 }, { b: "}" }],
    );
  });

  it("reports an array that ends early, and a document without Records", () => {
    const r = feedAll((s) => new ValueSplitter(s, 1000, "records"), '{"Records":[{"a":1},{"b":');
    assert.equal(r.records.length, 1);
    assert.match(r.end ?? "", /before the array was closed \(after 1 records\)/);
    const none = feedAll((s) => new ValueSplitter(s, 1000, "records"), '{"Other": []}');
    assert.match(none.end ?? "", /no Records array/);
  });

  it("drops an element longer than the limit without keeping its bytes, then goes on", () => {
    const big = `{"eventName":"X","blob":"${"\\\\".repeat(40)}${"z".repeat(200)}"}`;
    const r = feedAll((s) => new ValueSplitter(s, 100, "records"), `{"Records":[{"a":1},${big},{"b":2}]}`);
    assert.deepEqual(
      r.records.map(([o, t]) => [o, JSON.parse(t)]),
      [
        [0, { a: 1 }],
        [2, { b: 2 }],
      ],
    );
    assert.equal(r.big.length, 1);
    assert.equal(r.big[0]?.[0], 1);
    // the same element arriving whole in one push (a gzip file inflated in one call) is reported the same way
    const whole: Array<[string, number]> = [];
    const sp = new ValueSplitter(
      { record: (_b, _s, _e, o) => whole.push(["record", o]), tooLarge: (o) => whole.push(["tooLarge", o]) },
      100,
      "records",
    );
    sp.push(Buffer.from(`{"Records":[{"a":1},${big},{"b":2}]}`));
    assert.equal(sp.end(), undefined);
    assert.deepEqual(whole, [
      ["record", 0],
      ["tooLarge", 1],
      ["record", 2],
    ]);
  });

  it("follows strings and escapes across its internal scan windows (64 KiB)", () => {
    // long strings whose escaped quotes and backslash runs straddle window edges at many offsets
    const records = Array.from({ length: 40 }, (_, i) => ({
      eventName: `E${i}`,
      s: `${"x".repeat(65_536 - 20 + i)}\\"}{][${"\\".repeat(i % 5)}"é中`,
    }));
    const text = JSON.stringify({ Records: records });
    const got: unknown[] = [];
    const sp = new ValueSplitter(
      { record: (b, s, e) => got.push(JSON.parse(b.toString("utf8", s, e))), tooLarge: () => assert.fail("too large") },
      1 << 20,
      "records",
    );
    sp.push(Buffer.from(text));
    assert.equal(sp.end(), undefined);
    assert.deepEqual(got, records);
  });
});
