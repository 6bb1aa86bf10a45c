// The workshop part of the store contract (contract.ts runs it for every adapter): records with their answer
// keys, one answer per participant and question, hints before answers, nothing lost when a change is refused.
import assert from "node:assert/strict";
import { test } from "node:test";
import { TechtrailError } from "../core/errors.js";
import type { QuestionScore } from "../workshops/model.js";
import { fixtureWorkshop } from "../workshops/test-fixture.js";
import type { SqlStore } from "./sql-store.js";

async function rejectsWith(p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TechtrailError, `expected a TechtrailError, got ${String(e)}`);
    assert.equal(e.code, code, e.describe());
    assert.match(e.message, text);
    return true;
  });
}

/** A scorer that records what it was given: full marks minus 5 per hint. */
function scorer(seen: number[] = []) {
  return (_w: unknown, hints: number): QuestionScore => {
    seen.push(hints);
    return { question: "impact", raw: 25, penalty: hints * 5, points: 25 - hints * 5, max: 25, explanation: ["ok"] };
  };
}

export function workshopTests(st: () => SqlStore): void {
  test("workshops: created with their answer key, listed without it, a taken ID refused", async () => {
    const store = st();
    const w = fixtureWorkshop("ws-contract");
    assert.deepEqual(await store.createWorkshop(w), w);
    assert.deepEqual(await store.getWorkshop("WS-Contract"), w);
    assert.equal(await store.getWorkshop("ws-missing"), undefined);
    await rejectsWith(store.createWorkshop(w), "CONFLICT", /already exists/);
    await store.createWorkshop({ ...fixtureWorkshop("ws-contract-2"), createdAt: "2026-11-21T09:00:00.000Z" });
    const list = await store.listWorkshops();
    assert.deepEqual(
      list.map((x) => x.id),
      ["ws-contract-2", "ws-contract"],
    );
    assert.equal(list[1]?.participants, 0);
    assert.ok(!JSON.stringify(list).includes("AKIAWORKSHOPFIXTURE1"), "a list carries no answer key");
  });

  test("workshops: one answer per participant and question; hints counted before scoring; a refusal loses nothing", async () => {
    const store = st();
    const seen: number[] = [];
    const hint = (_w: unknown, n: number) => (n <= 2 ? { text: `hint ${n}`, cost: 5 } : undefined);
    const h1 = await store.takeWorkshopHint("ws-contract", "ana", "impact", hint);
    assert.deepEqual([h1.n, h1.text, h1.cost], [1, "hint 1", 5]);
    await store.takeWorkshopHint("ws-contract", "ana", "impact", hint);
    await rejectsWith(store.takeWorkshopHint("ws-contract", "ana", "impact", hint), "CONFLICT", /no more hints/);
    const a = await store.answerWorkshop(
      "ws-contract",
      "ana",
      { question: "impact", resources: ["acme-invoices"] },
      scorer(seen),
    );
    assert.deepEqual(seen, [2]);
    assert.equal(a.score.points, 15);
    const before = await store.workshopProgress("ws-contract", "ana");
    await rejectsWith(
      store.answerWorkshop("ws-contract", "ana", { question: "impact", resources: ["other"] }, scorer()),
      "CONFLICT",
      /already answered "impact"/,
    );
    await rejectsWith(store.takeWorkshopHint("ws-contract", "ana", "impact", hint), "CONFLICT", /answered already/);
    await rejectsWith(
      store.answerWorkshop("ws-nope", "ana", { question: "impact", resources: [] }, scorer()),
      "NOT_FOUND",
      /no workshop ws-nope/,
    );
    // A scorer that fails (a bad time, say) writes nothing; the participant can answer again.
    await assert.rejects(
      store.answerWorkshop("ws-contract", "ana", { question: "containment", time: "x" }, () => {
        throw new TechtrailError("VALIDATION", "bad time");
      }),
      /bad time/,
    );
    assert.deepEqual(await store.workshopProgress("ws-contract", "ana"), before);
    await store.answerWorkshop("ws-contract", "ana", { question: "containment", time: "2026-11-02T15:00Z" }, scorer());
    const p = await store.workshopProgress("ws-contract", "ana");
    assert.deepEqual(
      p.answers.map((x) => [x.participant, x.question, x.answer]),
      [
        ["ana", "impact", { question: "impact", resources: ["acme-invoices"] }],
        ["ana", "containment", { question: "containment", time: "2026-11-02T15:00Z" }],
      ],
    );
    assert.equal(p.hints.length, 2);
    assert.equal((await store.listWorkshops()).find((w) => w.id === "ws-contract")?.participants, 1);
  });

  test("workshops: concurrent answers to one question store exactly one; closed workshops take nothing", async () => {
    const store = st();
    const tries = await Promise.allSettled(
      Array.from({ length: 6 }, (_, n) =>
        store.answerWorkshop("ws-contract", "bo", { question: "impact", resources: [`r${n}`] }, scorer()),
      ),
    );
    assert.equal(tries.filter((t) => t.status === "fulfilled").length, 1);
    for (const t of tries)
      if (t.status === "rejected") assert.equal((t.reason as TechtrailError).code, "CONFLICT", String(t.reason));
    const all = await store.workshopProgress("ws-contract");
    assert.deepEqual([...new Set(all.answers.map((a) => a.participant))].sort(), ["ana", "bo"]);
    const closed = await store.closeWorkshop("ws-contract");
    assert.equal(closed.status, "closed");
    assert.ok(closed.closedAt);
    assert.deepEqual(await store.closeWorkshop("ws-contract"), closed, "closing twice changes nothing");
    await rejectsWith(
      store.answerWorkshop("ws-contract", "cy", { question: "impact", resources: [] }, scorer()),
      "CONFLICT",
      /is closed/,
    );
    await rejectsWith(store.closeWorkshop("ws-nope"), "NOT_FOUND", /no workshop/);
    assert.equal((await store.getWorkshop("ws-contract"))?.status, "closed");
  });
}
