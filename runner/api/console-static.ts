/**
 * The web console's files (built by `npm run build` into dist/console): hashed assets under /assets/ cached for a
 * year, index.html never cached, and index.html for every other page path so deep links reload (the console
 * routes in the browser). /api/… is never answered here: an unknown API path stays a JSON 404.
 *
 * The build writes a brotli (.br) and a gzip (.gz) copy beside each compressible file (console/vite.config.mjs):
 * a request whose Accept-Encoding takes one gets it as it is (brotli first), with Content-Encoding, the original's
 * Content-Type and caching, and Vary: Accept-Encoding; compress.ts leaves an encoded answer alone.
 */
import express, { type Request, type RequestHandler, type Response, Router } from "express";
import fs from "node:fs";
import path from "node:path";
import { AppError } from "../errors";

/** No inline script or style, no eval, nothing from elsewhere; only the runner's own API. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * <package root>/dist/console: the package root is the nearest folder above this file holding package.json
 * (from dist/runner/api when built, runner/api under ts-jest, dist-bench/runner/api in the benchmarks).
 */
export function consoleDir(): string | undefined {
  for (let d = path.resolve(__dirname, ".."); d !== path.dirname(d); d = path.dirname(d)) {
    if (!fs.existsSync(path.join(d, "package.json"))) continue;
    const dir = path.join(d, "dist", "console");
    return fs.existsSync(path.join(dir, "index.html")) ? dir : undefined;
  }
  return undefined;
}

/** Paths that are never a console page: the API, the assets folder, and anything that looks like a file. */
const notAPage = (p: string): boolean => p.startsWith("/api/") || p === "/api" || p.startsWith("/assets/") || /\.[A-Za-z0-9]+$/.test(p);

/** The encodings the build writes, in the order the runner prefers them, and each one's file suffix. */
const ENCODINGS = [
  { name: "br", suffix: ".br" },
  { name: "gzip", suffix: ".gz" },
] as const;
type Encoding = (typeof ENCODINGS)[number];

/** A file as express.static tags it (weak, from its size and time), so a copy revalidates like the file itself. */
const etagOf = (file: string): string => {
  const st = fs.statSync(file);
  return `W/"${st.size.toString(16)}-${st.mtime.getTime().toString(16)}"`;
};

/**
 * Each file of the build (its URL path) that has precompressed copies: which, and each copy's ETag (the app sends
 * files without one, express.static with one). Read once: the build does not change under a running runner.
 */
export function precompressedFiles(dir: string): Map<string, { etag: string; copies: Array<Encoding & { etag: string }> }> {
  const found = new Map<string, { etag: string; copies: Array<Encoding & { etag: string }> }>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else {
        const have = ENCODINGS.filter((enc) => fs.existsSync(path.join(dir, child + enc.suffix))).map((enc) => ({ ...enc, etag: etagOf(path.join(dir, child + enc.suffix)) }));
        if (have.length) found.set(child, { etag: etagOf(path.join(dir, child)), copies: have });
      }
    }
  };
  walk("");
  return found;
}

/**
 * The encoding to send of those at hand: the client's highest q-value (RFC 9110 §12.5.3; `*` stands for any not
 * named), brotli before gzip on a tie; none when it takes neither (identity).
 */
export function chooseEncoding<E extends Encoding>(acceptEncoding: string | undefined, have: readonly E[]): E | undefined {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  let best: E | undefined;
  let bestQ = 0;
  for (const enc of have) {
    const v = q.get(enc.name) ?? q.get("*") ?? 0;
    if (v > bestQ) [best, bestQ] = [enc, v];
  }
  return best;
}

export function consoleRoutes(given?: string): Router {
  const dir = typeof given === "string" ? given : consoleDir();
  const r = Router();
  const encoded = dir ? precompressedFiles(dir) : new Map<string, { etag: string; copies: Array<Encoding & { etag: string }> }>();
  /** Sends a file of the build, precompressed when the client takes that; the caller has set its caching headers. */
  const send = (req: Request, res: Response, rel: string, next: (err?: unknown) => void) => {
    const have = encoded.get(rel);
    const enc = have && chooseEncoding(req.headers["accept-encoding"], have.copies);
    if (have) {
      res.vary("Accept-Encoding");
      res.setHeader("ETag", enc?.etag ?? have.etag); // send() answers If-None-Match with 304 against it
    }
    if (enc) {
      res.type(path.extname(rel));
      res.setHeader("Content-Encoding", enc.name);
    }
    res.sendFile(path.join(dir!, rel + (enc?.suffix ?? "")), { cacheControl: false, dotfiles: "deny" }, (err) => err && next(err));
  };
  const page: RequestHandler = (req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || notAPage(req.path)) return next();
    if (!dir) return next(new AppError("NotFound", "The web console is not built: run `npm run build` in the pgrotate folder"));
    res.setHeader("Content-Security-Policy", CONSOLE_CSP);
    res.setHeader("Cache-Control", "no-cache");
    send(req, res, "/index.html", next);
  };
  if (dir) {
    // A file with precompressed copies: only paths the build wrote are looked up, so nothing else is ever read here.
    r.use((req, res, next) => {
      if ((req.method !== "GET" && req.method !== "HEAD") || !encoded.has(req.path)) return next();
      res.setHeader("Content-Security-Policy", CONSOLE_CSP);
      res.setHeader("Cache-Control", req.path.startsWith("/assets/") ? IMMUTABLE : "no-cache");
      send(req, res, req.path, next);
    });
    r.use(
      express.static(dir, {
        index: false,
        redirect: false,
        dotfiles: "ignore",
        cacheControl: false,
        fallthrough: true,
        setHeaders: (res, file) => {
          res.setHeader("Content-Security-Policy", CONSOLE_CSP);
          const assets = path.join(dir, "assets") + path.sep;
          res.setHeader("Cache-Control", file.startsWith(assets) ? IMMUTABLE : "no-cache");
        },
      }),
    );
  }
  r.use(page);
  return r;
}
