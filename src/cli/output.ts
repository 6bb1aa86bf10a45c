// Small output helpers shared by CLI commands: JSON to stdout, plain tables, logs to stderr. Every
// human-readable line goes through safeText/safeCell (core/terminal.ts), so data cannot send terminal
// escape sequences; JSON is printed as is (JSON.stringify escapes control characters already).
import { safeCell, safeText } from "../core/terminal.js";

export { safeCell, safeText };

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function out(line = ""): void {
  process.stdout.write(`${safeText(line)}\n`);
}

export function log(line: string): void {
  process.stderr.write(`${safeText(line)}\n`);
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => safeCell(String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [fmt(headers), fmt(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(fmt)].join("\n");
}

/** Shortens to n characters as shown (control characters are escaped first, then counted). */
export function truncate(s: string, n: number): string {
  const t = safeCell(s);
  return t.length <= n ? t : `${t.slice(0, n - 1)}…`;
}
