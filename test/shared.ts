// Third-party data in ../shared (beside the repository: Stratus Red Team detonation logs, the Invictus dataset,
// SigmaHQ rules, MITRE ATT&CK bundles, the public catalog's IDs). It is not part of the repository, so the
// tests that read it skip, saying what is missing, when a checkout has no ../shared (see README, "Tests").
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../", import.meta.url));

/** The shared folder (TECHTRAIL_SHARED overrides ../shared). */
export const SHARED_DIR = resolve(REPO, process.env.TECHTRAIL_SHARED ?? "../shared");

/** A path inside the shared folder. */
export const sharedPath = (...parts: string[]): string => join(SHARED_DIR, ...parts);

/**
 * The `skip` option for a test or suite that needs these shared paths: false when all exist, else a message
 * naming what is missing.
 */
export function skipUnlessShared(...parts: string[]): false | string {
  const missing = (parts.length ? parts : [""]).filter((p) => !existsSync(sharedPath(p)));
  return missing.length === 0 ? false : `needs ${missing.map((p) => sharedPath(p)).join(", ")} (the extended data)`;
}
