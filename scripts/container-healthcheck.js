#!/usr/bin/env node
// The container image's HEALTHCHECK (Dockerfile): GET /healthz on the runner in this container, exit 0 on 200 and
// 1 otherwise. Node itself, since slim images have no curl; https (the runner's own certificate, not verified: the
// check asks the process beside it) when PGROTATE_TLS_CERT_FILE is set.
"use strict";
const env = process.env;
const tls = Boolean(env.PGROTATE_TLS_CERT_FILE);
const bound = env.PGROTATE_HOST;
const host = !bound || bound === "0.0.0.0" || bound === "::" ? "127.0.0.1" : bound;
const request = require(tls ? "node:https" : "node:http").get({
  host,
  port: Number(env.PGROTATE_PORT || 8080),
  path: "/healthz",
  timeout: 4000,
  rejectUnauthorized: false,
});
request.on("response", (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
request.on("timeout", () => request.destroy(new Error("timed out")));
request.on("error", (err) => {
  process.stderr.write(`pgrotate healthcheck: ${err.message}\n`);
  process.exit(1);
});
