import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "./api";
import { href, hrefQuery, parseHash } from "./router";

test("hash routes: segments decoded, query parsed, technique IDs intact", () => {
  const r = parseHash("#/techniques/T1078.A001?tab=rules");
  assert.deepEqual(r.parts, ["techniques", "T1078.A001"]);
  assert.equal(r.query.get("tab"), "rules");
  assert.deepEqual(parseHash("").parts, []);
  assert.deepEqual(parseHash("#/incidents/IR-2026-0001/edit").parts, ["incidents", "IR-2026-0001", "edit"]);
  assert.deepEqual(parseHash("#/a%2Fb/%E0%A4").parts, ["a/b", "%E0%A4"], "bad escapes stay as typed");
  assert.equal(href("incidents", "IR 1/2"), "#/incidents/IR%201%2F2");
  assert.equal(hrefQuery("#/incidents", { q: "a b", status: "", actor: undefined }), "#/incidents?q=a+b");
});

test("validation problems are read from the error details", () => {
  const e = new ApiError(400, "VALIDATION", "invalid incident", {
    problems: [{ field: "title", message: "title is required" }, "junk", { field: "x" }],
  });
  assert.deepEqual(e.problems, [{ field: "title", message: "title is required" }]);
  assert.deepEqual(new ApiError(500, "INTERNAL", "boom").problems, []);
});
