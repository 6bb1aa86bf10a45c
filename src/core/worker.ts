// Starts a worker thread from a module beside the caller, in both layouts: compiled (dist/, the `.js` file)
// and from TypeScript sources (tests, `node --import tsx`), where the worker registers tsx before importing
// the `.ts` file.
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * `caller` is the caller's import.meta.url and `name` the worker module beside it without extension
 * (`./scan-worker`). execArgv is empty so flags meant for the main script (--input-type, --eval, ...) do not
 * reach the workers.
 */
export function startWorker(
  caller: string,
  name: string,
  workerData: unknown,
  opts: Pick<WorkerOptions, "resourceLimits"> = {},
): Worker {
  const options: WorkerOptions = { workerData, execArgv: [], ...opts };
  if (!caller.endsWith(".ts")) return new Worker(new URL(`${name}.js`, caller), options);
  const entry = new URL(`${name}.ts`, caller).href;
  let tsx = "tsx/esm/api";
  try {
    tsx = import.meta.resolve("tsx/esm/api");
  } catch {
    // fall back to bare resolution from the worker
  }
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
