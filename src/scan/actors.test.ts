import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Indicator, IndicatorMatcher, parseIndicatorSpec } from "../core/indicators.js";
import { scanPaths } from "./scan.js";

const ind = (type: string, value: string, more: Record<string, string> = {}) =>
  Indicator.parse({ type, value, ...more });

test("indicator matcher: overlapping CIDRs, IPv6, validity periods, user-agent patterns, keys and accounts", () => {
  const m = new IndicatorMatcher([
    {
      id: "ACT-0001",
      name: "Ember Wasp",
      indicators: [
        ind("cidr", "203.0.113.0/24"),
        ind("ip", "203.0.113.7", { validFrom: "2026-01-01", validUntil: "2026-06-30" }),
        ind("cidr", "2001:db8:abcd::/48"),
        ind("user-agent", "^python-requests/2\\."),
        ind("asn", "AS64500"),
      ],
    },
    {
      id: "ACT-0002",
      name: "Copper Lynx",
      indicators: [
        ind("cidr", "203.0.0.0/16"),
        ind("access-key", "AKIAEXAMPLEKEY000001"),
        ind("account", "444455556666"),
      ],
    },
  ]);
  assert.equal(m.size, 7, "ASN indicators cannot match CloudTrail and are not counted");
  const who = (s: Parameters<IndicatorMatcher["match"]>[0]) => m.match(s).map((h) => `${h.id}:${h.indicator.value}`);
  assert.deepEqual(who({ sourceIPAddress: "203.0.113.7", eventTime: "2026-03-01T00:00:00Z" }), [
    "ACT-0001:203.0.113.0/24",
    "ACT-0001:203.0.113.7",
    "ACT-0002:203.0.0.0/16",
  ]);
  assert.deepEqual(
    who({ sourceIPAddress: "203.0.113.7", eventTime: "2026-07-01T00:00:00Z" }),
    ["ACT-0001:203.0.113.0/24", "ACT-0002:203.0.0.0/16"],
    "outside its validity period the address is no longer the actor's",
  );
  assert.deepEqual(
    who({ sourceIPAddress: "203.0.113.7", eventTime: "2026-06-30T23:59:59Z" }).length,
    3,
    "a date alone covers its whole day",
  );
  assert.deepEqual(who({ sourceIPAddress: "203.0.200.1" }), ["ACT-0002:203.0.0.0/16"]);
  assert.deepEqual(who({ sourceIPAddress: "::ffff:203.0.200.1" }), ["ACT-0002:203.0.0.0/16"]);
  assert.deepEqual(who({ sourceIPAddress: "2001:db8:abcd:12::5" }), ["ACT-0001:2001:db8:abcd::/48"]);
  assert.deepEqual(who({ sourceIPAddress: "2001:db8:abce::5" }), []);
  assert.deepEqual(who({ sourceIPAddress: "ec2.amazonaws.com" }), []);
  assert.deepEqual(who({ userAgent: "Python-Requests/2.31.0" }), ["ACT-0001:^python-requests/2\\."]);
  assert.deepEqual(who({ accessKeyId: "AKIAEXAMPLEKEY000001", accountId: "444455556666" }), [
    "ACT-0002:AKIAEXAMPLEKEY000001",
    "ACT-0002:444455556666",
  ]);
});

test("indicators: values are checked and normalised; bad ones say which and what was expected", () => {
  assert.equal(ind("ip", "2001:0db8:0000:0000:0000:0000:0000:0001").value, "2001:db8::1");
  assert.equal(ind("cidr", "10.1.2.3/8").value, "10.0.0.0/8");
  assert.equal(ind("asn", "64500").value, "AS64500");
  for (const [type, value, msg] of [
    ["ip", "10.0.0.256", /not a valid IP address/],
    ["cidr", "10.0.0.0/40", /not a valid CIDR/],
    ["cidr", "banana", /not a valid CIDR/],
    ["asn", "AS-1", /not a valid ASN/],
    ["user-agent", "(?<=x)y", /not a valid user-agent pattern/],
    ["access-key", "hunter2", /not a valid access key ID/],
    ["account", "12345", /not a valid AWS account ID/],
  ] as const) {
    const r = Indicator.safeParse({ type, value });
    assert.equal(r.success, false, `${type} ${value}`);
    assert.deepEqual(r.error?.issues[0]?.path, ["value"]);
    assert.match(r.error?.issues[0]?.message ?? "", msg);
  }
  const r = Indicator.safeParse({ type: "ip", value: "10.0.0.1", validFrom: "2026-05-01", validUntil: "2026-04-01" });
  assert.deepEqual(r.error?.issues[0]?.path, ["validUntil"]);
  assert.deepEqual(parseIndicatorSpec("cidr:203.0.113.0/24@2026-01-01..2026-02-01"), {
    type: "cidr",
    value: "203.0.113.0/24",
    validFrom: "2026-01-01",
    validUntil: "2026-02-01",
  });
  assert.deepEqual(parseIndicatorSpec("user-agent:^curl/"), { type: "user-agent", value: "^curl/" });
});

test("scan marks findings whose source IP, user agent or access key matches an actor's indicators, and sums them up", async () => {
  const dir = mkdtempSync(join(tmpdir(), "techtrail-actors-scan-"));
  try {
    const example = JSON.parse(
      readFileSync(
        new URL("../../examples/cloudtrail/111122223333_CloudTrail_eu-west-1_example.json", import.meta.url),
        "utf8",
      ),
    ) as { Records: Array<Record<string, unknown>> };
    const stop = example.Records.find((r) => r.eventName === "StopLogging") as Record<string, unknown>;
    const variant = (n: number, ip: string, ua: string, key: string) => ({
      ...stop,
      eventID: `ev-${n}`,
      sourceIPAddress: ip,
      userAgent: ua,
      userIdentity: { ...(stop.userIdentity as object), accessKeyId: key },
    });
    const events = [
      variant(1, "203.0.113.7", "aws-cli/2.15.0", "AKIAEXAMPLEKEY000009"),
      variant(2, "192.0.2.10", "python-requests/2.31.0", "AKIAEXAMPLEKEY000009"),
      variant(3, "192.0.2.10", "aws-cli/2.15.0", "AKIAEXAMPLEKEY000001"),
      variant(4, "192.0.2.10", "aws-cli/2.15.0", "AKIAEXAMPLEKEY000009"),
    ];
    writeFileSync(join(dir, "events.jsonl"), `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
    const actors = [
      {
        id: "ACT-0001",
        name: "Ember Wasp",
        indicators: [ind("cidr", "203.0.113.0/24"), ind("user-agent", "^python-requests/")],
      },
      { id: "ACT-0002", name: "Copper Lynx", indicators: [ind("access-key", "AKIAEXAMPLEKEY000001")] },
    ];
    const r = await scanPaths([join(dir, "events.jsonl")], { workers: 0, actors });
    const byEvent = new Map<string, string[]>();
    for (const f of r.findings)
      byEvent.set(
        f.eventID ?? "",
        (f.actors ?? []).map((a) => `${a.name}:${a.indicator.type}:${a.indicator.value}`),
      );
    assert.ok(r.findings.length >= 4, "StopLogging is found by a built-in rule");
    assert.deepEqual(byEvent.get("ev-1"), ["Ember Wasp:cidr:203.0.113.0/24"]);
    assert.deepEqual(byEvent.get("ev-2"), ["Ember Wasp:user-agent:^python-requests/"]);
    assert.deepEqual(byEvent.get("ev-3"), ["Copper Lynx:access-key:AKIAEXAMPLEKEY000001"]);
    assert.deepEqual(byEvent.get("ev-4"), []);
    const perEvent = r.findings.length / 4;
    assert.equal(r.summary.actors?.findings, 3 * perEvent);
    assert.deepEqual(
      r.summary.actors?.actors.map((a) => [a.name, a.findings, a.indicators.map((i) => i.value)]),
      [
        ["Ember Wasp", 2 * perEvent, ["203.0.113.0/24", "^python-requests/"]],
        ["Copper Lynx", perEvent, ["AKIAEXAMPLEKEY000001"]],
      ],
    );
    const plain = await scanPaths([join(dir, "events.jsonl")], { workers: 0 });
    assert.equal(plain.summary.actors, undefined, "no actors option, no actors section");
    assert.ok(plain.findings.every((f) => f.actors === undefined));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
