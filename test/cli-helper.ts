// Runs the techtrail CLI as a user does: the built command (bin/techtrail.js over dist/, which `npm ci` builds
// and scripts/run-tests.mjs rebuilds when src/ is newer), in a child process, for end-to-end tests.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The `techtrail` command: run it as `node BIN args...`. */
export const BIN = fileURLToPath(new URL("../bin/techtrail.js", import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  opts: { input?: string; env?: Record<string, string>; cwd?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    input: opts.input ?? "",
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function runCliJson<T = unknown>(args: string[], opts: Parameters<typeof runCli>[1] = {}): T {
  const r = runCli(args, opts);
  if (r.status !== 0) throw new Error(`techtrail ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
