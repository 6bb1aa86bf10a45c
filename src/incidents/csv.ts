// RFC 4180 CSV reading and writing: quoted fields with commas, quotes and line breaks, CRLF or LF,
// a leading BOM (Excel). Every row keeps the line it starts on so errors can point at it. Formula-like cells
// are escaped on writing and restored on reading (core/csv-cell.ts).
import { csvCell, csvCellValue } from "../core/csv-cell.js";
import { TechtrailError } from "../core/errors.js";

export interface CsvRow {
  /** 1-based line number where the row starts. */
  line: number;
  cells: string[];
}

export function parseCsv(text: string, source = "input"): CsvRow[] {
  const rows: CsvRow[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let cells: string[] = [];
  let cell = "";
  let rowLine = 1;
  let quoted = false;
  let wasQuoted = false;
  const endCell = () => {
    cells.push(csvCellValue(cell));
    cell = "";
    wasQuoted = false;
  };
  const endRow = () => {
    endCell();
    // Skip blank lines (a lone empty cell) but keep rows of empty cells.
    if (!(cells.length === 1 && cells[0] === "")) rows.push({ line: rowLine, cells });
    cells = [];
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === "\n") line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      if (cell !== "" || wasQuoted)
        throw new TechtrailError("PARSE", `${source}: stray quote in an unquoted field`, {
          problems: [
            { source, line, column: cells.length + 1, message: 'a quote inside a field must be doubled ("")' },
          ],
        });
      quoted = true;
      wasQuoted = true;
    } else if (c === ",") endCell();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      if (wasQuoted)
        throw new TechtrailError("PARSE", `${source}: text after a closing quote`, {
          problems: [{ source, line, column: cells.length + 1, message: "characters after the closing quote" }],
        });
      cell += c;
    }
  }
  if (quoted)
    throw new TechtrailError("PARSE", `${source}: unterminated quoted field`, {
      problems: [{ source, line: rowLine, column: cells.length + 1, message: "quoted field is never closed" }],
    });
  if (cell !== "" || cells.length > 0 || wasQuoted) endRow();
  return rows;
}

/** Writes rows; cells that a spreadsheet would run as a formula are escaped (see core/csv-cell.ts). */
export function stringifyCsv(rows: ReadonlyArray<readonly string[]>): string {
  return rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + (rows.length ? "\r\n" : "");
}
