import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { parseCsv } from "../incidents/csv.js";
import { CSV_COLUMNS, csvHeader, FindingGroups, findingCsv } from "./format.js";
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

const finding = (over: Partial<Finding>): Finding => ({
  rule: { id: "r1", title: "Trail stopped", level: "high" },
  techniques: ["T1562.008"],
  tactics: [],
  eventSource: "cloudtrail.amazonaws.com",
  eventName: "StopLogging",
  attempt: false,
  principalArn: "arn:aws:iam::1:user/a",
  origin: { file: "f", index: 0 },
  ...over,
});

describe("FindingGroups", () => {
  it("collapses the same rule, principal and event name into one group with count, first and last", () => {
    const g = new FindingGroups();
    g.add(finding({ eventTime: "2024-01-02T00:00:00Z" }));
    g.add(finding({ eventTime: "2024-01-01T00:00:00Z", errorCode: "AccessDenied", attempt: true }));
    g.add(finding({ eventTime: "2024-01-03T00:00:00Z" }));
    g.add(finding({ eventTime: "2024-01-01T12:00:00Z", principalArn: "arn:aws:iam::1:user/b" }));
    g.add(finding({ eventTime: "2024-01-04T00:00:00Z", eventName: "DeleteTrail" }));
    g.add(finding({ eventTime: "2024-01-05T00:00:00Z", rule: { id: "r2", title: "Other", level: "low" } }));
    const rows = g.sorted();
    assert.equal(rows.length, 4);
    const [first] = rows;
    assert.deepEqual(
      [first?.principal, first?.count, first?.failed, first?.first, first?.last],
      ["arn:aws:iam::1:user/a", 3, 1, "2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"],
    );
    assert.deepEqual(
      rows.map((r) => [r.rule.id, r.principal.slice(-1), r.eventName, r.count]),
      [
        ["r1", "a", "StopLogging", 3],
        ["r1", "b", "StopLogging", 1],
        ["r1", "a", "DeleteTrail", 1],
        ["r2", "a", "StopLogging", 1],
      ],
    );
  });

  it("keeps at most `limit` groups and counts the findings of further ones", () => {
    const g = new FindingGroups(2);
    for (let i = 0; i < 5; i++) g.add(finding({ principalArn: `p${i}` }));
    g.add(finding({ principalArn: "p0" }));
    assert.equal(g.size, 2);
    assert.equal(g.ungrouped, 3);
    assert.equal(g.sorted()[0]?.count, 2);
  });

  it("collects the names of the known actors any finding of a group came from", () => {
    const g = new FindingGroups();
    const mark = (id: string, name: string, type: "ip" | "access-key", value: string) => ({
      id,
      name,
      indicator: { type, value },
    });
    g.add(finding({ eventTime: "2024-01-01T00:00:00Z" }));
    g.add(
      finding({ eventTime: "2024-01-02T00:00:00Z", actors: [mark("ACT-0001", "Ember Wasp", "ip", "203.0.113.7")] }),
    );
    g.add(
      finding({
        eventTime: "2024-01-03T00:00:00Z",
        actors: [
          mark("ACT-0002", "Copper Lynx", "access-key", "AKIAEXAMPLEKEY000001"),
          mark("ACT-0001", "Ember Wasp", "ip", "203.0.113.7"),
        ],
      }),
    );
    g.add(finding({ principalArn: "arn:aws:iam::1:user/b" }));
    const [a, b] = g.sorted();
    assert.deepEqual(a?.actors, [], "a group without marks");
    assert.deepEqual(b?.actors, ["Ember Wasp", "Copper Lynx"]);
  });
});

test("findingCsv: the actors column lists each matched indicator with its actor, empty without marks", () => {
  const cell = (f: Finding) => parseCsv(`${csvHeader()}\r\n${findingCsv(f)}\r\n`)[1]?.cells.at(-1);
  assert.equal(CSV_COLUMNS.at(-1), "actors");
  assert.equal(cell(finding({})), "");
  assert.equal(
    cell(
      finding({
        actors: [
          { id: "ACT-0001", name: "Ember Wasp", indicator: { type: "cidr", value: "203.0.113.0/24" } },
          { id: "ACT-0002", name: "Copper Lynx", indicator: { type: "access-key", value: "AKIAEXAMPLEKEY000001" } },
        ],
      }),
    ),
    "Ember Wasp (ACT-0001) cidr:203.0.113.0/24;Copper Lynx (ACT-0002) access-key:AKIAEXAMPLEKEY000001",
  );
});
