// Page templates of the published site: plain functions over `html` templates (src/core/html.ts), so every
// catalog string is escaped. Links are relative, so a release folder works from any host, prefix or file://.
import { type Html, html, raw } from "../core/html.js";

/** Colours pass WCAG AA contrast on white (text ≥ 4.5:1); focus is always visible for keyboard users. */
const CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #4a5360; --link: #0b57a3; --line: #c9d1da; --bg2: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #d35400; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header.site { background: #14213d; color: #fff; padding: .75rem 1rem; }
header.site a { color: #fff; }
header.site nav ul { list-style: none; margin: .25rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
main { padding: 1rem; max-width: 80rem; }
.matrix { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: .75rem; }
.matrix section { border: 1px solid var(--line); border-radius: 4px; padding: .5rem; background: var(--bg2); }
.matrix h2 { font-size: 1rem; margin: 0 0 .5rem; }
.matrix ul { list-style: none; margin: 0; padding: 0; font-size: .9rem; }
.matrix li { margin: .2rem 0; }
.id { font-family: ui-monospace, monospace; font-size: .85em; color: var(--muted); }
.note { border-left: 4px solid #b45309; background: #fff7ed; padding: .5rem .75rem; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
code { font-family: ui-monospace, monospace; font-size: .9em; }
del { background: #ffe1e1; color: #7a0010; }
ins { background: #dcf5e1; color: #0a4d1a; text-decoration: none; }
.muted { color: var(--muted); }
.overlay { border: 1px solid #0f766e; color: #0f5b55; border-radius: 999px; padding: 0 .4rem; font-size: .8em; white-space: nowrap; }
footer { padding: 1rem; color: var(--muted); font-size: .9rem; }
`;

export interface PageContext {
  /** Path from this page to the release folder ("" or "../"). */
  root: string;
  version: string;
  catalogName: string;
  /** Absolute URL of this page when --base-url is given (for rel=canonical). */
  canonical?: string;
}

export function layout(
  ctx: PageContext,
  title: string,
  body: Html,
  opts: { head?: Html; index?: boolean } = {},
): string {
  const r = ctx.root;
  const main = opts.index
    ? html`<main id="main" data-pagefind-body>${body}</main>`
    : html`<main id="main">${body}</main>`;
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · ${ctx.catalogName} ${ctx.version}</title>
${ctx.canonical ? html`<link rel="canonical" href="${ctx.canonical}">` : ""}
<style>${raw(CSS)}</style>
${opts.head ?? ""}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<div><a href="${r}index.html"><strong>${ctx.catalogName}</strong></a> <span>release ${ctx.version}</span></div>
<nav aria-label="Site">
<ul>
<li><a href="${r}index.html">Matrix</a></li>
<li><a href="${r}mitigations/index.html">Mitigations</a></li>
<li><a href="${r}search.html">Search</a></li>
<li><a href="${r}changelog.html">Changelog</a></li>
<li><a href="${r}downloads.html">Downloads</a></li>
<li><a href="${r}../index.html">All releases</a></li>
</ul>
</nav>
</header>
${main}
<footer>${ctx.catalogName} ${ctx.version}. Built by <code>techtrail publish</code>.</footer>
</body>
</html>`}\n`;
}

/** Paragraphs from catalog prose (blank lines separate paragraphs). */
export function prose(text: string): Html {
  const paras = text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  return html`${paras.map((p) => html`<p>${p}</p>`)}`;
}
