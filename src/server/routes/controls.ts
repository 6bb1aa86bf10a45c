// The team's deployed-controls inventory (controls.yaml) as the service sees it: the file given to
// `serve --controls FILE` when there is one, else the one kept in the register (saved here or from the web UI's
// Reports page). `/api/stats/controls` and `/api/reports` use the same inventory (src/server/routes/analytics.ts).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { loadControlsInventory } from "../../controls/load.js";
import { type ControlsInventory, ControlsInventory as ControlsInventorySchema } from "../../controls/model.js";
import { TechtrailError } from "../../core/errors.js";
import { IncidentRegister, teamControls } from "../../register/register.js";
import { changeContext, type ServerDeps } from "../context.js";
import { json } from "../http.js";
import { access, errorResponses, jsonBody, jsonContent, routeApp } from "../openapi.js";

/** The inventory in effect and where it comes from. */
export const ControlsSetting = z.object({
  /** `file`: the service's --controls file (read-only here); `register`: kept in the register; null: none. */
  source: z.enum(["file", "register"]).nullable(),
  /** The file's name (file), or controls.yaml (register). */
  name: z.string().nullable(),
  /** The YAML as written. */
  text: z.string().nullable(),
  /** register: when and by whom it was last saved. */
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
  inventory: ControlsInventorySchema.nullable(),
  /** Whether PUT/DELETE may change it (not while the service reads a --controls file). */
  editable: z.boolean(),
});
export type ControlsSetting = z.infer<typeof ControlsSetting>;

export const ControlsBody = z.strictObject({
  /** A controls.yaml: `team`, `controls[]` with `control`, `since`, optional `techniques`, `effects`, `note`. */
  text: z
    .string()
    .min(1, "the controls file is empty")
    .max(256 * 1024, "a controls file is at most 256 KiB"),
});

/** The team's inventory for an analysis: the service's file, else the register's; none when neither is set. */
export function inventoryInEffect(
  deps: ServerDeps,
): Promise<{ inventory: ControlsInventory; source: string } | undefined> {
  // Only the file's name: a response never shows a path on the server.
  const file = deps.controlsFile ? { path: deps.controlsFile, name: basename(deps.controlsFile) } : undefined;
  return teamControls(deps.store, deps.catalog, file);
}

async function setting(deps: ServerDeps): Promise<ControlsSetting> {
  const none = { updatedAt: null, updatedBy: null };
  if (deps.controlsFile) {
    const inventory = loadControlsInventory(deps.controlsFile, deps.catalog);
    return {
      source: "file",
      name: basename(deps.controlsFile),
      text: readFileSync(deps.controlsFile, "utf8"),
      ...none,
      inventory,
      editable: false,
    };
  }
  const kept = await new IncidentRegister(deps.store, deps.catalog).storedControls();
  if (!kept) return { source: null, name: null, text: null, ...none, inventory: null, editable: true };
  return {
    source: "register",
    name: "controls.yaml",
    text: kept.stored.text,
    updatedAt: kept.stored.updatedAt,
    updatedBy: kept.stored.updatedBy,
    inventory: kept.inventory,
    editable: true,
  };
}

const tags = ["controls"];
const show = createRoute({
  method: "get",
  path: "/",
  summary: "The team's deployed-controls inventory in effect (the service's --controls file, else the register's)",
  tags,
  ...access("viewer"),
  responses: { 200: jsonContent(ControlsSetting), ...errorResponses({ role: "viewer" }) },
});
const save = createRoute({
  method: "put",
  path: "/",
  summary:
    "Keep a controls.yaml in the register, checked against the catalog (problems at line:column); 409 while the service reads a --controls file",
  tags,
  ...access("admin"),
  request: { body: jsonBody(ControlsBody) },
  responses: { 200: jsonContent(ControlsSetting), ...errorResponses({ role: "admin", body: true }) },
});
const clear = createRoute({
  method: "delete",
  path: "/",
  summary: "Remove the controls.yaml kept in the register",
  tags,
  ...access("admin"),
  responses: { 200: jsonContent(ControlsSetting), ...errorResponses({ role: "admin" }) },
});

export function controlsRoutes(deps: ServerDeps) {
  const register = new IncidentRegister(deps.store, deps.catalog);
  const fileOnly = () => {
    if (deps.controlsFile)
      throw new TechtrailError(
        "CONFLICT",
        `this service reads its controls from ${basename(deps.controlsFile)} (serve --controls); change that file instead`,
        { problems: [{ field: "text", message: "the controls come from the service's --controls file" }] },
      );
  };
  return routeApp()
    .openapi(show, async (c) => json(c, await setting(deps)))
    .openapi(save, async (c) => {
      fileOnly();
      await register.setStoredControls(c.req.valid("json").text, changeContext(c));
      return json(c, await setting(deps));
    })
    .openapi(clear, async (c) => {
      fileOnly();
      await register.setStoredControls(undefined, changeContext(c));
      return json(c, await setting(deps));
    });
}
