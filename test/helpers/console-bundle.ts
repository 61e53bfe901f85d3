/**
 * The built console's JavaScript as a browser fetches it: from dist/console/index.html and the build's manifest
 * (.vite/manifest.json), the chunks the first page needs (the entry and its static imports; signed out, those and
 * the sign-in page's) and every chunk there is, with their sizes gzip and brotli at the build's own levels. Read by
 * test/console-static.test.ts (the 150 KB budget) and bench/console.ts.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

/** A chunk of the build's manifest, keyed by its source (or `_<file>` for a shared chunk). */
export interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

/** docs/console.md: what the first page needs, gzip. */
export const FIRST_PAGE_BUDGET_BYTES = 150 * 1024;

export interface ConsoleBundle {
  manifest: Record<string, ManifestChunk>;
  /** The entry script index.html loads (file name under assets/). */
  entryFile: string;
  /** Manifest keys: the entry and every chunk it imports statically (what runs before anything shows). */
  signedIn: Set<string>;
  /** Those and the sign-in page's chunk with its static imports (the first page when signed out). */
  signedOut: Set<string>;
  /** The manifest key of the chunk of its own that `src` (e.g. src/rotations/RotationPage.tsx) loads in; throws when it has none. */
  lazyKey: (src: string) => string;
  /** `key` and every chunk it imports statically, transitively. */
  withStaticImports: (key: string, into?: Set<string>) => Set<string>;
  /** Bytes of these chunks, gzip -9 and brotli 11 (as console/vite.config.mjs writes them) and as built. */
  size: (keys: Iterable<string>) => { gzip: number; brotli: number; raw: number };
  /** Every JavaScript chunk's key. */
  all: Set<string>;
}

export function readConsoleBundle(dir: string): ConsoleBundle {
  const indexHtml = fs.readFileSync(path.join(dir, "index.html"), "utf8");
  const entryFile = /<script type="module"[^>]*\ssrc="\/assets\/([^"]+\.js)"/.exec(indexHtml)?.[1];
  if (!entryFile) throw new Error("dist/console/index.html loads no module script");
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, ".vite", "manifest.json"), "utf8")) as Record<string, ManifestChunk>;
  const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry && manifest[k].file === `assets/${entryFile}`);
  if (!entryKey) throw new Error(`the build's manifest has no entry for assets/${entryFile}`);
  const withStaticImports = (key: string, into = new Set<string>()): Set<string> => {
    if (!into.has(key)) {
      into.add(key);
      for (const k of manifest[key].imports ?? []) withStaticImports(k, into);
    }
    return into;
  };
  const lazyKey = (src: string): string => {
    const key = Object.keys(manifest).find((k) => manifest[k].isDynamicEntry && manifest[k].src === src);
    if (!key) throw new Error(`${src} is not loaded on first use (no chunk of its own in the build's manifest)`);
    return key;
  };
  const size = (keys: Iterable<string>) => {
    const total = { gzip: 0, brotli: 0, raw: 0 };
    for (const k of keys) {
      const bytes = fs.readFileSync(path.join(dir, manifest[k].file));
      total.raw += bytes.length;
      total.gzip += zlib.gzipSync(bytes, { level: 9 }).length;
      total.brotli += zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }).length;
    }
    return total;
  };
  const signedIn = withStaticImports(entryKey);
  return {
    manifest,
    entryFile,
    signedIn,
    signedOut: withStaticImports(lazyKey("src/session/SignInPage.tsx"), new Set(signedIn)),
    lazyKey,
    withStaticImports,
    size,
    all: new Set(Object.keys(manifest).filter((k) => manifest[k].file.endsWith(".js"))),
  };
}
