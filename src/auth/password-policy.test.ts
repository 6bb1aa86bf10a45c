import assert from "node:assert/strict";
import { test } from "node:test";
import { COMMON_PASSWORDS } from "./common-passwords.js";
import { passwordProblem, passwordProblemFor } from "./password-policy.js";

test("password policy refuses weak passwords the audit found accepted", () => {
  for (const weak of [
    "aaaaaaaaaa", // one character repeated
    " ".repeat(10), // only spaces
    "\u0000".repeat(10), // NUL
    "good words\u0000here", // a NUL inside
    "line\nbreak words",
    "abababababab", // too few different characters
    "short",
    "Password123", // blocklist, any case
    "qwertyuiop",
    "1234567890",
  ])
    assert.ok(passwordProblem(weak), `accepted ${JSON.stringify(weak)}`);
  assert.match(passwordProblemFor("alice-the-great", "alice") ?? "", /user name/);
  assert.match(passwordProblemFor("ecila secret words", "alice") ?? "", /user name/, "reversed name");
  assert.match(passwordProblemFor("bob.smith2026!", "Bob.Smith@example.com") ?? "", /user name/);
});

test("password policy accepts long passphrases without composition rules", () => {
  for (const good of ["correct horse battery", "lantern orbit willow", "zq8#Lm2!pQ", "ünïcödé pässwörd"]) {
    assert.equal(passwordProblem(good), undefined, good);
    assert.equal(passwordProblemFor(good, "alice"), undefined, good);
  }
  assert.equal(passwordProblem("x".repeat(1025))?.includes("too long"), true);
  assert.ok(COMMON_PASSWORDS.size > 50);
  for (const p of COMMON_PASSWORDS) assert.equal(p, p.toLowerCase(), "blocklist entries are lower-case");
});
