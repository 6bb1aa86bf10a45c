// A tiny hash router: `#/incidents/IR-2026-0001?tab=history`. Hash URLs keep every app route on index.html
// (technique IDs like T1078.A001 would otherwise look like file names to the static server).
import { type ReactNode, useEffect, useState } from "react";

export interface Route {
  /** Decoded path segments: `#/techniques/T1078` → ["techniques", "T1078"]. */
  parts: string[];
  query: URLSearchParams;
  path: string;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "") || "/";
  const [pathPart = "/", queryPart = ""] = raw.split("?", 2);
  const parts = pathPart
    .split("/")
    .filter((s) => s !== "")
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { parts, query: new URLSearchParams(queryPart), path: pathPart };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

/** `href` for an app path, segments encoded: href("techniques", id). */
export function href(...parts: string[]): string {
  return `#/${parts.map((p) => encodeURIComponent(p)).join("/")}`;
}

export function hrefQuery(base: string, q: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `${base}?${s}` : base;
}

export function navigate(to: string): void {
  window.location.hash = to.startsWith("#") ? to.slice(1) : to;
}

export function Link(props: { to: string; className?: string; children: ReactNode; title?: string }) {
  return (
    <a href={props.to} className={props.className} title={props.title}>
      {props.children}
    </a>
  );
}
