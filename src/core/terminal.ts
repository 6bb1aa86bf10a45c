// Text from data (incident titles, CloudTrail fields, names from an imported STIX bundle, file names) is
// printed to terminals. An ESC or CSI in it could move the cursor, rewrite earlier lines, change the window
// title or hide text, so human-readable output escapes control characters as `\u001b` (visible, and the same
// spelling JSON uses). JSON output needs nothing: JSON.stringify escapes C0 controls itself.

// C0 controls and DEL and C1 controls (U+009B is a one-byte CSI in some terminals), plus the Unicode bidi
// overrides and isolates that reorder what is shown.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const LINE_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CELL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Text safe to print: control characters escaped as `\u001b`; line feeds and tabs are kept. */
export function safeText(s: string): string {
  return s.replace(LINE_UNSAFE, escapeChar);
}

/** One table cell or single-line value: every control character escaped, line breaks and tabs included. */
export function safeCell(s: string): string {
  return s.replace(CELL_UNSAFE, escapeChar);
}
