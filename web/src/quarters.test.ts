import assert from "node:assert/strict";
import { test } from "node:test";
import { recentQuarters } from "./quarters";

test("recent quarters, newest first, across year ends (UTC)", () => {
  assert.deepEqual(recentQuarters(new Date("2026-11-26T14:00:00Z"), 3), ["2026Q4", "2026Q3", "2026Q2"]);
  assert.deepEqual(recentQuarters(new Date("2027-01-01T00:00:00Z"), 2), ["2027Q1", "2026Q4"]);
  assert.deepEqual(recentQuarters(new Date("2026-03-31T23:59:59Z"), 1), ["2026Q1"]);
  assert.deepEqual(recentQuarters(new Date(), 0), []);
});
