#!/usr/bin/env node
// Entry point of the `techtrail` command: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
if (!existsSync(main)) {
  process.stderr.write("techtrail: the compiled CLI is missing; run `npm run build` (npm ci does it for you).\n");
  process.exit(2);
}
await import(main);
