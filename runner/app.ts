import express, { type Express } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import type { Pool } from "pg";
import type { Registry } from "prom-client";
import { connectionRoutes } from "./api/connections";
import { healthRoutes } from "./api/health";
import { accessRoutes, loginRoutes } from "./api/access";
import { authenticate, bearerHash, errorHandler, notFoundHandler, rejectNul } from "./api/http";
import type { AccessService } from "./auth/access";
import { auditMiddleware, type AuditWriter } from "./auth/audit";
import { AppError } from "./errors";
import { rotationRoutes } from "./api/rotations";
import { secretRoutes } from "./api/secrets";
import type { Logger, Scrubber } from "./logger";
import type { RotationEngine } from "./rotation/engine";
import type { ConnectionService } from "./services/connections";
import type { RotationService } from "./services/rotations";
import type { SecretService } from "./services/secrets";

export interface AppDeps {
  pool: Pool;
  access: AccessService;
  audit: AuditWriter;
  /** Failed authentications allowed per client IP per minute before 429. */
  authFailuresPerMinute: number;
  logger: Logger;
  scrubber: Scrubber;
  clock: () => Date;
  engine: RotationEngine;
  connections: ConnectionService;
  rotations: RotationService;
  secrets: SecretService;
  schedulerRunning: () => boolean;
  metrics: Registry;
  /** A due rotation not started this long after its time counts as overdue (/readyz, metrics). */
  overdueAfterMs: number;
}

export const BODY_LIMIT = "64kb";

/** The headers helmet() sets with its defaults, captured once (they do not vary per request here). */
function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: unknown) => void (headers[k] = String(v)),
    removeHeader: (k: string) => void delete headers[k],
    getHeader: (k: string) => headers[k],
  };
  helmet()({} as never, res as never, () => undefined);
  return headers;
}

/** The runner's HTTP API as an Express app; binds no port (main does). */
export function createApp(d: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false); // responses are no-store; hashing every body for an ETag is wasted work
  app.set("query parser", "simple");
  app.set("trust proxy", false);
  // helmet's headers are static here: computed once, set with one call per response.
  const headers = { ...securityHeaders(), "Cache-Control": "no-store" };
  app.use((_req, res, next) => {
    res.setHeaders(new Map(Object.entries(headers)));
    next();
  });
  app.use(healthRoutes({ pool: d.pool, clock: d.clock, schedulerRunning: d.schedulerRunning, overdueAfterMs: d.overdueAfterMs }));
  app.get("/metrics", (_req, res, next) => {
    d.metrics.metrics().then((text) => res.type(d.metrics.contentType).send(text), next);
  });
  // Only failed authentications count: a client that keeps guessing tokens or client secrets gets 429.
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: d.authFailuresPerMinute,
    skipSuccessfulRequests: true,
    // Calls with a token already known to be valid cannot be guesses: no counting work on the hot read path.
    skip: (req) => {
      const h = bearerHash(req);
      return !!h && d.access.knownValid(h);
    },
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError("TooManyRequests", "Too many failed authentications from this address; retry in a minute")),
  });
  app.use("/api", limiter);
  app.use("/api", express.json({ limit: BODY_LIMIT, strict: true, type: (req) => req.method !== "GET" && req.method !== "HEAD" }));
  app.use("/api", auditMiddleware(d.audit));
  app.use("/api", rejectNul);
  app.use("/api/v1/auth/universal-auth", loginRoutes(d.access));
  app.use("/api", authenticate(d.access));
  const access = accessRoutes(d.access, d.pool, d.audit);
  app.use("/api/v1/auth", access.auth);
  app.use("/api/v1/audit-logs", access.audit);
  app.use("/api/v1/app-connections/postgres", connectionRoutes(d.connections));
  app.use("/api/v2/secret-rotations/postgres-credentials", rotationRoutes(d.rotations, d.engine, d.pool));
  app.use("/api/v3/secrets/raw", secretRoutes(d.secrets));
  app.use(notFoundHandler);
  app.use(errorHandler(d.logger, (s) => d.scrubber.scrub(s)));
  return app;
}
