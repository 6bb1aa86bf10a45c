// Rule routes (viewer): the built-in detection rules as objects, GET /api/rules (filtered list) and
// GET /api/rules/{id} (one rule with its YAML text). The library is read and compiled once, on first use,
// by the same loadRuleLibrary() that `techtrail rules list|show` uses.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { TechtrailError } from "../../core/errors.js";
import { findRule, matchesRuleFilter, RuleFilter, RuleInfo, sortRuleInfos } from "../../rules/library.js";
import { loadRuleLibrary, type RuleLibrary } from "../../scan/rule-library.js";
import type { ServerDeps } from "../context.js";
import { json } from "../http.js";
import { access, errorResponses, jsonContent, routeApp } from "../openapi.js";

export const RuleList = z.object({ total: z.number().int(), items: z.array(RuleInfo) });
/** One rule: its description and the YAML text of its rule file. */
export const RuleDetail = RuleInfo.extend({ yaml: z.string() });
export type RuleDetail = z.infer<typeof RuleDetail>;

const tags = ["rules"];
const list = createRoute({
  method: "get",
  path: "/",
  summary: "The built-in detection rules: ID, title, level, techniques, status, source (filters as `rules list`)",
  tags,
  ...access("viewer"),
  request: { query: RuleFilter },
  responses: { 200: jsonContent(RuleList), ...errorResponses({ role: "viewer" }) },
});
const show = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One rule by ID (or rule file path), with the YAML text of its rule file",
  tags,
  ...access("viewer"),
  request: { params: z.object({ id: z.string().min(1) }) },
  responses: { 200: jsonContent(RuleDetail), ...errorResponses({ role: "viewer", path: "/{id}" }) },
});

export function ruleRoutes(deps: ServerDeps) {
  // Rules cannot change while the server runs: compile once, share the promise (a failure is retried).
  let library: Promise<RuleLibrary> | undefined;
  const lib = () => {
    library ??= loadRuleLibrary({ catalog: deps.catalog }).catch((e: unknown) => {
      library = undefined;
      throw e;
    });
    return library;
  };
  let sorted: RuleInfo[] | undefined;

  return routeApp()
    .openapi(list, async (c) => {
      const filter = c.req.valid("query");
      sorted ??= sortRuleInfos((await lib()).infos);
      const items = sorted.filter((r) => matchesRuleFilter(r, filter));
      return json(c, { total: items.length, items });
    })
    .openapi(show, async (c) => {
      const { id } = c.req.valid("param");
      const l = await lib();
      const info = findRule(l.infos, id);
      if (!info) throw new TechtrailError("NOT_FOUND", `no built-in rule ${id}`, { details: { id } });
      const yaml = l.files.find((f) => f.source === info.source)?.text ?? "";
      return json(c, { ...info, yaml });
    });
}
