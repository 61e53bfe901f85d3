// Builds the web console into dist/console, which the runner serves at / (runner/api/console-static.ts).
// JSX is compiled by Vite's own transformer (React's automatic runtime); no inline script is emitted, so the
// runner's Content-Security-Policy can forbid them. Each compressible file of 1 KB or more also gets a brotli
// (.br) and a gzip (.gz) copy beside it, compressed once at their best here: the runner sends the one the
// browser accepts instead of compressing the same bytes on every request. The pages and dialogs the first page does
// not show are split into chunks of their own (React.lazy, console/src/common/lazy.tsx); .vite/manifest.json says
// which chunks the entry imports, for the first page's size check (test/console-static.test.ts). The runner never
// serves it (a dot folder), and it gets no compressed copies.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const outDir = fileURLToPath(new URL("../dist/console", import.meta.url));

/** What is worth compressing (text); the runner's compress.ts threshold is 1 KB too. */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|map|txt|webmanifest)$/;
const MIN_BYTES = 1024;

/** Writes <file>.br and <file>.gz beside every compressible file of the build, each only when it is smaller. */
function precompress() {
  return {
    name: "pgrotate-precompress",
    apply: "build",
    closeBundle() {
      const walk = (dir) =>
        fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.name.startsWith(".") ? [] : e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
      for (const file of walk(outDir)) {
        if (!COMPRESSIBLE.test(file)) continue;
        const bytes = fs.readFileSync(file);
        if (bytes.length < MIN_BYTES) continue;
        const variants = {
          br: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }),
          gz: zlib.gzipSync(bytes, { level: 9 }),
        };
        for (const [ext, packed] of Object.entries(variants)) if (packed.length < bytes.length) fs.writeFileSync(`${file}.${ext}`, packed);
      }
    },
  };
}

export default defineConfig({
  root,
  base: "/",
  publicDir: "public",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic" } },
  plugins: [precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    manifest: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
    reportCompressedSize: false,
    rolldownOptions: {
      // TanStack Query's "use client" markers mean nothing in a browser-only bundle.
      onLog(level, log, handler) {
        if (log.code === "MODULE_LEVEL_DIRECTIVE") return;
        handler(level, log);
      },
    },
  },
});
