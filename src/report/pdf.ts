// PDF output: the report's HTML printed by headless Chromium (Debian's `chromium`, or the browser named by
// TECHTRAIL_CHROMIUM; techtrail never downloads one). The HTML's print stylesheet decides the layout (A4, the
// management summary alone on page 1). Chromium runs with a throw-away profile and the flags that keep it off
// the network, reading the HTML from a private temporary folder; it gets a time limit and its exit is checked.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TechtrailError } from "../core/errors.js";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The Chromium executable to print with, or a clear error saying how to get one. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.TECHTRAIL_CHROMIUM;
  if (named) {
    if (!existsSync(named))
      throw new TechtrailError("NOT_FOUND", `TECHTRAIL_CHROMIUM names ${named}, which does not exist`, {
        problems: [{ field: "TECHTRAIL_CHROMIUM", message: "expected the path of a Chromium or Chrome executable" }],
      });
    return named;
  }
  const found = CANDIDATES.find((c) => existsSync(c));
  if (!found)
    throw new TechtrailError(
      "UNSUPPORTED",
      `--format pdf prints through headless Chromium, and none was found (looked for ${CANDIDATES.join(", ")}); install Debian's chromium (apt-get install chromium) or set TECHTRAIL_CHROMIUM`,
      { problems: [{ field: "--format", message: "pdf needs Chromium; md and html do not" }] },
    );
  return found;
}

export interface PdfOptions {
  chromium?: string;
  /** Milliseconds before Chromium is stopped (default 120 s). */
  timeoutMs?: number;
}

/** Prints self-contained HTML to PDF bytes. */
export async function htmlToPdf(html: string, opts: PdfOptions = {}): Promise<Buffer> {
  const exe = opts.chromium ?? findChromium();
  const dir = mkdtempSync(join(tmpdir(), "techtrail-pdf-"));
  try {
    const page = join(dir, "report.html");
    const out = join(dir, "report.pdf");
    writeFileSync(page, html);
    const args = [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      `--user-data-dir=${join(dir, "profile")}`,
      "--no-pdf-header-footer",
      `--print-to-pdf=${out}`,
      pathToFileURL(page).href,
    ];
    const { code, stderr } = await run(exe, args, opts.timeoutMs ?? 120_000);
    if (code !== 0 || !existsSync(out))
      throw new TechtrailError(
        "IO",
        `Chromium (${exe}) could not print the report to PDF (exit ${code ?? "killed"})${stderr ? `: ${lastLines(stderr)}` : ""}`,
      );
    const pdf = readFileSync(out);
    if (pdf.subarray(0, 5).toString("latin1") !== "%PDF-")
      throw new TechtrailError("IO", `Chromium (${exe}) wrote something that is not a PDF`);
    return pdf;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLines(s: string): string {
  return s.trim().split("\n").slice(-3).join(" / ");
}

function run(exe: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      if (stderr.length < 64_000) stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new TechtrailError("IO", `could not start Chromium (${exe}): ${e.message}`, { cause: e }));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
