// `techtrail start` (what `npm start` runs): starts the web service like `techtrail serve`, on
// http://127.0.0.1:4317 with ./techtrail.db, seeding the demo register and the admin user on first start.
import type { Command } from "commander";
import { addServeOptions, runServe } from "./serve.js";

export function registerStartCommand(program: Command): void {
  addServeOptions(
    program.command("start").description("start the techtrail web service (same as `serve`, with its defaults)"),
  ).action((o: Parameters<typeof runServe>[0]) => runServe(o));
}
