// Validates a big incident file on a worker thread while the calling thread writes the batches already
// validated: on two cores an import takes about as long as its database writes alone. Small files (and
// environments without worker threads) are validated in the calling thread.
import type { Catalog } from "../catalog/catalog.js";
import { type ErrorCode, type Problem, TechtrailError } from "../core/errors.js";
import { startWorker } from "../core/worker.js";
import { type ParseOptions, type RecordInfo, readIncidentFile } from "./io.js";
import type { NewIncident } from "./model.js";

/** Below this size (bytes of text) a worker costs more than it saves. */
const WORKER_MIN_BYTES = 2_000_000;

type Message =
  | { type: "count"; count: number }
  | { type: "batch"; json: string; records?: Array<[string, RecordInfo]> }
  | { type: "done" }
  | { type: "error"; code: ErrorCode; message: string; problems?: Problem[]; details?: unknown };

/**
 * Batches of validated records, like readIncidentFile(...).batches(), validated ahead on a worker thread.
 * Throws the same TechtrailError (with every problem) after the last batch when the file has problems.
 */
export async function* readIncidentFileParallel(
  text: string,
  catalog: Catalog,
  opts: ParseOptions = {},
): AsyncGenerator<NewIncident[]> {
  if (text.length < WORKER_MIN_BYTES) {
    yield* readIncidentFile(text, catalog, opts).batches();
    return;
  }
  const worker = startWorker(import.meta.url, "./validate-worker", { text, opts, catalog: catalog.data });
  const queue: Message[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  worker.on("message", (m: Message) => {
    queue.push(m);
    wake?.();
  });
  worker.on("error", (e) => {
    failure = e;
    wake?.();
  });
  worker.on("exit", () => wake?.());
  try {
    for (;;) {
      while (queue.length === 0 && !failure) {
        await new Promise<void>((r) => (wake = r));
        if (queue.length === 0 && !failure && worker.threadId === -1) failure = new Error("validation worker stopped");
      }
      if (failure) throw new TechtrailError("INTERNAL", `validation worker failed: ${failure.message}`);
      const m = queue.shift() as Message;
      if (m.type === "batch") {
        worker.postMessage({ type: "more" });
        for (const [k, v] of m.records ?? []) opts.records?.set(k, v);
        // Validated records are plain JSON data (optional fields absent), so the text round-trips them.
        yield JSON.parse(m.json) as NewIncident[];
      } else if (m.type === "done") return;
      else if (m.type === "error")
        throw new TechtrailError(m.code, m.message, { problems: m.problems ?? [], details: m.details });
    }
  } finally {
    await worker.terminate();
  }
}
