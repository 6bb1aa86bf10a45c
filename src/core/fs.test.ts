import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { isTechtrailError } from "./errors.js";
import { openOutput, outputTarget, writeFileAtomic, writeOutput } from "./fs.js";

const dir = mkdtempSync(join(tmpdir(), "techtrail-fs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const REPO = fileURLToPath(new URL("../../", import.meta.url));

const isIoError = (message: RegExp) => (e: unknown) =>
  isTechtrailError(e) && e.code === "IO" && message.test(e.message);

describe("output files", () => {
  test("/dev/null stays a character device (written in place, never renamed over)", async () => {
    assert.equal(outputTarget("/dev/null").kind, "in-place");
    writeFileAtomic("/dev/null", "sync\n");
    await writeOutput("/dev/null", "async\n");
    const sink = await openOutput("/dev/null");
    await sink.write("chunk\n");
    await sink.close();
    assert.ok(statSync("/dev/null").isCharacterDevice());
    assert.deepEqual(
      readdirSync("/dev").filter((f) => f.endsWith(".tmp")),
      [],
    );
  });

  test("a FIFO is written in place: the reader gets the data and the FIFO stays a FIFO", async () => {
    const fifo = join(dir, "pipe");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0, "mkfifo");
    for (const write of [
      (f: string, d: string) => writeOutput(f, d),
      async (f: string, d: string) => writeFileAtomic(f, d),
    ]) {
      const reader = spawn("cat", [fifo]);
      let got = "";
      reader.stdout.on("data", (d) => {
        got += String(d);
      });
      const closed = new Promise((r) => reader.on("close", r));
      await write(fifo, "through the pipe\n");
      await closed;
      assert.equal(got, "through the pipe\n");
      assert.ok(lstatSync(fifo).isFIFO());
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });

  test("a regular file is replaced atomically and keeps its permissions", async () => {
    const file = join(dir, "out.json");
    writeFileSync(file, "old");
    chmodSync(file, 0o640);
    await writeOutput(file, "new");
    assert.equal(readFileSync(file, "utf8"), "new");
    assert.equal(statSync(file).mode & 0o777, 0o640);
    writeFileAtomic(join(dir, "sub", "deeper", "fresh.json"), "x");
    assert.equal(readFileSync(join(dir, "sub", "deeper", "fresh.json"), "utf8"), "x");
    // an aborted streamed write leaves the old content and no temp file
    const sink = await openOutput(file);
    await sink.write("half");
    await sink.abort();
    assert.equal(readFileSync(file, "utf8"), "new");
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });

  test("a symbolic link is followed: its target is written, the link stays; a dangling link is refused", async () => {
    const target = join(dir, "real.json");
    const link = join(dir, "link.json");
    writeFileSync(target, "before");
    symlinkSync(target, link);
    await writeOutput(link, "after");
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), target);
    assert.equal(readFileSync(target, "utf8"), "after");
    // a link to /dev/null writes /dev/null in place
    const toNull = join(dir, "null-link");
    symlinkSync("/dev/null", toNull);
    await writeOutput(toNull, "gone");
    assert.ok(statSync("/dev/null").isCharacterDevice());
    const dangling = join(dir, "dangling.json");
    symlinkSync(join(dir, "missing", "nowhere.json"), dangling);
    await assert.rejects(writeOutput(dangling, "x"), isIoError(/symbolic link to a file that does not exist/));
    assert.throws(() => writeFileAtomic(dangling, "x"), isIoError(/symbolic link/));
    assert.ok(lstatSync(dangling).isSymbolicLink());
  });

  test("a folder is refused, never replaced", async () => {
    const folder = join(dir, "folder");
    mkdirSync(folder);
    await assert.rejects(writeOutput(folder, "x"), isIoError(/is a folder; techtrail writes only regular files/));
    assert.ok(statSync(folder).isDirectory());
  });

  test("- writes to stdout", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { writeOutput } = await import(${JSON.stringify(join(REPO, "src/core/fs.ts"))}); await writeOutput("-", "to stdout\\n");`,
      ],
      { cwd: REPO, encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "to stdout\n");
    assert.equal(outputTarget("-").kind, "stdout");
    assert.throws(() => writeFileAtomic("-", "x"), /cannot write to stdout/);
  });

  test("a read-only folder gives a clear IO error and leaves nothing behind", () => {
    const ro = join(dir, "read-only");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    chmodSync(dir, 0o755); // the unprivileged child below must reach the folder
    const file = join(ro, "out.json");
    // root ignores folder permissions: run the write as an unprivileged user (nobody) then
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { writeOutput } = await import(${JSON.stringify(join(REPO, "src/core/fs.ts"))});
         try { await writeOutput(${JSON.stringify(file)}, "x"); } catch (e) { process.stdout.write(e.code + ": " + e.message); process.exit(3); }`,
      ],
      { cwd: REPO, encoding: "utf8", ...(asRoot ? { uid: 65534, gid: 65534 } : {}) },
    );
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /^IO: cannot write .*read-only\/out\.json: EACCES \(permission denied\)/);
    assert.deepEqual(readdirSync(ro), []);
  });
});
