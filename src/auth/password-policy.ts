// Password policy in the spirit of NIST SP 800-63B: a minimum length, no composition rules (no "one digit,
// one symbol"), and refusal of passwords that are easy to guess: on the blocklist (common-passwords.ts),
// one character repeated or nearly so, or built from the user's own name. Control characters (NUL included)
// are refused: they cannot be typed reliably and some layers cut strings at NUL.
import { COMMON_PASSWORDS } from "./common-passwords.js";

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const fold = (s: string) => s.normalize("NFKC").toLowerCase();

/** Problems that need no user context (also checked by the zod schema of every password field). */
export function passwordProblem(password: string): string | undefined {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) return `password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (chars.length > MAX_PASSWORD_LENGTH) return `password is too long (max ${MAX_PASSWORD_LENGTH} characters)`;
  if (CONTROL.test(password)) return "password must not contain control characters (NUL, tab, line breaks, ...)";
  if (password.trim() === "") return "password must not be only spaces";
  const folded = fold(password);
  if (new Set(folded).size < 4) return "password repeats too few different characters; use a longer passphrase";
  if (COMMON_PASSWORDS.has(folded) || COMMON_PASSWORDS.has(folded.replace(/\s+/g, "")))
    return "password is on the list of common passwords; choose another";
  return undefined;
}

/** passwordProblem plus the checks that need the user name. */
export function passwordProblemFor(password: string, userName: string): string | undefined {
  const general = passwordProblem(password);
  if (general) return general;
  const p = fold(password).replace(/[\s._@-]+/g, "");
  const u = fold(userName).replace(/[\s._@-]+/g, "");
  const local = fold(userName.split("@")[0] ?? "").replace(/[\s._-]+/g, "");
  for (const name of new Set([u, local]))
    if (name.length >= 3 && (p.includes(name) || p.includes([...name].reverse().join(""))))
      return "password must not contain the user name";
  return undefined;
}
