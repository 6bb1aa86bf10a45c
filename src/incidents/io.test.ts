import assert from "node:assert/strict";
import { test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { parseCsv } from "./csv.js";
import { parseIncidentFile, serialiseIncidents } from "./io.js";
import { Incident } from "./model.js";
import { testCatalog } from "./test-catalog.js";

const catalog = testCatalog();

const full = Incident.parse({
  key: "IR-2026-0042",
  title: 'Ransom, with "quotes" and commas',
  summary: "line one\nline two",
  status: "closed",
  severity: "P1",
  timeline: {
    firstActivity: "2026-03-01T01:00:00Z",
    detected: "2026-03-01T02:00:00.500Z",
    contained: "2026-03-01T05:00:00Z",
    closed: "2026-03-09T00:00:00Z",
  },
  accounts: ["123456789012", "210987654321"],
  regions: ["eu-west-1"],
  services: ["s3"],
  resources: ["arn:aws:s3:::bucket-a", "arn:aws:s3:::bucket b"],
  detectionSource: "customer-report",
  initialAccess: "leaked-access-key",
  initialAccessTechnique: "T1530.A001",
  credentialType: "iam-user-access-key",
  threatActor: "Bucket Barons",
  campaign: "Cold Storage",
  impact: ["ransom-demand", "data-destruction"],
  techniques: [
    {
      id: "T1486.A001",
      catalogVersion: "2026.11",
      confidence: "confirmed",
      evidence: "ransom note",
      firstSeen: "2026-03-01T01:30:00Z",
      findings: [
        {
          ruleId: "r1",
          eventID: "ev-1",
          eventTime: "2026-03-01T01:30:00Z",
          eventName: "CopyObject",
          errorCode: "AccessDenied",
        },
      ],
    },
    { id: "T1530.A001", catalogVersion: "2026.01", confidence: "possible" },
  ],
  playbooks: ["s3-ransomware"],
  tags: ["ransom"],
  notes: "  leading spaces kept",
  lessonsLearned: "Block SSE-C",
  isDemo: false,
  createdAt: "2026-03-01T03:00:00Z",
  updatedAt: "2026-03-09T00:00:00Z",
});
const minimal = Incident.parse({
  key: "IR-2026-0043",
  title: "Minimal",
  createdAt: "2026-03-02T00:00:00Z",
  updatedAt: "2026-03-02T00:00:00Z",
});

for (const format of ["csv", "json"] as const) {
  test(`${format}: serialise → parse reproduces the incidents exactly`, () => {
    const text = serialiseIncidents([full, minimal], format);
    const back = parseIncidentFile(text, catalog, { format, source: `x.${format}` });
    assert.deepEqual(
      back.map((b) => Incident.parse(b)),
      [full, minimal],
    );
    assert.equal(
      serialiseIncidents(
        back.map((b) => Incident.parse(b)),
        format,
      ),
      text,
    );
  });
}

test("csv: formula-like values are escaped for spreadsheets and restored exactly on import", () => {
  const hostile = Incident.parse({
    ...minimal,
    key: "IR-2026-0044",
    title: '=HYPERLINK("http://evil.example","click")',
    summary: "@SUM(1+1)*cmd|' /C calc'!A0",
    threatActor: "+1-555",
    campaign: "-2+3",
    notes: "\t=tab",
    lessonsLearned: "'=already prefixed",
    tags: ["ok"],
  });
  const text = serialiseIncidents([hostile], "csv");
  // no cell of the raw text starts a formula: each such cell is quoted and begins with an apostrophe
  for (const raw of text.split(/,|\r\n/)) assert.doesNotMatch(raw, /^[=+\-@\t\r]/, raw);
  assert.match(text, /"'=HYPERLINK\(""http:/);
  assert.match(text, /"''=already prefixed"/);
  const back = parseIncidentFile(text, catalog, { format: "csv", source: "x.csv" });
  assert.deepEqual(
    back.map((b) => Incident.parse(b)),
    [hostile],
  );
});

test("csv: a team spreadsheet imports with --map, aliases and friendly values", () => {
  const sheet = [
    "Incident ID,Name,Priority,Opened,Actor,TTPs,Internal owner,Labels",
    "IR-2025-0007,Keys on GitHub,High,2025-05-01 10:00,scattered spider,T1078.A001:confirmed; t1496.a008,bob,Prod Account",
  ].join("\n");
  const [i] = parseIncidentFile(sheet, catalog, { source: "sheet.csv", map: "Opened=detected,Internal owner=-" });
  assert.ok(i);
  assert.equal(i.key, "IR-2025-0007");
  assert.equal(i.severity, "P2");
  assert.equal(i.timeline.detected, "2025-05-01T10:00:00Z");
  assert.equal(i.threatActor, "Scattered Spider");
  assert.deepEqual(
    i.techniques.map((t) => [t.id, t.confidence, t.catalogVersion]),
    [
      ["T1078.A001", "confirmed", "2026.11"],
      ["T1496.A008", "likely", "2026.11"],
    ],
  );
  assert.deepEqual(i.tags, ["prod", "account"]);
});

test("csv: every bad row is reported with line, column and reason; nothing is returned", () => {
  const sheet = [
    "key,title,accounts,detected,contained,techniques",
    "IR-2026-0001,ok,123456789012,2026-01-01,2026-01-02,T1078.A001",
    "IR-2026-0002,bad account,1234,2026-01-01,,",
    "IR-2026-0003,bad timeline,,2026-01-05,2026-01-02,",
    'IR-2026-0004,"unknown technique",,,,T9999.999',
    "IR-2026-0001,duplicate key,,,,",
    "IR-2026-0005,short row",
  ].join("\n");
  let err: TechtrailError | undefined;
  try {
    parseIncidentFile(sheet, catalog, { source: "s.csv" });
  } catch (e) {
    err = e as TechtrailError;
  }
  assert.ok(err instanceof TechtrailError);
  assert.equal(err.code, "VALIDATION");
  assert.match(err.message, /nothing was imported/);
  const got = err.problems.map((p) => `${p.line}:${p.column ?? "-"}:${p.field ?? "-"}:${p.message}`);
  assert.equal(got.length, 5, got.join("\n"));
  assert.match(got[0] ?? "", /^3:3:accounts\.0:expected a 12-digit/);
  assert.match(got[1] ?? "", /^4:5:timeline\.contained:contained .* is before detected/);
  assert.match(got[2] ?? "", /^5:6:techniques\.0\.id:unknown technique T9999\.999/);
  assert.match(got[3] ?? "", /^6:1:key:duplicate key IR-2026-0001/);
  assert.match(got[4] ?? "", /^7:-:-:row has 2 cells/);
});

test("csv: unknown columns and missing title are reported before any row", () => {
  assert.throws(
    () => parseIncidentFile("key,Owner\nIR-2026-0001,bob\n", catalog, { source: "s.csv" }),
    (e: unknown) =>
      e instanceof TechtrailError &&
      e.problems.some((p) => p.column === 2 && /--map "Owner=FIELD"/.test(p.message)) &&
      e.problems.some((p) => /no "title" column/.test(p.message)),
  );
  assert.throws(() => parseIncidentFile("title\nx\n", catalog, { map: "a=nope" }), /invalid column map/);
});

test("csv: techniques and technique_details must agree when both are given", () => {
  const text = serialiseIncidents([full], "csv");
  const rows = parseCsv(text);
  const header = rows[0]?.cells ?? [];
  const cells = [...(rows[1]?.cells ?? [])];
  cells[header.indexOf("techniques")] = "T1078.A001";
  const edited = [header, cells].map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(",")).join("\n");
  assert.throws(
    () => parseIncidentFile(edited, catalog, { format: "csv" }),
    (e: unknown) => e instanceof TechtrailError && /:2:23 \[techniques\]: .*disagree/.test(e.describe()),
  );
});

test("json: problems name the record and field; bare arrays are accepted", () => {
  assert.equal(parseIncidentFile('[{"title":"a"}]', catalog, { source: "a.json" }).length, 1);
  assert.throws(
    () => parseIncidentFile('{"incidents":[{"title":"a"},{"title":""}]}', catalog, { source: "a.json" }),
    (e: unknown) => e instanceof TechtrailError && e.problems[0]?.field === "incidents.1.title",
  );
  assert.throws(() => parseIncidentFile("{not json", catalog, { source: "a.json" }), /not valid JSON/);
});
