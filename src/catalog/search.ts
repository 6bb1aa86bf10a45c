// Ranked search over the catalog: field-weighted BM25 (BM25F) over name, aliases, event names,
// description and detection text, with light stemming (plurals, -ing, -ed), compound joining
// ("crypto mining" also matches "cryptomining"), typo tolerance (edit distance 1-2 against the
// vocabulary) and a phrase bonus when the whole query appears in a name or alias.
import type { Catalog } from "./catalog.js";
import type { Technique } from "./model.js";

const FIELD_WEIGHTS = { name: 3, aliases: 3, events: 2, description: 1, detection: 0.5 } as const;
type Field = keyof typeof FIELD_WEIGHTS;
const FIELDS = Object.keys(FIELD_WEIGHTS) as Field[];
const K1 = 1.2;
const B = 0.75;
const STOPWORDS = new Set(
  "a an and are as at be by for from has have in into is it its of on or our someone somebody that the their them they this to was were with via".split(
    " ",
  ),
);

/** Light English stemmer: enough to make plurals and verb forms meet (keys/key, deleting/deleted/delete). */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("es") && /(ch|sh|x|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us") && !w.endsWith("is")) w = w.slice(0, -1);
  if (w.endsWith("ing") && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith("ed") && w.length > 4) w = w.slice(0, -2);
  else if (w.endsWith("e") && w.length > 4) w = w.slice(0, -1);
  return w;
}

/** Splits text into stemmed tokens; camelCase API names become words (CreateAccessKey → create access key). */
export function tokenize(text: string): string[] {
  const spaced = text.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  const out: string[] = [];
  for (const raw of spaced.toLowerCase().split(/[^a-z0-9]+/)) {
    if (!raw || STOPWORDS.has(raw)) continue;
    out.push(stem(raw));
  }
  return out;
}

function fieldText(t: Technique, f: Field): string {
  switch (f) {
    case "name":
      return `${t.name} ${t.id}`;
    case "aliases":
      return t.aliases.join(" . ");
    case "events":
      return t.events.map((e) => `${e} ${e.split(":")[1] ?? ""}`).join(" ");
    case "description":
      return t.description;
    case "detection":
      return t.detection;
  }
}

/** Bounded Damerau-Levenshtein distance (returns max+1 when above max). */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (prev2[j - 2] ?? 0) + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    for (let j = 0; j <= b.length; j++) prev2[j] = prev[j] ?? 0;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}

export interface SearchHit {
  id: string;
  name: string;
  score: number;
  /** Fields in which query terms matched. */
  matched: string[];
  technique: Technique;
}

interface Doc {
  t: Technique;
  tf: Record<Field, Map<string, number>>;
  len: Record<Field, number>;
  phrases: string[];
}

export class CatalogSearchIndex {
  private readonly docs: Doc[] = [];
  private readonly df = new Map<string, number>();
  private readonly avgLen: Record<Field, number>;
  private readonly vocabulary: string[];

  constructor(techniques: readonly Technique[]) {
    const totals = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<Field, number>;
    for (const t of techniques) {
      const tf = {} as Record<Field, Map<string, number>>;
      const len = {} as Record<Field, number>;
      const seen = new Set<string>();
      for (const f of FIELDS) {
        const toks = tokenize(fieldText(t, f));
        const m = new Map<string, number>();
        for (let i = 0; i < toks.length; i++) {
          const tok = toks[i]!;
          m.set(tok, (m.get(tok) ?? 0) + 1);
          seen.add(tok);
          // Index adjacent pairs joined so "crypto mining" meets "cryptomining" (and the reverse).
          const next = toks[i + 1];
          if (next !== undefined && f !== "description" && f !== "detection") {
            const joined = stem(tok + next);
            m.set(joined, (m.get(joined) ?? 0) + 0.5);
            seen.add(joined);
          }
        }
        tf[f] = m;
        len[f] = toks.length;
        totals[f] += toks.length;
      }
      for (const tok of seen) this.df.set(tok, (this.df.get(tok) ?? 0) + 1);
      const phrases = [t.name, ...t.aliases].map((p) => tokenize(p).join(" "));
      this.docs.push({ t, tf, len, phrases });
    }
    const n = Math.max(1, this.docs.length);
    this.avgLen = Object.fromEntries(FIELDS.map((f) => [f, totals[f] / n || 1])) as Record<Field, number>;
    this.vocabulary = [...this.df.keys()];
  }

  /** Query terms with weights: exact terms 1, joined compounds 0.8, typo corrections 0.7. */
  private expand(query: string): Map<string, number> {
    const terms = new Map<string, number>();
    const toks = tokenize(query);
    const add = (t: string, w: number) => terms.set(t, Math.max(terms.get(t) ?? 0, w));
    for (let i = 0; i < toks.length; i++) {
      const tok = toks[i]!;
      if (this.df.has(tok)) add(tok, 1);
      else if (tok.length >= 4) {
        const max = tok.length >= 8 ? 2 : 1;
        let best = max + 1;
        const cands: string[] = [];
        for (const v of this.vocabulary) {
          const d = editDistance(tok, v, max);
          if (d < best) {
            best = d;
            cands.length = 0;
          }
          if (d === best && d <= max) cands.push(v);
        }
        for (const c of cands.slice(0, 3)) add(c, 0.7);
        // Also try prefix matches for partial words typed in a picker ("cryp" → crypto...).
      }
      if (tok.length >= 3 && !this.df.has(tok)) {
        for (const v of this.vocabulary) if (v.startsWith(tok) && v.length - tok.length <= 6) add(v, 0.5);
      }
      const next = toks[i + 1];
      if (next !== undefined) {
        const joined = stem(tok + next);
        if (this.df.has(joined)) add(joined, 0.8);
      }
    }
    return terms;
  }

  search(query: string, opts: { limit?: number; includeRevoked?: boolean } = {}): SearchHit[] {
    const limit = opts.limit ?? 10;
    const terms = this.expand(query);
    if (terms.size === 0) return [];
    const n = this.docs.length;
    const phrase = tokenize(query).join(" ");
    const hits: SearchHit[] = [];
    for (const d of this.docs) {
      if (!opts.includeRevoked && d.t.status === "revoked") continue;
      let score = 0;
      const matched = new Set<string>();
      for (const [term, qw] of terms) {
        let tfw = 0;
        for (const f of FIELDS) {
          const tf = d.tf[f].get(term);
          if (!tf) continue;
          matched.add(f);
          tfw += (FIELD_WEIGHTS[f] * tf) / (1 - B + (B * d.len[f]) / this.avgLen[f]);
        }
        if (tfw === 0) continue;
        const df = this.df.get(term) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += qw * idf * ((tfw * (K1 + 1)) / (tfw + K1));
      }
      if (score === 0) continue;
      if (phrase.length > 0 && d.phrases.some((p) => p === phrase)) score *= 1.5;
      else if (phrase.includes(" ") && d.phrases.some((p) => p.includes(phrase))) score *= 1.25;
      hits.push({
        id: d.t.id,
        name: d.t.name,
        score: Math.round(score * 1000) / 1000,
        matched: [...matched],
        technique: d.t,
      });
    }
    hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    return hits.slice(0, limit);
  }
}

const indexes = new WeakMap<Catalog, CatalogSearchIndex>();
/** Searches a catalog (the index is built once per catalog). */
export function searchCatalog(
  catalog: Catalog,
  query: string,
  opts: { limit?: number; includeRevoked?: boolean } = {},
): SearchHit[] {
  let idx = indexes.get(catalog);
  if (!idx) {
    idx = new CatalogSearchIndex(catalog.techniques);
    indexes.set(catalog, idx);
  }
  return idx.search(query, opts);
}
