// Tables that fit a terminal: columns marked flexible give up width (longest first) until the table fits, and
// their cells are cut with an ellipsis. Rendering is left to `table()` so every table looks the same.
import { safeCell, table, truncate } from "./output.js";

/** Width used when stdout is not a terminal (and $COLUMNS is not set). */
export const DEFAULT_COLUMNS = 100;
const MIN_FLEXIBLE = 8;

/** The width to fit: the terminal's, else $COLUMNS, else DEFAULT_COLUMNS. */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 20 ? env : DEFAULT_COLUMNS;
}

/** Renders rows as a table at most `width` characters wide, shrinking the `flexible` columns (by index). */
export function fitTable(
  headers: string[],
  rows: Array<Array<string | number>>,
  width: number,
  flexible: readonly number[],
): string {
  // widths are those shown: control characters from data are escaped first (as table() does)
  const cells = rows.map((r) => r.map((c) => safeCell(String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const gap = 2 * (headers.length - 1);
  let total = widths.reduce((a, b) => a + b, 0) + gap;
  while (total > width) {
    let widest = -1;
    for (const i of flexible)
      if ((widths[i] ?? 0) > MIN_FLEXIBLE && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0))) widest = i;
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    total--;
  }
  const cut = (r: string[]) => r.map((c, i) => truncate(c, Math.max(1, widths[i] ?? c.length)));
  return table(cut(headers), cells.map(cut));
}
