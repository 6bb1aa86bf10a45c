// Small shared pieces: loading and error states, the "not available" state for endpoints the server does
// not offer, badges and formatting helpers. All text is rendered as text (never as HTML).
import { type ReactNode, useState } from "react";
import { ApiError, isMissingEndpoint } from "../api";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <p className="muted" aria-busy="true">
      {what}…
    </p>
  );
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function NotAvailable({ feature }: { feature: string }) {
  return (
    <div className="notice" data-testid="not-available">
      <strong>Not available.</strong> This server does not offer {feature} yet.
    </div>
  );
}

/** Shown instead of a page whose actions the signed-in role may not take (the server refuses them too). */
export function NeedsRole({ need, what }: { need: string; what: string }) {
  return (
    <div className="notice" data-testid="needs-role">
      <strong>Not for your role.</strong> {what} needs the {need} role or higher.
    </div>
  );
}

/** An error box; a missing endpoint shows the "not available" state instead. */
export function ErrorBox({ error, feature }: { error: unknown; feature?: string }) {
  if (feature && isMissingEndpoint(error)) return <NotAvailable feature={feature} />;
  const problems = error instanceof ApiError ? error.problems : [];
  return (
    <div className="error" role="alert">
      <p>{errorText(error)}</p>
      {problems.length > 0 && (
        <ul>
          {problems.map((p) => (
            <li key={`${p.source ?? ""}:${p.line ?? ""}:${p.field}:${p.message}`}>
              {p.line !== undefined ? `line ${p.line}${p.column !== undefined ? `, column ${p.column}` : ""}: ` : ""}
              {p.field ? <code>{p.field}</code> : null} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Badge({ kind, children }: { kind: string; children: ReactNode }) {
  return <span className={`badge badge-${kind}`}>{children}</span>;
}

export function DemoBadge({ demo }: { demo: boolean }) {
  return demo ? (
    <span className="badge badge-demo" title="synthetic demo data">
      demo
    </span>
  ) : null;
}

export function fmtDate(ts: string | null | undefined): string {
  if (!ts) return "—";
  return ts.replace("T", " ").replace(/(:\d{2})(\.\d+)?Z$/, "$1 UTC");
}

export function fmtDay(ts: string | null | undefined): string {
  if (!ts) return "—";
  return ts.slice(0, 10);
}

/** Seconds as `3 d 4 h`, `5 h 12 min`, `42 min`. */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** `1 incident`, `3 incidents`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export function pct(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-title">
      <h1>{children}</h1>
      {actions ? <div className="actions">{actions}</div> : null}
    </div>
  );
}

/** Copies a secret (token, one-time password) to the clipboard and says so. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setState("copied"),
      () => setState("failed"),
    );
  };
  return (
    <button type="button" className="copy" onClick={copy} data-testid="copy">
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select the text" : label}
    </button>
  );
}
