#!/usr/bin/env node
// Builds the binary detector samples under test/fixtures from the committed text sources, so they can be
// checked and rebuilt: the GuardDuty S3 export (camelCase JSON Lines, gzip, in the AWSLogs/<account>/GuardDuty/
// <region>/ layout) and Security Lake OCSF Parquet files (Detection Finding 2004, OCSF 1.1), plus the bad
// Parquet inputs the tests use. Run: node scripts/build-detector-samples.mjs
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { parquetWriteBuffer } from "hyparquet-writer";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures");
const src = join(root, "detectors-src");
const write = (path, data) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  console.log(`wrote ${path.slice(root.length + 1)} (${data.length} bytes)`);
};

// GuardDuty exports findings to S3 as gzip JSON Lines under AWSLogs/<account>/GuardDuty/<region>/<yyyy>/<mm>/<dd>/
// (mtime 0 keeps the file identical from one build to the next)
write(
  join(
    root,
    "detectors/guardduty/AWSLogs/111122223333/GuardDuty/us-east-1/2026/03/14/5f0c1d2e-3a4b-4c5d-9e6f-7a8b9c0d1e2f.jsonl.gz",
  ),
  gzipSync(readFileSync(join(src, "guardduty-export.jsonl")), { level: 9 }).fill(0, 4, 8),
);

// OCSF rows as Security Lake stores them: nested structs and lists, times as UTC millisecond timestamps.
const opt = (name, type, extra = {}) => ({
  name,
  type,
  repetition_type: "OPTIONAL",
  ...(type === "BYTE_ARRAY" ? { converted_type: "UTF8" } : {}),
  ...extra,
});
const TS = { logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" } };
const struct = (name, children) => [
  { name, repetition_type: "OPTIONAL", num_children: children.length },
  ...children.flat(),
];
const list = (name, element) => [
  { name, repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  ...(Array.isArray(element)
    ? [{ ...element[0], name: "element" }, ...element.slice(1)]
    : [{ ...element, name: "element" }]),
];
const columns = {
  class_uid: [opt("class_uid", "INT32")],
  class_name: [opt("class_name", "BYTE_ARRAY")],
  category_uid: [opt("category_uid", "INT32")],
  activity_id: [opt("activity_id", "INT32")],
  type_uid: [opt("type_uid", "INT64")],
  time: [opt("time", "INT64", TS)],
  severity_id: [opt("severity_id", "INT32")],
  severity: [opt("severity", "BYTE_ARRAY")],
  status: [opt("status", "BYTE_ARRAY")],
  metadata: struct("metadata", [
    opt("version", "BYTE_ARRAY"),
    opt("uid", "BYTE_ARRAY"),
    struct("product", [opt("name", "BYTE_ARRAY"), opt("vendor_name", "BYTE_ARRAY"), opt("uid", "BYTE_ARRAY")]),
  ]),
  cloud: struct("cloud", [
    struct("account", [opt("uid", "BYTE_ARRAY")]),
    opt("region", "BYTE_ARRAY"),
    opt("provider", "BYTE_ARRAY"),
  ]),
  finding_info: struct("finding_info", [
    opt("uid", "BYTE_ARRAY"),
    opt("title", "BYTE_ARRAY"),
    opt("desc", "BYTE_ARRAY"),
    list("types", opt("element", "BYTE_ARRAY")),
    opt("created_time", "INT64", TS),
    opt("first_seen_time", "INT64", TS),
    opt("last_seen_time", "INT64", TS),
    opt("modified_time", "INT64", TS),
  ]),
  resources: list(
    "resources",
    struct("element", [opt("uid", "BYTE_ARRAY"), opt("type", "BYTE_ARRAY"), opt("region", "BYTE_ARRAY")]),
  ),
  evidences: list(
    "evidences",
    struct("element", [
      struct("actor", [
        struct("user", [
          opt("uid", "BYTE_ARRAY"),
          opt("name", "BYTE_ARRAY"),
          opt("type", "BYTE_ARRAY"),
          opt("credential_uid", "BYTE_ARRAY"),
        ]),
      ]),
      struct("src_endpoint", [opt("ip", "BYTE_ARRAY")]),
      struct("api", [opt("operation", "BYTE_ARRAY")]),
    ]),
  ),
  unmapped: list("unmapped", struct("element", [opt("key", "BYTE_ARRAY"), opt("value", "BYTE_ARRAY")])),
};

const ms = (t) => BigInt(Date.parse(t));
/** Converts the JSON rows' ISO times to timestamps (bigint ms) where the schema has TIMESTAMP. */
function prepare(row) {
  const out = structuredClone(row);
  out.time = ms(out.time);
  out.type_uid = BigInt(out.type_uid);
  const fi = out.finding_info;
  for (const k of ["created_time", "first_seen_time", "last_seen_time", "modified_time"])
    if (fi?.[k]) fi[k] = ms(fi[k]);
  return out;
}

function parquet(rows, names) {
  const schema = [{ name: "root", num_children: names.length }, ...names.flatMap((n) => columns[n])];
  const columnData = names.map((name) => ({ name, data: rows.map((r) => r[name] ?? null) }));
  return Buffer.from(parquetWriteBuffer({ columnData, schema }));
}

const all = Object.keys(columns);
const rows = JSON.parse(readFileSync(join(src, "ocsf-findings.json"), "utf8")).map(prepare);
write(
  join(
    root,
    "detectors/securitylake/aws/SH_FINDINGS/2.0/region=us-east-1/accountId=111122223333/eventDay=20260314/sample-00001.parquet",
  ),
  parquet(rows, all),
);

// Bad inputs: a Parquet file that is not OCSF, and OCSF rows of an unknown version and of another class.
write(
  join(root, "detectors-bad/not-ocsf.parquet"),
  Buffer.from(
    parquetWriteBuffer({
      columnData: [
        { name: "hostname", data: ["web-1", "web-2"], type: "STRING" },
        { name: "cpu", data: [0.42, 0.17], type: "DOUBLE" },
      ],
    }),
  ),
);
const odd = [
  { ...rows[0], metadata: { ...rows[0].metadata, version: "2.0.0" } },
  { ...rows[0], class_uid: 4001, class_name: "Network Activity" },
];
write(join(root, "detectors-bad/ocsf-odd-rows.parquet"), parquet(odd, all));
