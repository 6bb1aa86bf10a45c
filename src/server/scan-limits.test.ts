// POST /api/scan under attack: a gzip bomb of matching CloudTrail records (1.4 MB → 190 MB inflated, 250,000
// findings) is scanned with findings streamed, while /api/health keeps answering in under 100 ms; a second
// scan at the concurrency limit gets 429 and a scan over the time limit 413.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bombRecords, gzipBomb } from "../../test/helpers/gzip-bomb.js";
import { type Fixture, makeFixture } from "./test-helpers.js";

const RECORDS = 250_000;
let bomb: Buffer;
let f: Fixture;
before(async () => {
  bomb = gzipBomb(RECORDS);
  f = await makeFixture({ limits: { uploadBytes: 8 * 1024 * 1024, scanConcurrency: 1, scanSeconds: 300 } });
});
after(async () => {
  await f.close();
});

function upload(fx: Fixture, content: Uint8Array, name = "bomb.json.gz", query = "") {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(content)]), name);
  return fx.app.request(`/api/scan${query}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${fx.tokens.responder}` },
    body: form,
  });
}

type ScanBody = {
  findings: Array<{ eventTime: string }>;
  truncated: boolean;
  summary: { events: { read: number }; findings: { total: number } };
  incident?: { techniques: Array<{ id: string; findings: unknown[]; evidence: string }> };
};

describe("scan upload under load", () => {
  test("a gzip bomb of matching records: the server answers /api/health in under 100 ms throughout", async () => {
    assert.ok(bomb.length < 5 * 1024 * 1024, `${bomb.length} bytes`);
    let done = false;
    const scan = Promise.resolve(upload(f, bomb, "bomb.json.gz", "?createIncident=1&limit=100")).finally(() => {
      done = true;
    });
    const latencies: number[] = [];
    let busy: number | undefined;
    while (!done) {
      const t = performance.now();
      const res = await f.app.request("/api/health");
      latencies.push(performance.now() - t);
      assert.equal(res.status, 200);
      if (busy === undefined && latencies.length === 3) {
        // one scan at a time here: a second one is refused with 429 and Retry-After
        const second = await upload(f, Buffer.from('{"Records":[]}'), "small.json");
        busy = second.status;
        assert.ok(second.headers.get("retry-after"));
        assert.equal(((await second.json()) as { error: { code: string } }).error.code, "RATE_LIMIT");
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    const res = await scan;
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as ScanBody;
    assert.equal(body.summary.events.read, bombRecords(RECORDS));
    assert.equal(body.summary.findings.total, bombRecords(RECORDS));
    assert.equal(body.findings.length, 100, "only `limit` findings are returned");
    assert.equal(body.truncated, true);
    assert.deepEqual(
      body.findings.map((x) => x.eventTime),
      [...body.findings.map((x) => x.eventTime)].sort(),
      "the earliest findings, in time order",
    );
    const tag = body.incident?.techniques.find((t) => t.id === "T1562.008");
    assert.ok(tag, JSON.stringify(body.incident?.techniques.map((t) => t.id)));
    assert.equal(tag.findings.length, 20, "a bounded evidence sample per technique");
    assert.match(tag.evidence, new RegExp(`^${bombRecords(RECORDS)} finding\\(s\\)`));
    assert.equal(busy, 429);
    assert.ok(latencies.length >= 5, `${latencies.length} health checks`);
    const worst = Math.max(...latencies);
    assert.ok(
      worst < 100,
      `slowest /api/health during the scan: ${worst.toFixed(1)} ms (${latencies.map((l) => l.toFixed(0)).join(" ")})`,
    );
    // the next scan is accepted again
    assert.equal((await upload(f, Buffer.from('{"Records":[]}'), "small.json")).status, 200);
  });

  test("a scan over the time limit is stopped and answered 413", async () => {
    const g = await makeFixture({ limits: { uploadBytes: 8 * 1024 * 1024, scanSeconds: 1 } });
    try {
      const t = performance.now();
      const res = await upload(g, bomb);
      assert.equal(res.status, 413);
      const body = (await res.json()) as { error: { message: string; details: { limit: string } } };
      assert.match(body.error.message, /stopped after 1 s/);
      assert.equal(body.error.details.limit, "scanSeconds");
      assert.ok(performance.now() - t < 30_000);
      assert.equal((await g.app.request("/api/health")).status, 200);
    } finally {
      await g.close();
    }
  });
});
