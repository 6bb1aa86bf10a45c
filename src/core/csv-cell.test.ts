import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCsv, stringifyCsv } from "../incidents/csv.js";
import { csvCell, csvCellValue } from "./csv-cell.js";

test("csvCell: cells a spreadsheet would evaluate get a leading apostrophe and quotes (OWASP)", () => {
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
  assert.equal(csvCell("+cmd"), `"'+cmd"`);
  assert.equal(csvCell("-2+3"), `"'-2+3"`);
  assert.equal(csvCell("@SUM(A1)"), `"'@SUM(A1)"`);
  assert.equal(csvCell("\t=1"), `"'\t=1"`);
  assert.equal(csvCell("\r=1"), `"'\r=1"`);
  // an apostrophe already in front gets one more, so reading can remove exactly one
  assert.equal(csvCell("'=1"), `"''=1"`);
  // harmless cells are unchanged
  assert.equal(csvCell("aws-cli/2.15"), "aws-cli/2.15");
  assert.equal(csvCell("a=b"), "a=b");
  assert.equal(csvCell("'quoted'"), "'quoted'");
  assert.equal(csvCell("a,b"), '"a,b"');
});

test("csvCell/csvCellValue: writing then parsing restores every value exactly", () => {
  const values = [
    "=1+1",
    "+1",
    "-1",
    "@x",
    "\tx",
    "\rx",
    "'=1",
    "''+x",
    "'",
    "'a",
    "''",
    "plain",
    "",
    " lead",
    'q"uote',
    "=a,\nb",
  ];
  for (const v of values) assert.equal(csvCellValue(csvCell(v).replace(/^"|"$/g, "").replace(/""/g, '"')), v, v);
  const rows = parseCsv(stringifyCsv([values])).map((r) => r.cells);
  assert.deepEqual(rows, [values]);
});
