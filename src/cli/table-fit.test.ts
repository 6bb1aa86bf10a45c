import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_COLUMNS, fitTable, outputWidth } from "./table-fit.js";

describe("fitTable", () => {
  const rows = [
    ["2024-01-01T00:00:00Z", "arn:aws:sts::111122223333:assumed-role/a-very-long-role-name/session-name", "Rule title"],
    ["2024-01-02T00:00:00Z", "short", "A much longer rule title that goes on and on"],
  ];

  it("leaves a table that fits alone", () => {
    const t = fitTable(["time", "principal", "rule"], rows, 200, [1, 2]);
    assert.ok(t.includes("a-very-long-role-name/session-name"));
    assert.ok(!t.includes("…"));
  });

  it("shrinks the flexible columns, widest first, and cuts their cells with an ellipsis", () => {
    for (const width of [80, 60, 50]) {
      const t = fitTable(["time", "principal", "rule"], rows, width, [1, 2]);
      for (const line of t.split("\n")) assert.ok(line.length <= width, `${line.length} > ${width}: ${line}`);
      assert.ok(t.includes("…"));
      assert.ok(t.includes("2024-01-01T00:00:00Z"), "fixed columns are never cut");
    }
  });

  it("stops at a minimum width rather than emptying columns", () => {
    const t = fitTable(["time", "principal", "rule"], rows, 10, [1, 2]);
    assert.match(t, /arn:aws…/);
  });

  it("uses the terminal's width, else $COLUMNS, else 100", () => {
    assert.equal(outputWidth({ isTTY: true, columns: 132 }), 132);
    const saved = process.env.COLUMNS;
    try {
      delete process.env.COLUMNS;
      assert.equal(outputWidth({ isTTY: false }), DEFAULT_COLUMNS);
      assert.equal(DEFAULT_COLUMNS, 100);
      process.env.COLUMNS = "72";
      assert.equal(outputWidth({}), 72);
    } finally {
      if (saved === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = saved;
    }
  });

  it("measures cells as shown, with control characters escaped", () => {
    const t = fitTable(["principal", "rule"], [["evil\u001b[2Jname", "r"]], 100, [0]);
    assert.ok(t.includes("evil\\u001b[2Jname"));
    assert.ok(!t.includes("\u001b"));
  });
});
