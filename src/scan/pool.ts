// Runs scan units on a pool of worker threads (or in the calling thread when workers = 0). Each worker takes
// one unit at a time; results come back in completion order and are put in a deterministic order later.
import { Worker } from "node:worker_threads";
import { TechtrailError } from "../core/errors.js";
import {
  type EngineOptions,
  type EngineRules,
  type RuleFile,
  type ScanUnit,
  scanUnit,
  type UnitResult,
} from "./engine.js";

export interface PoolConfig {
  workers: number;
  ruleFiles: readonly RuleFile[];
  rules: EngineRules;
  engine: EngineOptions;
}

export interface PoolCallbacks {
  result(res: UnitResult): void;
  progress(events: number, bytes: number): void;
  /** Checked after each result: true stops the scan (strict mode). */
  stop(): boolean;
}

/** Starts one worker; from a .ts source the worker goes through tsx (tests, `node --import tsx`). */
function startWorker(workerData: unknown): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  if (!fromSource) return new Worker(new URL("./scan-worker.js", import.meta.url), { workerData });
  const entry = new URL("./scan-worker.ts", import.meta.url).href;
  let tsx = "tsx/esm/api";
  try {
    tsx = import.meta.resolve("tsx/esm/api");
  } catch {
    // fall back to bare resolution from the worker
  }
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

export async function runUnits(units: readonly ScanUnit[], cfg: PoolConfig, cb: PoolCallbacks): Promise<void> {
  if (units.length === 0) return;
  if (cfg.workers <= 0) {
    for (const u of units) {
      const res = await scanUnit(u, cfg.rules, cfg.engine, { progress: (e, b) => cb.progress(e, b) });
      cb.result(res);
      if (cb.stop()) return;
    }
    return;
  }
  const n = Math.min(cfg.workers, units.length);
  const queue = [...units];
  const workerData = { ruleFiles: cfg.ruleFiles, ruleIds: cfg.rules.rules.map((r) => r.id), engine: cfg.engine };
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const feed = (w: Worker) => {
        const unit = queue.shift();
        if (!unit || cb.stop()) {
          w.postMessage({ type: "stop" });
          if (--running === 0) resolve();
          return;
        }
        w.postMessage({ type: "unit", unit });
      };
      for (let i = 0; i < n; i++) {
        const w = startWorker(workerData);
        workers.push(w);
        running++;
        w.on(
          "message",
          (m: { type: string; result?: UnitResult; events?: number; bytes?: number; message?: string }) => {
            if (m.type === "progress") cb.progress(m.events ?? 0, m.bytes ?? 0);
            else if (m.type === "result" && m.result) {
              cb.result(m.result);
              feed(w);
            } else if (m.type === "error" || m.type === "fatal")
              fail(new TechtrailError("INTERNAL", `scan worker failed: ${m.message ?? "unknown error"}`));
          },
        );
        w.on("error", (e) => fail(new TechtrailError("INTERNAL", `scan worker crashed: ${e.message}`, { cause: e })));
        w.on("exit", (code) => {
          if (code !== 0 && !failed && running > 0)
            fail(new TechtrailError("INTERNAL", `scan worker exited with code ${code}`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
