// Worker-thread entry of the scan pool: compiles the rules once, then scans the units it is sent and posts
// back compact results. Started by pool.ts from compiled JS, or through tsx when running from source.
import { parentPort, workerData } from "node:worker_threads";
import { buildEngineRules, type EngineOptions, type RuleFile, type ScanUnit, scanUnit } from "./engine.js";

interface Init {
  ruleFiles: RuleFile[];
  ruleIds: string[];
  engine: EngineOptions;
}

const init = workerData as Init;
const rules = buildEngineRules(init.ruleFiles);
const port = parentPort;
if (!port) throw new Error("scan-worker must run in a worker thread");
if (rules.rules.map((r) => r.id).join("\n") !== init.ruleIds.join("\n")) {
  port.postMessage({ type: "fatal", message: "worker compiled a different rule set than the main thread" });
}

let pendingEvents = 0;
let pendingBytes = 0;
let lastPost = 0;
port.on("message", async (msg: { type: "unit"; unit: ScanUnit } | { type: "stop" }) => {
  if (msg.type === "stop") {
    port.close();
    return;
  }
  try {
    const result = await scanUnit(msg.unit, rules, init.engine, {
      progress(events, bytes) {
        pendingEvents += events;
        pendingBytes += bytes;
        const now = Date.now();
        if (now - lastPost >= 100) {
          lastPost = now;
          port.postMessage({ type: "progress", events: pendingEvents, bytes: pendingBytes });
          pendingEvents = 0;
          pendingBytes = 0;
        }
      },
    });
    if (pendingEvents || pendingBytes)
      port.postMessage({ type: "progress", events: pendingEvents, bytes: pendingBytes });
    pendingEvents = 0;
    pendingBytes = 0;
    port.postMessage({ type: "result", result });
  } catch (e) {
    port.postMessage({ type: "error", id: msg.unit.id, message: (e as Error)?.stack ?? String(e) });
  }
});
