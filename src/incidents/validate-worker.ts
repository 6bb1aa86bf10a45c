// Worker thread of readIncidentFileParallel: parses and validates an incident file batch by batch and
// posts each batch to the importing thread, at most a few batches ahead of it (back-pressure by "more").
import { parentPort, workerData } from "node:worker_threads";
import { Catalog } from "../catalog/catalog.js";
import type { CatalogData } from "../catalog/model.js";
import { isTechtrailError } from "../core/errors.js";
import { type ParseOptions, readIncidentFile } from "./io.js";

const AHEAD = 4;
const { text, opts, catalog } = workerData as { text: string; opts: ParseOptions; catalog: CatalogData };
const port = parentPort;
if (!port) throw new Error("validate-worker must run in a worker thread");

let credit = AHEAD;
let wake: (() => void) | undefined;
port.on("message", (m: { type: string }) => {
  if (m.type !== "more") return;
  credit++;
  wake?.();
});

async function main(): Promise<void> {
  try {
    const reader = readIncidentFile(text, new Catalog(catalog), opts);
    port?.postMessage({ type: "count", count: reader.count });
    for (const batch of reader.batches(500)) {
      while (credit <= 0) await new Promise<void>((r) => (wake = r));
      credit--;
      // JSON text crosses threads about twice as fast as a structured clone of the objects.
      // Record locations (upserts) travel with their batch; opts.records is this thread's copy of the map.
      const records = opts.records ? [...opts.records] : undefined;
      opts.records?.clear();
      port?.postMessage({ type: "batch", json: JSON.stringify(batch), records });
    }
    port?.postMessage({ type: "done" });
  } catch (e) {
    if (isTechtrailError(e))
      port?.postMessage({ type: "error", code: e.code, message: e.message, problems: e.problems, details: e.details });
    else port?.postMessage({ type: "error", code: "INTERNAL", message: e instanceof Error ? e.message : String(e) });
  }
  port?.close();
}
void main();
