// Worker thread of the scenario generator: rebuilds the world from its spec and renders the parts the planner
// posts, posting each part's bytes back (transferred, not copied).
import { parentPort, workerData } from "node:worker_threads";
import type { PartPlan } from "./plan.js";
import { makeWorld, Renderer, type WorldSpec } from "./render.js";

const renderer = new Renderer(makeWorld(workerData as WorldSpec));
parentPort?.on("message", (m: { id: number; plan?: PartPlan; recycle?: ArrayBuffer }) => {
  if (m.recycle) renderer.recycle(m.recycle);
  if (!m.plan) return;
  const b = renderer.render(m.plan);
  parentPort?.postMessage({ id: m.id, batch: b }, [
    b.bytes.buffer as ArrayBuffer,
    b.ends.buffer as ArrayBuffer,
    b.accountIndex.buffer as ArrayBuffer,
    b.regionIndex.buffer as ArrayBuffer,
  ]);
});
