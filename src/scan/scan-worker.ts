// Worker-thread entry of the scan pool: compiles the rules once, says ready (with the rule metadata and errors,
// so the main thread need not compile them), then scans the units it is sent and posts back compact results.
import { parentPort, workerData } from "node:worker_threads";
import { buildEngineRules, type EngineOptions, type RuleFile, ruleSetInfo, type ScanUnit, scanUnit } from "./engine.js";

interface Init {
  ruleFiles: RuleFile[];
  engine: EngineOptions;
}

const port = parentPort;
if (!port) throw new Error("scan-worker must run in a worker thread");
const init = workerData as Init;
const rules = buildEngineRules(init.ruleFiles);
port.postMessage({ type: "ready", info: ruleSetInfo(rules) });

let pendingEvents = 0;
let pendingBytes = 0;
let lastPost = 0;
const flush = () => {
  if (pendingEvents || pendingBytes) port.postMessage({ type: "progress", events: pendingEvents, bytes: pendingBytes });
  pendingEvents = 0;
  pendingBytes = 0;
};
port.on("message", async (msg: { type: "unit"; unit: ScanUnit }) => {
  try {
    const unit = msg.unit.id;
    const result = await scanUnit(msg.unit, rules, init.engine, {
      hits(batch) {
        port.postMessage({ type: "hits", unit, batch }, [batch.rows.buffer as ArrayBuffer]);
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
    port.postMessage({ type: "result", result }, [result.hits.rows.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ type: "error", message: (e as Error)?.stack ?? String(e) });
  }
});
