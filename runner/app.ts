import express, { type Express, type Request } from "express";
import { ipKeyGenerator, MemoryStore, rateLimit } from "express-rate-limit";
import onHeaders from "on-headers";
import type { Pool } from "pg";
import type { IncomingMessage, RequestListener } from "node:http";
import { compress } from "./api/compress";
import { connectionRoutes } from "./api/connections";
import { consumerRoutes } from "./api/consumers";
import { eventRoutes, type FeedLimits } from "./api/events";
import { projectEventRoutes } from "./api/project-events";
import { rotationEventRoutes } from "./api/rotation-events";
import { fastSecretRead } from "./api/fast-read";
import { API_HEADERS } from "./api/headers";
import { healthRoutes } from "./api/health";
import { keyRoutes } from "./api/keys";
import { accessRoutes, loginRoutes, tokenRoutes } from "./api/access";
import { projectRoutes } from "./api/projects";
import { projectFreezeRoutes } from "./api/project-freeze";
import { adminRoutes } from "./api/admin";
import { referenceRoutes } from "./api/reference";
import { authenticate, bearerHash, errorHandler, knownValid, markArrival, notFoundHandler, rejectNul } from "./api/http";
import type { AccessService } from "./auth/access";
import type { ConsoleSessions } from "./auth/sessions";
import { consoleSessionRoutes } from "./api/console-session";
import { consoleRoutes } from "./api/console-static";
import { auditMiddleware, type AuditWriter } from "./auth/audit";
import { AppError } from "./errors";
import { rotationRoutes } from "./api/rotations";
import { secretRoutes } from "./api/secrets";
import type { Logger, Scrubber } from "./logger";
import type { Metrics } from "./metrics";
import type { RotationEngine } from "./rotation/engine";
import type { ConnectionService } from "./services/connections";
import type { ConsumerService } from "./services/consumers";
import type { KeysService } from "./services/keys";
import type { PairCheckService } from "./services/pair-check";
import type { RotationService } from "./services/rotations";
import type { SecretEventHub } from "./services/secret-events";
import type { RotationEventHub } from "./services/rotation-events";
import type { SecretService } from "./services/secrets";
import { HealthService, type NotificationState } from "./services/health";

export interface AppDeps {
  pool: Pool;
  access: AccessService;
  /** The web console's sign-in sessions (cookie). */
  sessions: ConsoleSessions;
  /** Origin of PGROTATE_PUBLIC_URL: where users open the console behind a TLS-terminating proxy. */
  publicOrigin?: string;
  /** The built console (default: dist/console, found next to the runner). */
  consoleDir?: string;
  audit: AuditWriter;
  /** Failed authentications allowed per client IP per minute before 429. */
  authFailuresPerMinute: number;
  logger: Logger;
  scrubber: Scrubber;
  clock: () => Date;
  engine: RotationEngine;
  connections: ConnectionService;
  pairChecks: PairCheckService;
  rotations: RotationService;
  secrets: SecretService;
  /** The keyring's counts and the rekey (admin). */
  keys: KeysService;
  /** Applications reporting the database users they use (/api/v1/consumers). */
  consumers: ConsumerService;
  /** The change feed (GET /api/v1/events/secrets). */
  feed: SecretEventHub;
  /** The rotation-status stream (GET /api/v1/events/rotations); its streams count in the feed's caps. */
  rotationFeed: RotationEventHub;
  feedLimits?: FeedLimits;
  schedulerRunning: () => boolean;
  metrics: Metrics;
  /** A due rotation not started this long after its time counts as overdue (/readyz, metrics). */
  overdueAfterMs: number;
  /** The store listener's state (/readyz): caches are bypassed while it is down. */
  notifications: () => NotificationState;
}

export const BODY_LIMIT = "64kb";
/** Renew and revoke name the token in their body: their 401s are not failed logins (api/access.ts). */
const TOKEN_PATHS = "/v1/auth/token/";

/** The long-lived event streams (under /api): the change feed, Infisical's project events, rotation status. */
const isEventStream = (req: Request): boolean => req.path.startsWith("/v1/events/");

/** Content-Length: 0 and no chunked body. */
const declaresEmptyBody = (req: IncomingMessage): boolean => req.headers["content-length"] === "0" && req.headers["transfer-encoding"] === undefined;

/**
 * The runner's HTTP API as a node:http request listener (binds no port; runtime does): the hot secret read
 * from memory (api/fast-read.ts, with the same steps as the API: api/pipeline.ts), everything else through the
 * Express app.
 */
export function createApp(d: AppDeps): RequestListener {
  const app = expressApp(d);
  const fast = fastSecretRead({ access: d.access, secrets: d.secrets, audit: d.audit, onRead: d.metrics.onSecretRead });
  return (req, res) => {
    const arrived = performance.now();
    if (fast(req, res, arrived)) return;
    markArrival(req, arrived);
    app(req, res);
  };
}

/** The Express app alone (createApp adds the fast read in front of it). Tests walk its routes against the API reference. */
export function expressApp(d: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false); // responses are no-store; hashing every body for an ETag is wasted work
  app.set("query parser", "simple");
  app.set("trust proxy", false);
  app.use(function securityHeaders(_req, res, next) {
    res.setHeaders(API_HEADERS);
    next();
  });
  app.use(compress());
  app.use(healthRoutes(new HealthService({ pool: d.pool, clock: d.clock, schedulerRunning: d.schedulerRunning, overdueAfterMs: d.overdueAfterMs, notifications: d.notifications })));
  app.get("/metrics", (_req, res, next) => {
    d.metrics.registry.metrics().then((text) => res.type(d.metrics.registry.contentType).send(text), next);
  });
  app.use(referenceRoutes());
  // Infisical's status probe (the operator's InfisicalConnection checks it before anything else).
  app.get("/api/status", (_req, res) => void res.json({ message: "Ok" }));
  // Only failed authentications count: a client that keeps guessing tokens or client secrets gets 429.
  // The limiter counts a request when it arrives and takes it back when its answer is not a 401. An event stream's
  // answer lasts as long as the stream (the library would take it back only at its end, never if the client
  // closes it): streams are taken back here as soon as their headers go out without a 401, so open streams (a
  // console tab each) never use up an address's allowance of failures.
  const failures = new MemoryStore();
  const clientKey = (req: Request) => ipKeyGenerator(req.ip ?? "");
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: d.authFailuresPerMinute,
    store: failures,
    keyGenerator: clientKey,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (req, res) => res.statusCode !== 401 && !isEventStream(req),
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new AppError("TooManyRequests", "Too many failed authentications from this address; retry in a minute")),
  });
  // A call with a token already known to be valid cannot be a guess: it passes by the limiter without entering
  // it (its skip option alone still costs the limiter's async bookkeeping, ~0.1 ms per call).
  app.use("/api", function authFailureLimit(req, res, next) {
    if (knownValid(d.access, bearerHash(req)) || req.path.startsWith(TOKEN_PATHS)) return next();
    if (isEventStream(req)) {
      onHeaders(res, () => {
        if (res.statusCode !== 401) void failures.decrement(clientKey(req));
      });
    }
    void limiter(req, res, next);
  });
  // A request that declares an empty body (Content-Length: 0, e.g. POST rotate-secrets) is not read: req.body
  // stays undefined, which every handler reads as {}.
  app.use("/api", express.json({ limit: BODY_LIMIT, strict: true, type: (req) => req.method !== "GET" && req.method !== "HEAD" && !declaresEmptyBody(req) }));
  app.use("/api", auditMiddleware(d.audit));
  app.use("/api", rejectNul);
  app.use("/api/v1/auth/universal-auth", loginRoutes(d.access));
  app.use("/api/v1/auth/token", tokenRoutes(d.access));
  const auth = authenticate(d.access, { sessions: d.sessions, publicOrigin: d.publicOrigin });
  app.use("/api/v1/console/session", consoleSessionRoutes({ access: d.access, sessions: d.sessions, authenticate: auth, publicOrigin: d.publicOrigin }));
  app.use("/api", auth);
  const access = accessRoutes(d.access, d.audit);
  app.use("/api/v1/auth", access.auth);
  app.use("/api/v1/audit-logs", access.audit);
  app.use("/api/v1/admin/keys", keyRoutes(d.keys));
  app.use("/api/v1/admin", adminRoutes(d.pool));
  app.use(projectRoutes(d.pool));
  app.use(projectFreezeRoutes(d.pool, d.clock));
  app.use("/api/v1/app-connections/postgres", connectionRoutes(d.connections, d.pairChecks));
  app.use("/api/v2/secret-rotations/postgres-credentials", rotationRoutes(d.rotations, d.connections, d.engine, d.pairChecks));
  const reads = secretRoutes(d.secrets, d.metrics.onSecretRead);
  app.use("/api/v3/secrets/raw", reads);
  app.use("/api/v4/secrets", reads);
  const feedAuth = { access: d.access, sessions: d.sessions };
  const hubs = [d.feed, d.rotationFeed];
  app.use("/api/v1/consumers", consumerRoutes(d.consumers));
  app.use("/api/v1/events", eventRoutes(d.feed, feedAuth, d.feedLimits, hubs));
  app.use("/api/v1/events", projectEventRoutes(d.feed, feedAuth, d.feedLimits, hubs));
  app.use("/api/v1/events", rotationEventRoutes(d.rotationFeed, feedAuth, d.feedLimits, hubs));
  app.use(consoleRoutes(d.consoleDir));
  app.use(notFoundHandler);
  app.use(errorHandler(d.logger, (s) => d.scrubber.scrub(s)));
  return app;
}
