/**
 * GET /openapi.json (the API reference, generated from the zod schemas) and GET /docs (Swagger UI, served from
 * the installed swagger-ui-dist package: no CDN). The page loads no inline script: its initializer is a file
 * (/docs/init.js), so it runs under a CSP that forbids inline script and eval.
 */
import path from "node:path";
import { Router } from "express";
import { AppError } from "../errors";
import { openApiJson } from "./openapi/document";
import { DOCS_ASSETS } from "./openapi/operations";

const SWAGGER_DIR = path.dirname(require.resolve("swagger-ui-dist/package.json"));


/** helmet's default policy, with scripts, styles, fetches and images from this origin only; no inline script, no eval. */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
].join(";");

// Swagger UI's initializer: the spec sits next to /docs, found relative to this script's own URL.
const INIT_JS = `"use strict";
(function () {
  var spec = new URL("../openapi.json", document.currentScript.src).href;
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({ url: spec, dom_id: "#swagger-ui", deepLinking: true, presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout" });
  });
})();
`;

const page = (assets: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>pgrotate API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${assets}swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assets}swagger-ui-bundle.js"></script>
<script src="${assets}init.js"></script>
</body>
</html>
`;

export function referenceRoutes(): Router {
  const r = Router();
  r.get("/openapi.json", (_req, res) => {
    res.type("application/json").send(openApiJson());
  });
  r.get("/docs", (req, res) => {
    // Relative links work at /docs and /docs/, and behind a proxy that mounts the runner under a prefix.
    res.setHeader("Content-Security-Policy", DOCS_CSP);
    res.type("html").send(page(req.path.endsWith("/") ? "./" : "./docs/"));
  });
  r.get("/docs/:asset", (req, res, next) => {
    const asset = DOCS_ASSETS.find((a) => a === req.params.asset);
    if (!asset) return next(new AppError("NotFound", `No file ${JSON.stringify(String(req.params.asset).slice(0, 80))} in /docs`));
    if (asset === "init.js") return void res.type("application/javascript").send(INIT_JS);
    res.sendFile(path.join(SWAGGER_DIR, asset), (err) => err && next(err));
  });
  return r;
}
