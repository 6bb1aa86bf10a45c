import assert from "node:assert/strict";
import { test } from "node:test";
import { log, out, printJson, safeCell, safeText, table, truncate } from "./output.js";

const ESC = "\u001b";
const hostile = `evil${ESC}]0;pwned\u0007${ESC}[2J\r\u009b31m\u202eend\u0000`;

function capture(stream: "stdout" | "stderr", fn: () => void): string {
  const target = process[stream];
  const write = target.write;
  let text = "";
  target.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof target.write;
  try {
    fn();
  } finally {
    target.write = write;
  }
  return text;
}

test("safeText/safeCell escape control characters as \\u001b; lines keep line feeds and tabs", () => {
  assert.equal(safeText(hostile), "evil\\u001b]0;pwned\\u0007\\u001b[2J\\u000d\\u009b31m\\u202eend\\u0000");
  assert.equal(safeText("a\n\tb"), "a\n\tb");
  assert.equal(safeCell("a\n\tb"), "a\\u000a\\u0009b");
  assert.equal(safeText("plain ünïcode — ok"), "plain ünïcode — ok");
  assert.equal(safeCell(safeCell(hostile)), safeCell(hostile), "escaping twice changes nothing");
});

test("out, log, table and truncate never print a raw control character from data; JSON is unchanged", () => {
  const printed =
    capture("stdout", () => {
      out(`title: ${hostile}`);
      out(table(["key", "title"], [["IR-1", hostile]]));
      out(truncate(hostile, 12));
    }) + capture("stderr", () => log(`skipped: ${hostile}`));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  assert.doesNotMatch(printed, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  assert.match(printed, /\\u001b\[2J/);
  // table columns stay aligned: the escaped cell is measured after escaping
  const lines = capture("stdout", () => out(table(["a", "b"], [[`x${ESC}`, "Z"]]))).split("\n");
  assert.equal(lines[2]?.indexOf("Z"), lines[0]?.indexOf("b"));
  // truncation counts the characters as shown
  assert.equal(truncate(`${ESC}${ESC}`, 8), "\\u001b\\…");
  const json = capture("stdout", () => printJson({ title: hostile }));
  assert.deepEqual(JSON.parse(json), { title: hostile });
});
