import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCsv } from "../incidents/csv.js";
import { CSV_COLUMNS, csvHeader, findingCsv } from "./format.js";
import type { Finding } from "./model.js";

test("findingCsv: attacker-controlled userAgent and sourceIPAddress cannot start a spreadsheet formula", () => {
  const finding: Finding = {
    rule: { id: "r1", title: "Rule, with comma", level: "high" },
    techniques: ["T1098"],
    tactics: [],
    eventName: "CreateRole",
    userAgent: "=cmd|' /C calc'!A0",
    sourceIPAddress: "@SUM(1)",
    principalArn: "-1+2",
    attempt: false,
    origin: { file: "+f.json", line: 3 },
  };
  const line = findingCsv(finding);
  assert.match(line, /,"'=cmd\|' \/C calc'!A0",/);
  assert.match(line, /,"'@SUM\(1\)",/);
  const [header, row] = parseCsv(`${csvHeader()}\r\n${line}\r\n`);
  assert.deepEqual(header?.cells, [...CSV_COLUMNS]);
  const get = (c: string) => row?.cells[CSV_COLUMNS.indexOf(c as (typeof CSV_COLUMNS)[number])];
  assert.equal(get("userAgent"), "=cmd|' /C calc'!A0");
  assert.equal(get("sourceIPAddress"), "@SUM(1)");
  assert.equal(get("principalArn"), "-1+2");
  assert.equal(get("file"), "+f.json");
  assert.equal(get("ruleTitle"), "Rule, with comma");
});
