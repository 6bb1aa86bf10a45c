import assert from "node:assert/strict";
import { test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { parseCsv, stringifyCsv } from "./csv.js";

test("parses quotes, doubled quotes, embedded line breaks, CRLF, BOM and keeps row line numbers", () => {
  const rows = parseCsv('\uFEFFa,b,c\r\n1,"x, ""y""","multi\nline"\r\n\r\n2,,\n');
  assert.deepEqual(rows, [
    { line: 1, cells: ["a", "b", "c"] },
    { line: 2, cells: ["1", 'x, "y"', "multi\nline"] },
    { line: 5, cells: ["2", "", ""] },
  ]);
});

test("stringify then parse round-trips awkward cells", () => {
  const data = [
    ["k", "v"],
    [" lead", 'q"uote'],
    ["a\r\nb", ""],
  ];
  assert.deepEqual(
    parseCsv(stringifyCsv(data)).map((r) => r.cells),
    data,
  );
});

test("malformed quoting is a located PARSE error", () => {
  for (const bad of ['a,b\n1,"open', 'a\nx"y"', 'a\n"x"y']) {
    assert.throws(
      () => parseCsv(bad, "f.csv"),
      (e: unknown) => e instanceof TechtrailError && e.code === "PARSE" && e.problems[0]?.line !== undefined,
    );
  }
});
