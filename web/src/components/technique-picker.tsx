// Technique picker: type words a responder would use ("stolen access keys", "crypto mining", an ID) and pick
// from the catalog's ranked matches (GET /api/catalog/search, which searches names, aliases and events).
// Keyboard: ↓/↑ move, Enter picks, Escape closes.
import { type KeyboardEvent, useEffect, useId, useState } from "react";
import type { SearchHit } from "../api-types";
import { client, ok } from "../client";
import { errorText } from "./common";

export interface Picked {
  id: string;
  name: string;
}

export function TechniquePicker(props: { exclude: string[]; onPick: (t: Picked) => void; label?: string }) {
  const [text, setText] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const listId = useId();

  useEffect(() => {
    const q = text.trim();
    if (q.length < 2) {
      setHits([]);
      setError(null);
      return;
    }
    const ctl = new AbortController();
    const timer = window.setTimeout(() => {
      ok(client.catalog.search.$get({ query: { q, limit: 8 } }, { init: { signal: ctl.signal } }))
        .then((r) => {
          setHits(r.items);
          setActive(0);
          setOpen(true);
          setError(null);
        })
        .catch((e: unknown) => {
          if (!ctl.signal.aborted) setError(errorText(e));
        });
    }, 150);
    return () => {
      ctl.abort();
      window.clearTimeout(timer);
    };
  }, [text]);

  const shown = hits.filter((h) => !props.exclude.includes(h.id));

  function pick(h: SearchHit) {
    props.onPick({ id: h.id, name: h.name });
    setText("");
    setHits([]);
    setOpen(false);
  }

  function onKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(a + 1, shown.length - 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === "Enter") {
      // Enter in the picker never submits the surrounding form: it picks, or waits for the matches.
      if (text.trim() === "") return;
      e.preventDefault();
      const h = shown[active];
      if (open && h) pick(h);
    } else if (e.key === "Escape") setOpen(false);
  }

  const matchedText = (h: SearchHit): string => {
    const m = h.matched;
    if (!m) return "";
    return Array.isArray(m) ? m.join(", ") : String(m);
  };

  return (
    <div className="picker">
      <label>
        {props.label ?? "Add technique"}
        <input
          type="search"
          aria-controls={listId}
          data-testid="technique-picker"
          value={text}
          placeholder="type what happened, e.g. stolen access keys"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKey}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
        />
      </label>
      {error ? <p className="error">{error}</p> : null}
      {open && shown.length > 0 ? (
        <ul className="picker-list" id={listId} data-testid="picker-results">
          {shown.map((h, n) => (
            <li key={h.id} className={n === active ? "active" : ""} data-technique={h.id}>
              <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={() => pick(h)}>
                <span className="tid">{h.id}</span> {h.name}
                {matchedText(h) ? <small className="muted"> — matched {matchedText(h)}</small> : null}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {open && text.trim().length >= 2 && hits.length > 0 && shown.length === 0 ? (
        <p className="muted">Every match is already picked.</p>
      ) : null}
    </div>
  );
}
