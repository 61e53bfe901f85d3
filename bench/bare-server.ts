/**
 * The floors of the reads benchmark: a bare Express route answering the same JSON from memory, or with
 * BENCH_BARE_HTTP=1 a bare node:http server sending the runner's very answer (its security headers, type,
 * length and the same JSON) without doing anything else, each in its own process like the runner.
 * BENCH_BODY holds the JSON text; it prints the same "listening on" line.
 * BENCH_BARE_WITH (diagnostic ladder) adds the runner's own global middleware, with the runner's options,
 * one at a time: "helmet", "ratelimit", "json" (comma-separated).
 */
import http from "node:http";
import { API_HEADERS, JSON_TYPE } from "../runner/api/headers";
import express from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";

const body = JSON.parse(process.env.BENCH_BODY ?? "{}") as unknown;
const listening = (server: http.Server) => () => {
  const a = server.address() as { port: number };
  process.stdout.write(`listening on http://127.0.0.1:${a.port}\n`);
};

if (process.env.BENCH_BARE_HTTP) {
  // No framework, no work: the runner's headers and the JSON text, as the runner's memory path writes them.
  const text = JSON.stringify(body);
  const head = [...[...API_HEADERS].flat(), "Content-Type", JSON_TYPE, "Content-Length", String(Buffer.byteLength(text))];
  const server = http.createServer((_req, res) => {
    res.writeHead(200, head);
    res.end(text);
  });
  server.listen(0, "127.0.0.1", listening(server));
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
} else {
  expressServer();
}

function expressServer(): void {
const extra = new Set((process.env.BENCH_BARE_WITH ?? "").split(",").filter(Boolean));
const app = express();
if (extra.has("helmet")) {
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  app.use(helmet());
}
if (extra.has("ratelimit")) {
  // As runner/app.ts mounts it: every request counts, successful ones are taken back on finish.
  app.use("/api", rateLimit({
    windowMs: 60_000, limit: 30, skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401, standardHeaders: "draft-8", legacyHeaders: false,
  }));
}
if (extra.has("json")) app.use("/api", express.json({ limit: "64kb", strict: true, type: () => true }));
app.get("/api/v3/secrets/raw/:name", (_req, res) => {
  res.json(body);
});
const server = app.listen(0, "127.0.0.1", () => listening(server)());
process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
