/**
 * The web console's files (built by `npm run build` into dist/console): hashed assets under /assets/ cached for a
 * year, index.html never cached, and index.html for every other page path so deep links reload (the console
 * routes in the browser). /api/… is never answered here: an unknown API path stays a JSON 404.
 */
import express, { type RequestHandler, Router } from "express";
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

export function consoleRoutes(given?: string): Router {
  const dir = typeof given === "string" ? given : consoleDir();
  const r = Router();
  const page: RequestHandler = (req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || notAPage(req.path)) return next();
    if (!dir) return next(new AppError("NotFound", "The web console is not built: run `npm run build` in the pgrotate folder"));
    res.setHeader("Content-Security-Policy", CONSOLE_CSP);
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(path.join(dir, "index.html"), { cacheControl: false, dotfiles: "deny" }, (err) => err && next(err));
  };
  if (dir) {
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
