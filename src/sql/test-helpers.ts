// Shared by the SQL compiler's tests and the JS/DuckDB differential test: the records of the rule test files.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

export type Rec = Record<string, unknown>;

/** Every record of every rules/**\/*.tests.yaml under `dir` (match, nomatch and sequence records). */
export function testRecords(dir: string, out: Rec[] = []): Rec[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) testRecords(p, out);
    else if (e.name.endsWith(".tests.yaml")) {
      const t = parseYaml(readFileSync(p, "utf8")) as {
        match?: Rec[];
        nomatch?: Rec[];
        sequences?: Array<{ records: Rec[] }>;
      };
      out.push(...(t.match ?? []), ...(t.nomatch ?? []), ...(t.sequences ?? []).flatMap((s) => s.records));
    }
  }
  return out;
}
