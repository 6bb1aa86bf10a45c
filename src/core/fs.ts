// Output files, written one way everywhere (`--out`, `--summary-json`, `--layer`, releases, exports):
// - `-` is stdout;
// - a character device (/dev/null, /dev/stdout, a terminal) or a FIFO is written in place: replacing it with a
//   regular file would destroy it (as root, `rename` over /dev/null does exactly that);
// - a regular file, or a path that does not exist yet, is written atomically: a temp file in the same folder,
//   fsync'd and renamed over the target, so readers never see half a file and a failed write leaves the old
//   one (its permissions are kept);
// - a symbolic link is followed: the file it points to is written as above and the link stays a link; a link
//   to nothing is refused (techtrail does not create files through dangling links);
// - anything else (a folder, a socket, a block device) is refused, never replaced.
import type { Stats } from "node:fs";
import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { chmod, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { TechtrailError } from "./errors.js";

/** How an output path is written. `path` is the file actually written (a symlink's target). */
export type OutputTarget =
  | { kind: "stdout"; path: "-" }
  | { kind: "in-place"; path: string }
  | { kind: "atomic"; path: string; mode?: number };

const ioError = (file: string, message: string, cause?: unknown) =>
  new TechtrailError("IO", `cannot write ${file}: ${message}`, {
    problems: [{ source: file, message }],
    ...(cause !== undefined ? { cause } : {}),
  });

function describeKind(st: Stats): string {
  if (st.isDirectory()) return "a folder";
  if (st.isSocket()) return "a socket";
  if (st.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/** Decides how `file` is written (see the header); throws a TechtrailError for targets that are refused. */
export function outputTarget(file: string): OutputTarget {
  if (file === "-") return { kind: "stdout", path: "-" };
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { kind: "atomic", path: file };
    throw ioError(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message, e);
  }
  let path = file;
  if (st.isSymbolicLink()) {
    try {
      path = realpathSync(file);
      st = statSync(path);
    } catch (e) {
      throw ioError(file, "it is a symbolic link to a file that does not exist; not followed", e);
    }
  }
  if (st.isFile()) return { kind: "atomic", path, mode: st.mode & 0o7777 };
  if (st.isCharacterDevice() || st.isFIFO()) return { kind: "in-place", path };
  throw ioError(
    file,
    `it is ${describeKind(st)}; techtrail writes only regular files, character devices, FIFOs and - (stdout)`,
  );
}

const tempName = (path: string) =>
  join(dirname(path), `.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);

const errText = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "EACCES" || err.code === "EPERM") return `${err.code} (permission denied)`;
  if (err.code === "EROFS") return "EROFS (read-only file system)";
  return err.code ?? (e as Error).message;
};

/**
 * Writes a whole output synchronously, by the rules in the header. `-` (stdout) is not accepted here (a
 * synchronous write to a non-blocking pipe can fail half-way): use writeOutput() for user-named outputs.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const target = outputTarget(file);
  if (target.kind === "stdout") throw new TechtrailError("INTERNAL", "writeFileAtomic cannot write to stdout");
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  if (target.kind === "in-place") {
    try {
      const fd = openSync(target.path, "w");
      try {
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      throw ioError(file, errText(e), e);
    }
    return;
  }
  const tmp = tempName(target.path);
  try {
    mkdirSync(dirname(target.path), { recursive: true });
    const fd = openSync(tmp, "wx");
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (target.mode !== undefined) chmodSync(tmp, target.mode);
    renameSync(tmp, target.path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw ioError(file, errText(e), e);
  }
}

/** An output being written; close() commits it (the rename, for a regular file), abort() discards it. */
export interface OutputSink {
  readonly target: OutputTarget;
  write(chunk: string | Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** Opens an output by the rules in the header, for writing in chunks. */
export async function openOutput(file: string): Promise<OutputSink> {
  const target = outputTarget(file);
  if (target.kind === "stdout") {
    const stdout = process.stdout;
    return {
      target,
      // resolves once the chunk is handed to the OS, so a big output waits for a slow reader
      write: (chunk) =>
        new Promise<void>((resolve, reject) => {
          stdout.write(chunk, (e) => (e ? reject(e) : resolve()));
        }),
      close: async () => undefined, // stdout stays open for whatever the command prints next
      abort: async () => undefined,
    };
  }
  const path = target.kind === "atomic" ? tempName(target.path) : target.path;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    if (target.kind === "atomic") await mkdir(dirname(target.path), { recursive: true });
    // "wx" for the temp file (never an existing one); "w" for a device or FIFO (opening a FIFO waits for a reader)
    handle = await open(path, target.kind === "atomic" ? "wx" : "w");
  } catch (e) {
    throw ioError(file, errText(e), e);
  }
  let done = false;
  return {
    target,
    async write(chunk) {
      try {
        await handle.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
      } catch (e) {
        throw ioError(file, errText(e), e);
      }
    },
    async close() {
      if (done) return;
      done = true;
      try {
        if (target.kind === "atomic") await handle.sync();
        await handle.close();
        if (target.kind === "atomic") {
          if (target.mode !== undefined) await chmod(path, target.mode);
          await rename(path, target.path);
        }
      } catch (e) {
        if (target.kind === "atomic") await rm(path, { force: true });
        throw ioError(file, errText(e), e);
      }
    },
    async abort() {
      if (done) return;
      done = true;
      await handle.close().catch(() => undefined);
      if (target.kind === "atomic") await rm(path, { force: true });
    },
  };
}

/** Writes a whole output (`-` for stdout) by the rules in the header. */
export async function writeOutput(file: string, data: string | Uint8Array): Promise<void> {
  const sink = await openOutput(file);
  try {
    await sink.write(data);
    await sink.close();
  } catch (e) {
    await sink.abort();
    throw e;
  }
}
