// A small Markdown renderer for playbooks: headings, paragraphs, bullet and numbered lists (with wrapped
// continuation lines), fenced code blocks, and inline `code`, **bold** and [links](https://...). It builds React
// elements from text — never HTML — so whatever a playbook file contains is shown, not executed.
import type { ReactNode } from "react";

export type Block =
  | { kind: "heading"; level: number; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; ordered: boolean; items: string[] }
  | { kind: "code"; text: string };

export function parseMarkdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (para.length) blocks.push({ kind: "paragraph", text: para.join(" ") });
    para = [];
    if (list) blocks.push({ kind: "list", ...list });
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s*```/.test(line)) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i] as string); i++) code.push(lines[i] as string);
      blocks.push({ kind: "code", text: code.join("\n") });
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      flush();
      blocks.push({ kind: "heading", level: (h[1] as string).length, text: (h[2] as string).trim() });
      continue;
    }
    const item = /^\s{0,3}([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1] as string);
      if (para.length || (list && list.ordered !== ordered)) flush();
      list ??= { ordered, items: [] };
      list.items.push((item[2] as string).trim());
      continue;
    }
    if (line.trim() === "") {
      flush();
      continue;
    }
    // A wrapped line continues the open list item or paragraph.
    if (list && /^\s+/.test(line)) {
      const n = list.items.length - 1;
      list.items[n] = `${list.items[n]} ${line.trim()}`;
      continue;
    }
    if (list) flush();
    para.push(line.trim());
  }
  flush();
  return blocks;
}

export type Span =
  | { kind: "text"; text: string }
  | { kind: "code"; text: string }
  | { kind: "strong"; text: string }
  | { kind: "link"; text: string; href: string };

/** Inline spans: `code`, **bold**, [text](http(s) URL); everything else is text. */
export function inlineSpans(text: string): Span[] {
  const out: Span[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) out.push({ kind: "text", text: text.slice(last, m.index) });
    if (m[1] !== undefined) out.push({ kind: "code", text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: "strong", text: m[2] });
    else out.push({ kind: "link", text: m[3] as string, href: m[4] as string });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

function inline(text: string): ReactNode[] {
  return inlineSpans(text).map((s, n) => {
    const key = `${n}:${s.kind}`;
    if (s.kind === "code") return <code key={key}>{s.text}</code>;
    if (s.kind === "strong") return <strong key={key}>{s.text}</strong>;
    if (s.kind === "link")
      return (
        <a key={key} href={s.href} rel="noopener noreferrer" target="_blank">
          {s.text}
        </a>
      );
    return s.text;
  });
}

export function Markdown({ source }: { source: string }) {
  return (
    <div className="markdown">
      {parseMarkdown(source).map((b, i) => {
        const key = `${i}:${b.kind}`;
        switch (b.kind) {
          case "heading":
            return b.level <= 1 ? (
              <h2 key={key}>{inline(b.text)}</h2>
            ) : b.level === 2 ? (
              <h3 key={key}>{inline(b.text)}</h3>
            ) : (
              <h4 key={key}>{inline(b.text)}</h4>
            );
          case "paragraph":
            return <p key={key}>{inline(b.text)}</p>;
          case "code":
            return (
              <pre key={key}>
                <code>{b.text}</code>
              </pre>
            );
          case "list": {
            // The text keys an item; a repeated item gets its occurrence number.
            const seen = new Map<string, number>();
            const items = b.items.map((it) => {
              const k = (seen.get(it) ?? 0) + 1;
              seen.set(it, k);
              return <li key={`${it}#${k}`}>{inline(it)}</li>;
            });
            return b.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>;
          }
          default:
            return null;
        }
      })}
    </div>
  );
}
