import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildProgram, COMMANDS, commandOf } from "./main.js";

const BIN = fileURLToPath(new URL("../../bin/techtrail.js", import.meta.url));
const BUILT = existsSync(fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url)));

test("the light stand-ins print the same top-level help as the real commands", async () => {
  const real = await buildProgram();
  const light = await buildProgram("");
  assert.equal(light.helpInformation(), real.helpInformation());
  // and each entry's loader registers exactly the names it declares
  for (const entry of COMMANDS) {
    const p = await buildProgram(Object.keys(entry.names)[0]);
    assert.deepEqual(
      p.commands.map((c) => c.name()),
      Object.keys(entry.names),
    );
  }
});

test("commandOf finds the command a command line runs", () => {
  assert.equal(commandOf([]), undefined);
  assert.equal(commandOf(["--version"]), undefined);
  assert.equal(commandOf(["scan", "--format", "json", "x"]), "scan");
  assert.equal(commandOf(["help", "incident"]), "incident");
  assert.equal(commandOf(["help"]), "help");
  assert.equal(commandOf(["-h", "catalog"]), "catalog");
});

/** CPU seconds (user + system) a `techtrail` process spends, measured inside it at exit. */
function cpuSeconds(args: string[]): { cpu: number; stdout: string } {
  const probe = `data:text/javascript,process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("CPU_US "+(u.user+u.system)+"\\n")})`;
  const r = spawnSync(process.execPath, ["--import", probe, BIN, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const m = /CPU_US (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { cpu: Number(m[1]) / 1e6, stdout: r.stdout };
}

test("techtrail --version and --help answer in under 0.3 s of CPU (no command module is loaded)", {
  skip: BUILT ? false : "dist/ is not built (npm run build)",
}, () => {
  for (const args of [["--version"], ["--help"]]) {
    // the best of three runs: the machine may be busy, but CPU time of a lazy start-up stays small
    const runs = [0, 1, 2].map(() => cpuSeconds(args));
    const best = Math.min(...runs.map((r) => r.cpu));
    assert.ok(best < 0.3, `techtrail ${args.join(" ")} took ${best.toFixed(3)} s of CPU`);
    assert.match(runs[0]?.stdout ?? "", args[0] === "--version" ? /^\d+\.\d+\.\d+/ : /Commands:\n\s+catalog/);
  }
});
