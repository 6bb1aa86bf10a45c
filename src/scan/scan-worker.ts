// Worker-thread entry of the scan pool: compiles the rules once, says ready (with the rule metadata and errors,
// so the main thread need not compile them), then scans the units it is sent and posts back compact results.
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { buildEngineRules, type EngineOptions, type RuleFile, ruleSetInfo, type ScanUnit, scanUnit } from "./engine.js";

interface Init {
  ruleFiles: RuleFile[];
  engine: EngineOptions;
  /** Batches sent and not yet acknowledged by the main thread, per worker (shared memory). */
  pending: Int32Array;
  slot: number;
  maxPending: number;
}

if (!parentPort) throw new Error("scan-worker must run in a worker thread");
const port: MessagePort = parentPort;
const init = workerData as Init;
const rules = buildEngineRules(init.ruleFiles, init.engine.skipRules);
port.postMessage({ type: "ready", info: ruleSetInfo(rules, rules.tap) });

/** Counts a batch about to be sent (before posting, so the main thread's acknowledgement never comes first). */
const sending = () => Atomics.add(init.pending, init.slot, 1);
/** Blocks this thread while the main thread has too many of its batches unacknowledged (slow output). */
function waitForRoom(): void {
  for (;;) {
    const n = Atomics.load(init.pending, init.slot);
    if (n <= init.maxPending) return;
    Atomics.wait(init.pending, init.slot, n, 1000);
  }
}

let pendingEvents = 0;
let pendingBytes = 0;
let lastPost = 0;
const flush = () => {
  if (pendingEvents || pendingBytes) port.postMessage({ type: "progress", events: pendingEvents, bytes: pendingBytes });
  pendingEvents = 0;
  pendingBytes = 0;
};
// Units are scanned one at a time, in the order they arrive (the pool keeps one queued so this thread never
// waits for the main thread between units; the per-thread encoder must see one unit at a time).
const queue: ScanUnit[] = [];
let running = false;
async function drain(): Promise<void> {
  running = true;
  for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) {
    const id = unit.id;
    try {
      const result = await scanUnit(unit, rules, init.engine, {
        hits(batch) {
          sending();
          port.postMessage({ type: "hits", unit: id, batch }, [batch.rows.buffer as ArrayBuffer]);
          waitForRoom();
        },
        corr(tuples) {
          port.postMessage({ type: "corr", unit: id, tuples });
        },
        progress(events, bytes) {
          pendingEvents += events;
          pendingBytes += bytes;
          const now = Date.now();
          if (now - lastPost >= 100) {
            lastPost = now;
            flush();
          }
        },
      });
      flush();
      sending();
      port.postMessage({ type: "result", result }, [result.hits.rows.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ type: "error", message: (e as Error)?.stack ?? String(e) });
    }
  }
  running = false;
}
port.on("message", (msg: { type: "unit"; unit: ScanUnit }) => {
  const unit = msg.unit;
  // S3 objects are requested on arrival, so the requests of queued units overlap the scan of the current one
  if (unit.kind === "s3") void import("./s3.js").then((s3) => s3.prefetchS3Object(unit, init.engine.s3));
  queue.push(unit);
  if (!running) void drain();
});
