// The built web UI for the browser tests: web/dist, rebuilt with Vite when it is missing or older than web/src.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..", "..");
const WEB = join(ROOT, "web");
export const DIST = join(WEB, "dist");

/** Newest modification time under a folder (files only). */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/** Builds web/dist when it is missing or older than the sources (npm ci builds it; this keeps local runs honest). */
export function ensureBuilt(): void {
  const index = join(DIST, "index.html");
  const srcTime = Math.max(newest(join(WEB, "src")), statSync(join(WEB, "index.html")).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= srcTime) return;
  const vite = join(ROOT, "node_modules", "vite", "bin", "vite.js");
  const r = spawnSync(process.execPath, [vite, "build", "--config", join(WEB, "vite.config.ts")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `vite build failed:\n${r.stdout}\n${r.stderr}`);
}
