// YAML parsing that keeps line/column positions so validation errors can point at file:line:column.
import { type Document, isMap, isSeq, LineCounter, parseDocument, type YAMLError } from "yaml";
import { type Problem, TechtrailError } from "./errors.js";
import { cachedYamlValue } from "./yaml-cache.js";

export interface ParsedYaml {
  value: unknown;
  /** Line/column (1-based) of the node at a path, or undefined. */
  locate(path: ReadonlyArray<PropertyKey>): { line: number; column: number } | undefined;
}

/**
 * Parses one YAML document. Texts the build has parsed before come from the YAML cache; their positions are
 * computed (by a real parse) only if something asks for one, i.e. when a validation error is reported.
 */
export function parseYaml(text: string, source: string): ParsedYaml {
  const hit = cachedYamlValue(text);
  if (hit === undefined) return parseYamlText(text, source);
  let real: ParsedYaml | undefined;
  return {
    value: hit.value,
    locate(path) {
      real ??= parseYamlText(text, source);
      return real.locate(path);
    },
  };
}

/** Parses one YAML document with the parser (no cache). */
export function parseYamlText(text: string, source: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new TechtrailError("PARSE", `invalid YAML in ${source}`, { problems: yamlErrorProblems(doc.errors, source) });
  return parsedDocument(doc, lineCounter);
}

/** The parser's errors as problems: the first line of each message, with its position when known. */
export function yamlErrorProblems(errors: readonly YAMLError[], source: string): Problem[] {
  return errors.map((e) => {
    const pos = e.linePos?.[0];
    const p: Problem = { source, message: e.message.split("\n")[0] ?? e.message };
    if (pos) {
      p.line = pos.line;
      p.column = pos.col;
    }
    return p;
  });
}

/** The value of a document the parser has read, and positions of its nodes (`lineCounter` saw its text). */
export function parsedDocument(doc: Document, lineCounter: LineCounter): ParsedYaml {
  return {
    value: doc.toJS({ maxAliasCount: 100 }),
    locate(path) {
      // Walk to the deepest existing node so a missing field points at its parent.
      let node: unknown = doc.contents;
      let found: unknown = node;
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find((it) => (it.key as { value?: unknown })?.value === key);
          if (!pair) break;
          found = pair.key;
          node = pair.value;
          if (node) found = node;
        } else if (isSeq(node) && typeof key === "number") {
          node = node.items[key];
          if (!node) break;
          found = node;
        } else break;
      }
      const range = (found as { range?: [number, number, number] } | null)?.range;
      if (!range) return undefined;
      const pos = lineCounter.linePos(range[0]);
      return { line: pos.line, column: pos.col };
    },
  };
}

/** Validation problems with positions from the YAML source. */
export function locatedProblems(
  parsed: ParsedYaml,
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  source: string,
): Problem[] {
  return issues.map((i) => {
    const p: Problem = { source, message: i.message };
    const field = i.path.map(String).join(".");
    if (field) p.field = field;
    const pos = parsed.locate(i.path);
    if (pos) {
      p.line = pos.line;
      p.column = pos.column;
    }
    return p;
  });
}
