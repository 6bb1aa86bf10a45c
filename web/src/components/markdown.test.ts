import assert from "node:assert/strict";
import { test } from "node:test";
import { inlineSpans, parseMarkdown } from "./markdown";

test("blocks: headings, paragraphs, lists with wrapped lines, fenced code", () => {
  const md = [
    "# Title",
    "",
    "First line",
    "second line.",
    "",
    "## Prepare",
    "",
    "- one",
    "  continued",
    "- two",
    "1. first",
    "2. second",
    "",
    "```",
    "aws sts get-caller-identity",
    "  indented",
    "```",
    "<script>alert(1)</script>",
  ].join("\n");
  assert.deepEqual(parseMarkdown(md), [
    { kind: "heading", level: 1, text: "Title" },
    { kind: "paragraph", text: "First line second line." },
    { kind: "heading", level: 2, text: "Prepare" },
    { kind: "list", ordered: false, items: ["one continued", "two"] },
    { kind: "list", ordered: true, items: ["first", "second"] },
    { kind: "code", text: "aws sts get-caller-identity\n  indented" },
    { kind: "paragraph", text: "<script>alert(1)</script>" },
  ]);
});

test("inline: code, bold and http(s) links are spans; anything else stays text", () => {
  assert.deepEqual(
    inlineSpans("Run `aws s3 ls` **now**, see [docs](https://docs.aws.amazon.com/x) or [bad](javascript:alert(1))."),
    [
      { kind: "text", text: "Run " },
      { kind: "code", text: "aws s3 ls" },
      { kind: "text", text: " " },
      { kind: "strong", text: "now" },
      { kind: "text", text: ", see " },
      { kind: "link", text: "docs", href: "https://docs.aws.amazon.com/x" },
      { kind: "text", text: " or [bad](javascript:alert(1))." },
    ],
  );
  assert.deepEqual(inlineSpans("<img src=x onerror=alert(1)>"), [
    { kind: "text", text: "<img src=x onerror=alert(1)>" },
  ]);
});
