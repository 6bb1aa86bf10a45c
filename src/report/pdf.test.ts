import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import { TechtrailError } from "../core/errors.js";
import { findChromium, htmlToPdf } from "./pdf.js";

describe("report PDF printing", () => {
  it("TECHTRAIL_CHROMIUM naming nothing is a clear error, not a crash later", () => {
    assert.throws(
      () => findChromium({ TECHTRAIL_CHROMIUM: "/nonexistent/chromium" }),
      (e: unknown) =>
        e instanceof TechtrailError &&
        e.code === "NOT_FOUND" &&
        /TECHTRAIL_CHROMIUM names \/nonexistent\/chromium/.test(e.message) &&
        e.problems[0]?.field === "TECHTRAIL_CHROMIUM",
    );
    assert.equal(findChromium({ TECHTRAIL_CHROMIUM: process.execPath }), process.execPath);
  });

  it("a browser that fails or writes no PDF is reported with its exit; a browser that cannot start is named", async () => {
    const falseBin = ["/usr/bin/false", "/bin/false"].find((f) => existsSync(f));
    if (!falseBin) return;
    await assert.rejects(
      htmlToPdf("<p>x</p>", { chromium: falseBin }),
      (e: unknown) =>
        e instanceof TechtrailError &&
        e.code === "IO" &&
        /could not print the report to PDF \(exit 1\)/.test(e.message),
    );
    await assert.rejects(
      htmlToPdf("<p>x</p>", { chromium: "/nonexistent/chromium" }),
      (e: unknown) => e instanceof TechtrailError && /could not start Chromium/.test(e.message),
    );
  });
});
