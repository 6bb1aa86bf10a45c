// Vite build of the techtrail web UI: web/ is the root, output in web/dist (served by `techtrail start`).
// `npm run dev:web` serves it with hot reload and forwards /api to a running server on 127.0.0.1:4317.
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // The CSP forbids inline script and style: keep every asset a file, never a data: URL.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": "http://127.0.0.1:4317" },
  },
});
