// The static site of one catalog release, as files in memory: the matrix, a page per tactic, technique and
// mitigation, the changelog against the previous release, the search page and the downloads (STIX bundle,
// Navigator layers, Sigma rule pack, JSON, CSV, changelogs) with their SHA-256 sums. Pure: writing, the
// search index and signing are done by publish.ts. URLs are stable per ID: techniques/<ID>.html in every
// release, and a revoked or removed technique keeps its page pointing to what replaces it.
import { createHash } from "node:crypto";
import type { Catalog } from "../catalog/catalog.js";
import {
  type CatalogDiff,
  type ChangedEntry,
  changeLines,
  type DiffEntry,
  diffCatalogs,
  diffToJson,
  groupByTactic,
  isEmptyDiff,
  renderDiffMarkdown,
  type WordRun,
} from "../catalog/diff.js";
import { buildNavigatorLayers } from "../catalog/layer.js";
import { isOverlayId, RELEASE_FORMAT, type Technique } from "../catalog/model.js";
import { describeLoadedCatalog, loadedCatalogInfo } from "../catalog/overlay.js";
import { serializeRelease } from "../catalog/release.js";
import { exportStix, serializeStix } from "../catalog/stix.js";
import { csvCell } from "../core/csv-cell.js";
import { type Html, html, raw } from "../core/html.js";
import type { DetectorMappings, MappingEntry } from "../detectors/mapping.js";
import { levelRank, type RuleInfo } from "../rules/library.js";
import { tarGz } from "./tar.js";
import { layout, type PageContext, prose } from "./templates.js";

export interface RuleFileText {
  /** Path inside the rule pack (e.g. builtin/aws-stop-logging.yml). */
  name: string;
  text: string;
}

export interface SiteInput {
  catalog: Catalog;
  /** The release before this one, for the changelog (none for a first release). */
  previous?: Catalog;
  rules: readonly RuleInfo[];
  ruleFiles: readonly RuleFileText[];
  mappings?: DetectorMappings;
  /** Absolute URL of the site root (the folder holding the release folders), for canonical links. */
  baseUrl?: string;
  /** YYYY-MM-DD: the release date (also the date of every file in the rule pack). */
  date: string;
}

export interface DownloadFile {
  name: string;
  description: string;
  size: number;
  sha256: string;
}

export interface ReleaseSite {
  version: string;
  /** Path inside the release folder → content. downloads.html is rendered later (renderDownloadsPage). */
  files: Map<string, string | Buffer>;
  downloads: DownloadFile[];
  /** The SHA256SUMS text (also in files as downloads/SHA256SUMS). */
  sums: string;
}

export const SUMS_FILE = "SHA256SUMS";

export const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** `sha256sum -c` format: "<hex>  <name>" per line, sorted by name. */
export function checksumsText(files: ReadonlyArray<{ name: string; data: string | Uint8Array }>): string {
  return `${[...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${sha256(f.data)}  ${f.name}`)
    .join("\n")}\n`;
}

const techPath = (id: string) => `techniques/${id}.html`;
const tacticPath = (id: string) => `tactics/${id}.html`;
const mitigationPath = (id: string) => `mitigations/${id}.html`;

function csvExport(c: Catalog): string {
  const cols = [
    "id",
    "name",
    "tactics",
    "parent",
    "status",
    "revokedBy",
    "services",
    "events",
    "mitigations",
    "aliases",
  ];
  const rows = c.techniques.map((t) =>
    [
      t.id,
      t.name,
      t.tactics.join(";"),
      t.parent ?? "",
      t.status,
      t.revokedBy ?? "",
      t.services.join(";"),
      t.events.join(";"),
      t.mitigations.map((m) => m.id).join(";"),
      t.aliases.join(";"),
    ]
      .map(csvCell)
      .join(","),
  );
  return `${[cols.join(","), ...rows].join("\r\n")}\r\n`;
}

function mappedFindings(mappings: DetectorMappings | undefined, id: string) {
  const out: Array<{ detector: string; entry: MappingEntry; relation: string; confidence: string }> = [];
  for (const d of mappings?.detectors ?? [])
    for (const m of d.mappings)
      for (const t of m.techniques)
        if (t.id === id) out.push({ detector: d.detector, entry: m, relation: t.relation, confidence: t.confidence });
  return out;
}

export function buildReleaseSite(input: SiteInput): ReleaseSite {
  const c = input.catalog;
  const v = c.meta.version;
  const files = new Map<string, string | Buffer>();
  const base = input.baseUrl?.replace(/\/+$/, "");
  const ctx = (path: string): PageContext => ({
    root: "../".repeat(path.split("/").length - 1),
    version: v,
    catalogName: c.meta.name,
    ...(base ? { canonical: `${base}/${v}/${path}` } : {}),
  });
  const page = (path: string, title: string, body: Html, opts: { index?: boolean; head?: Html } = {}) =>
    files.set(path, layout(ctx(path), title, body, opts));
  // A team overlay published with the catalog: its techniques and additions are marked on every page.
  const ov = c.overlay;
  const ovMark = ov
    ? html` <span class="overlay" title="from the team overlay ${ov.namespace}, not the catalog release">overlay ${ov.namespace}</span>`
    : "";
  const tlink = (from: string, t: Technique) =>
    html`<a href="${ctx(from).root}${techPath(t.id)}"><span class="id">${t.id}</span> ${t.name}</a>${isOverlayId(t.id) ? ovMark : ""}`;
  const idLink = (from: string, id: string) => {
    const t = c.technique(id);
    return t ? tlink(from, t) : html`<span class="id">${id}</span>`;
  };

  // Matrix: active top-level techniques per tactic, with their sub-technique counts.
  const matrix = html`<h1>${c.meta.name} ${v}</h1>
<p>${c.meta.description}</p>
<p class="muted">${c.techniques.filter((t) => t.status === "active").length} active techniques in ${c.tactics.length} tactics. Released ${input.date}.</p>
${ov ? html`<p class="note" role="note" data-overlay="${ov.namespace}">This site shows ${describeLoadedCatalog(loadedCatalogInfo(c))}: ${ov.name}. Techniques marked${ovMark} are the team's own.</p>` : ""}
<div class="matrix">${c.tactics.map((ta) => {
    const list = c.byTactic(ta.id).filter((t) => t.status === "active" && !t.parent);
    return html`<section aria-labelledby="m-${ta.id}"><h2 id="m-${ta.id}"><a href="${tacticPath(ta.id)}">${ta.name}</a></h2>
<ul>${list.map((t) => {
      const subs = c.subtechniques(t.id).filter((s) => s.status === "active").length;
      return html`<li>${tlink("index.html", t)}${subs ? html` <span class="muted">(${subs} sub-techniques)</span>` : ""}</li>`;
    })}</ul></section>`;
  })}</div>`;
  page("index.html", "Matrix", matrix);

  for (const ta of c.tactics) {
    const p = tacticPath(ta.id);
    const list = c.byTactic(ta.id).filter((t) => t.status !== "revoked");
    page(
      p,
      `${ta.id} ${ta.name}`,
      html`<h1><span class="id">${ta.id}</span> ${ta.name}</h1>${prose(ta.description)}
<h2>Techniques (${list.length})</h2>
<ul>${list.map((t) => html`<li>${tlink(p, t)}${t.status === "deprecated" ? " (deprecated)" : ""}</li>`)}</ul>`,
      { index: true },
    );
  }

  const usedBy = new Map<string, Array<{ t: Technique; how: string }>>();
  for (const t of c.techniques)
    for (const m of t.mitigations) usedBy.set(m.id, [...(usedBy.get(m.id) ?? []), { t, how: m.how }]);
  for (const m of c.mitigations) {
    const p = mitigationPath(m.id);
    const uses = (usedBy.get(m.id) ?? []).filter((u) => u.t.status !== "revoked");
    page(
      p,
      `${m.id} ${m.name}`,
      html`<h1><span class="id">${m.id}</span> ${m.name}</h1>${prose(m.description)}
<h2>Techniques it mitigates (${uses.length})</h2>
${uses.length ? html`<ul>${uses.map((u) => html`<li>${tlink(p, u.t)}: ${u.how}</li>`)}</ul>` : html`<p>None in this release.</p>`}`,
      { index: true },
    );
  }
  page(
    "mitigations/index.html",
    "Mitigations",
    html`<h1>Mitigations</h1><ul>${c.mitigations.map(
      (m) => html`<li><a href="${m.id}.html"><span class="id">${m.id}</span> ${m.name}</a></li>`,
    )}</ul>`,
  );

  const rulesOf = new Map<string, RuleInfo[]>();
  for (const r of input.rules) for (const id of r.techniques) rulesOf.set(id, [...(rulesOf.get(id) ?? []), r]);
  for (const t of c.techniques) {
    const p = techPath(t.id);
    const subs = c.subtechniques(t.id);
    const rules = [...(rulesOf.get(t.id) ?? [])].sort(
      (a, b) => levelRank(b.level) - levelRank(a.level) || a.title.localeCompare(b.title),
    );
    const findings = mappedFindings(input.mappings, t.id);
    const status =
      t.status === "revoked"
        ? html`<p class="note" role="note">Revoked: use ${idLink(p, t.revokedBy ?? "")} instead. This page stays so that links to ${t.id} keep working.</p>`
        : t.status === "deprecated"
          ? html`<p class="note" role="note">Deprecated: kept for reference, no longer maintained.</p>`
          : "";
    const added = ov?.patched[t.id];
    const addedEvents = new Set(added?.events ?? []);
    const addedMitigations = new Set(added?.mitigations.map((m) => m.id) ?? []);
    const origin =
      ov && isOverlayId(t.id)
        ? html`<p class="note" role="note">A team technique from overlay ${ov.namespace} (${ov.name}), not part of catalog release ${v}.</p>`
        : added
          ? html`<p class="note" role="note">Overlay ${ov?.namespace} adds to this technique: ${[
              added.events.length ? `events ${added.events.join(", ")}` : "",
              added.aliases.length ? `aliases ${added.aliases.join("; ")}` : "",
              added.mitigations.length ? `mitigation notes ${added.mitigations.map((m) => m.id).join(", ")}` : "",
              added.detection !== null ? "a detection note" : "",
              added.references.length ? `${added.references.length} reference(s)` : "",
            ]
              .filter(Boolean)
              .join("; ")}.</p>`
          : "";
    page(
      p,
      `${t.id} ${t.name}`,
      html`<h1><span class="id">${t.id}</span> ${t.name}${isOverlayId(t.id) ? ovMark : ""}</h1>
${status}${origin}
<dl>
<dt>Tactics</dt><dd>${t.tactics.map((id, i) => html`${i ? ", " : ""}<a href="../${tacticPath(id)}">${c.tactic(id)?.name ?? id}</a>`)}</dd>
${t.parent ? html`<dt>Parent</dt><dd>${idLink(p, t.parent)}</dd>` : ""}
${subs.length ? html`<dt>Sub-techniques</dt><dd><ul>${subs.map((s) => html`<li>${tlink(p, s)}</li>`)}</ul></dd>` : ""}
${t.aliases.length ? html`<dt>Also known as</dt><dd>${t.aliases.join("; ")}</dd>` : ""}
${t.services.length ? html`<dt>AWS services</dt><dd>${t.services.join(", ")}</dd>` : ""}
<dt>Data sources</dt><dd>${t.dataSources.map((d) => c.dataSources.find((x) => x.id === d)?.name ?? d).join(", ") || "none listed"}</dd>
<dt>Version</dt><dd>${t.version}, modified ${t.modified}</dd>
</dl>
<h2>Description</h2>${prose(t.description)}
<h2>CloudTrail events</h2>
${t.events.length ? html`<ul>${t.events.map((e) => html`<li><code>${e}</code>${addedEvents.has(e) ? ovMark : ""}</li>`)}</ul>` : html`<p>None: this technique is not visible in CloudTrail management events.</p>`}
<h2>Detection</h2>${t.detection ? prose(t.detection) : html`<p>No guidance yet.</p>`}
<h2>Mitigations</h2>
${t.mitigations.length ? html`<ul>${t.mitigations.map((m) => html`<li><a href="../${mitigationPath(m.id)}"><span class="id">${m.id}</span> ${c.mitigation(m.id)?.name ?? m.id}</a>: ${m.how}${addedMitigations.has(m.id) ? ovMark : ""}</li>`)}</ul>` : html`<p>None listed.</p>`}
<h2>Detector findings</h2>
${
  findings.length
    ? html`<table><caption class="muted">Finding types of AWS detectors mapped to this technique</caption>
<thead><tr><th scope="col">detector</th><th scope="col">finding type</th><th scope="col">relation</th><th scope="col">confidence</th></tr></thead>
<tbody>${findings.map((f) => html`<tr><td>${f.detector}</td><td><code>${f.entry.type}</code></td><td>${f.relation}</td><td>${f.confidence}</td></tr>`)}</tbody></table>`
    : html`<p>No detector finding type is mapped to this technique.</p>`
}
<h2>Rules</h2>
${
  rules.length
    ? html`<table><thead><tr><th scope="col">rule</th><th scope="col">level</th><th scope="col">kind</th><th scope="col">file</th></tr></thead>
<tbody>${rules.map((r) => html`<tr><td>${r.title}<br><span class="id">${r.id}</span></td><td>${r.level}</td><td>${r.kind}</td><td><code>${r.source}</code></td></tr>`)}</tbody></table>`
    : html`<p>No shipped rule detects this technique.</p>`
}
<h2>References</h2>
${
  t.references.length
    ? html`<ul>${t.references.map((r) => html`<li>${r.url ? html`<a href="${r.url}" rel="noopener noreferrer">${r.source}${r.externalId ? ` ${r.externalId}` : ""}</a>` : html`${r.source}${r.externalId ? ` ${r.externalId}` : ""}`}${r.description ? html`: ${r.description}` : ""}</li>`)}</ul>`
    : html`<p>None.</p>`
}
${t.idNote ? html`<h2>About the ID</h2>${prose(t.idNote)}` : ""}`,
      { index: t.status !== "revoked" },
    );
  }

  // Techniques gone since the previous release keep their URL.
  const diff = input.previous ? diffCatalogs(input.previous, c) : undefined;
  for (const e of diff?.removed ?? [])
    page(
      techPath(e.id),
      `${e.id} ${e.name}`,
      html`<h1><span class="id">${e.id}</span> ${e.name}</h1>
<p class="note" role="note">Removed in ${v}. See the <a href="../changelog.html">changelog</a>; the technique's last description is in release ${input.previous?.meta.version ?? ""}.</p>`,
    );

  page("changelog.html", `Changelog ${v}`, changelogBody(c, input.previous, diff));
  page(
    "search.html",
    "Search",
    html`<h1>Search</h1>
<div id="search"></div>
<noscript><p>Search needs JavaScript. Every page is reachable without it from the <a href="index.html">matrix</a>.</p></noscript>
<script src="pagefind/pagefind-ui.js"></script>
<script>window.addEventListener("DOMContentLoaded", () => { new PagefindUI({ element: "#search", showImages: false, resetStyles: false }); });</script>`,
    { head: html`<link rel="stylesheet" href="pagefind/pagefind-ui.css">` },
  );

  // Downloads.
  const stem = `techtrail-catalog-${v}`;
  const layers = buildNavigatorLayers(
    c,
    Object.fromEntries(c.techniques.filter((t) => t.status === "active").map((t) => [t.id, 1])),
    {
      name: `${c.meta.name} ${v}`,
      customDataURL: base ? `${base}/${v}/downloads/${stem}.stix.json` : `${stem}.stix.json`,
    },
  );
  const mtime = Math.floor(Date.parse(`${input.date}T00:00:00Z`) / 1000);
  const dl: Array<{ name: string; description: string; data: string | Buffer }> = [
    {
      name: `${stem}.stix.json`,
      description: "STIX 2.1 bundle (ATT&CK-compatible)",
      data: serializeStix(exportStix(c)),
    },
    {
      name: `${stem}.json`,
      description: "the release as techtrail JSON",
      data: serializeRelease({ format: RELEASE_FORMAT, catalog: { ...c.data, techniques: [...c.techniques] } }),
    },
    { name: `${stem}.csv`, description: "techniques as CSV (lists separated by ;)", data: csvExport(c) },
    {
      name: `${stem}.attack-layer.json`,
      description: "ATT&CK Navigator layer, ATT&CK IDs (AWS sub-techniques rolled up)",
      data: `${JSON.stringify(layers.attack, null, 2)}\n`,
    },
    {
      name: `${stem}.full-layer.json`,
      description: "ATT&CK Navigator layer with every catalog ID (load the STIX bundle as custom data)",
      data: `${JSON.stringify(layers.full, null, 2)}\n`,
    },
    {
      name: `techtrail-sigma-rules-${v}.tar.gz`,
      description: `Sigma rule pack (${input.rules.length} rules and correlations)`,
      data: tarGz(
        [...input.ruleFiles]
          .sort((a, b) => (a.name < b.name ? -1 : 1))
          .map((f) => ({ name: `techtrail-sigma-rules-${v}/${f.name}`, data: f.text })),
        mtime,
      ),
    },
  ];
  if (diff) {
    dl.push(
      { name: `changelog-${v}.md`, description: "changelog as Markdown", data: renderDiffMarkdown(diff) },
      {
        name: `changelog-${v}.json`,
        description: "changelog as JSON",
        data: `${JSON.stringify(diffToJson(diff), null, 2)}\n`,
      },
    );
  }
  for (const f of dl) files.set(`downloads/${f.name}`, f.data);
  const sums = checksumsText(dl);
  files.set(`downloads/${SUMS_FILE}`, sums);
  const downloads = dl.map((f) => ({
    name: f.name,
    description: f.description,
    size: Buffer.byteLength(f.data),
    sha256: sha256(f.data),
  }));
  return { version: v, files, downloads, sums };
}

/** downloads.html: the files with size and SHA-256, the sums file and its signature when there is one. */
export function renderDownloadsPage(
  site: ReleaseSite,
  c: Catalog,
  opts: { baseUrl?: string; signature?: string } = {},
): string {
  const v = site.version;
  const base = opts.baseUrl?.replace(/\/+$/, "");
  const ctx: PageContext = {
    root: "",
    version: v,
    catalogName: c.meta.name,
    ...(base ? { canonical: `${base}/${v}/downloads.html` } : {}),
  };
  const kib = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);
  return layout(
    ctx,
    `Downloads ${v}`,
    html`<h1>Downloads: release ${v}</h1>
<table><thead><tr><th scope="col">file</th><th scope="col">content</th><th scope="col">size</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${site.downloads.map(
      (f) =>
        html`<tr><td><a href="downloads/${f.name}" download>${f.name}</a></td><td>${f.description}</td><td>${kib(f.size)}</td><td><code>${f.sha256}</code></td></tr>`,
    )}</tbody></table>
<h2>Verify</h2>
<p><a href="downloads/${SUMS_FILE}">${SUMS_FILE}</a> lists the SHA-256 of every file above.${
      opts.signature
        ? html` Its signature is <a href="downloads/${opts.signature}">${opts.signature}</a>.`
        : " This release is not signed."
    }</p>
<p>In the folder holding the downloads, run <code>sha256sum -c ${SUMS_FILE}</code>; every line must say OK.</p>`,
  );
}

function wordsHtml(words: readonly WordRun[]): Html {
  return html`${words.map((w) => (w.op === "=" ? w.text : w.op === "+" ? html`<ins>${w.text}</ins>` : html`<del>${w.text}</del>`))}`;
}

function changelogBody(c: Catalog, previous: Catalog | undefined, diff: CatalogDiff | undefined): Html {
  const v = c.meta.version;
  if (!previous || !diff)
    return html`<h1>Changelog ${v}</h1><p>This is the first published release: there is no earlier release to compare with.</p>`;
  const link = (e: DiffEntry) => html`<a href="${techPath(e.id)}"><span class="id">${e.id}</span> ${e.name}</a>`;
  const section = <T extends DiffEntry>(title: string, id: string, list: readonly T[], item: (e: T) => Html) =>
    list.length
      ? html`<section aria-labelledby="${id}"><h2 id="${id}">${title} (${list.length})</h2>${groupByTactic(
          diff,
          list,
        ).map(
          ([ta, name, es]) =>
            html`<h3 id="${id}-${ta}">${name}</h3><ul>${es.map((e) => html`<li>${item(e)}</li>`)}</ul>`,
        )}</section>`
      : "";
  const fmt = {
    words: (w: readonly WordRun[]) => wordsHtml(w).value,
    code: (s: string) => html`<code>${s}</code>`.value,
  };
  const changed = (e: ChangedEntry) =>
    html`${link(e)}<ul>${Object.entries(e.changes).flatMap(([f, ch]) =>
      // changeLines builds its lines from escaped parts (fmt) and field names, which are schema keys.
      changeLines(f, ch, fmt).map((l) => html`<li>${raw(l)}</li>`),
    )}</ul>`;
  return html`<h1>Changelog ${previous.meta.version} → ${v}</h1>
${isEmptyDiff(diff) ? html`<p>No technique changed.</p>` : html`<p>Removed words are <del>struck through</del>, added words <ins>highlighted</ins>. Techniques are grouped by their first tactic. The same changelog is in the <a href="downloads.html">downloads</a> as Markdown and JSON.</p>`}
${section("New techniques", "new", diff.added, link)}
${section("Deprecated", "deprecated", diff.deprecated, link)}
${section("Revoked", "revoked", diff.revoked, (e) => html`${link(e)}: replaced by <a href="${techPath(e.revokedBy)}"><span class="id">${e.revokedBy}</span> ${e.replacementName ?? ""}</a>`)}
${section("Removed", "removed", diff.removed, link)}
${section("Changed", "changed", diff.changed, changed)}`;
}
