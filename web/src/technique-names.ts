// Technique names by ID for pages that only hold IDs (incident tags): one GET /api/catalog/techniques per
// page load (the server caches it; revoked ones included so old tags still get a name).
import { useEffect, useState } from "react";
import { client, ok } from "./client";

let cache: Promise<Map<string, string>> | null = null;

function load(): Promise<Map<string, string>> {
  cache ??= ok(client.catalog.techniques.$get({ query: { includeRevoked: "1" } }))
    .then((r) => new Map(r.items.map((t) => [t.id, t.name])))
    .catch((e: unknown) => {
      cache = null;
      throw e;
    });
  return cache;
}

/** Map of technique ID → name; empty until loaded (names are a nicety, so errors leave it empty). */
export function useTechniqueNames(): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    let live = true;
    load().then(
      (m) => {
        if (live) setNames(m);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return names;
}
