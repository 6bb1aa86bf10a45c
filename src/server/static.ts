// Static files of the built web UI (web/dist): exact files under the folder, index.html for any other GET that
// is not under /api (single-page-app routes), and a short plain page when the UI has not been built.
// Paths are decoded once, must not contain `..` segments, NUL or backslashes, and the resolved file must lie
// inside the folder (symlinks resolved), so no request can read outside it.
import { existsSync, realpathSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { Hono } from "hono";
import type { AppEnv } from "./context.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=UTF-8",
  ".js": "text/javascript; charset=UTF-8",
  ".mjs": "text/javascript; charset=UTF-8",
  ".css": "text/css; charset=UTF-8",
  ".json": "application/json; charset=UTF-8",
  ".map": "application/json; charset=UTF-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=UTF-8",
};

export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>techtrail</title></head>
<body>
<h1>techtrail</h1>
<p>The API is running at <a href="/api/openapi.json">/api/openapi.json</a>, but the web UI is not built.</p>
<p>Build it with <code>npm run build:web</code> (or run <code>npm start</code>, which builds it) and reload this page.</p>
</body></html>
`;

/** The file inside `root` a URL path names, or undefined when the path is unsafe or names nothing. */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const segments = decoded.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === ".." || s === ".")) return undefined;
  const file = resolve(root, ...segments);
  if (file !== root && !file.startsWith(root + sep)) return undefined;
  try {
    const real = realpathSync(file);
    if (real !== root && !real.startsWith(root + sep)) return undefined;
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

export function staticRoutes(webDir: string | null): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const root = webDir && existsSync(resolve(webDir, "index.html")) ? realpathSync(resolve(webDir)) : undefined;

  r.on(["GET", "HEAD"], "*", async (c) => {
    if (!root) {
      if (c.req.path === "/" || c.req.path === "/index.html") return c.html(NOT_BUILT_PAGE);
      return c.text("Not found (the web UI is not built)", 404);
    }
    // The raw (still percent-encoded) path, decoded exactly once by resolveStaticPath.
    const file = resolveStaticPath(root, new URL(c.req.url).pathname);
    if (file) {
      const body = await readFile(file);
      const type = TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
      const immutable = c.req.path.startsWith("/assets/");
      return c.body(body, 200, {
        "Content-Type": type,
        "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      });
    }
    // A missing file with an extension is a real 404; anything else is an app route: serve index.html.
    if (extname(c.req.path) !== "" && extname(c.req.path) !== ".html") return c.text("Not found", 404);
    const index = await readFile(resolve(root, "index.html"));
    return c.body(index, 200, { "Content-Type": TYPES[".html"] as string, "Cache-Control": "no-cache" });
  });
  r.all("*", (c) => c.text("Method not allowed", 405));
  return r;
}
