// Which endpoints this server offers, from its OpenAPI document (GET /api/openapi.json, fetched once): pages link
// to optional features (reports) only when the server documents them.
import { useEffect, useState } from "react";
import { api } from "./api";

let doc: Promise<Set<string>> | null = null;

function load(): Promise<Set<string>> {
  doc ??= api
    .get<{ paths: Record<string, unknown> }>("/api/openapi.json")
    .then((d) => new Set(Object.keys(d.paths)))
    .catch((e: unknown) => {
      doc = null;
      throw e;
    });
  return doc;
}

/** undefined while loading; then whether the server documents `path` (an OpenAPI path template). */
export function useOffers(path: string): boolean | undefined {
  const [offered, setOffered] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    let live = true;
    load().then(
      (paths) => live && setOffered(paths.has(path)),
      () => live && setOffered(false),
    );
    return () => {
      live = false;
    };
  }, [path]);
  return offered;
}
