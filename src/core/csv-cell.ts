// One CSV cell (RFC 4180) made safe for spreadsheets, and its inverse. Spreadsheet programs evaluate a cell
// that starts with = + - @ (and, in some, tab or CR) as a formula, so CloudTrail text an attacker controls
// (userAgent, a role name) could run as one when an export is opened. Following the OWASP guidance on CSV
// injection, such a cell gets a leading apostrophe (shown as text, not evaluated) and is quoted.
// The escape is reversible: a value that already starts with apostrophes before one of those characters
// gets one more, and reading removes exactly one, so exporting and importing restores every value exactly.

const FORMULA = /^'*[=+\-@\t\r]/;

/** The cell as written: formula-like values prefixed with `'`, quoted when they need it or were prefixed. */
export function csvCell(value: string): string {
  if (FORMULA.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The original value of a parsed cell written by `csvCell` (the inverse of its apostrophe prefix). */
export function csvCellValue(cell: string): string {
  return cell.startsWith("'") && FORMULA.test(cell.slice(1)) ? cell.slice(1) : cell;
}
