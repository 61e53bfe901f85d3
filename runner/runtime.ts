import { createServer, type RequestListener, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { DestinationStream } from "pino";
import type { Pool } from "pg";
import { createApp } from "./app";
import { AccessService } from "./auth/access";
import { AuditWriter } from "./auth/audit";
import { ConsoleSessions } from "./auth/sessions";
import { SecretCache } from "./services/secret-cache";
import { type FeedOptions, SecretEventHub } from "./services/secret-events";
import { RotationEventHub } from "./services/rotation-events";
import type { FeedLimits } from "./api/events";
import { StoreEvents } from "./store/events";
import { configSecrets, type Config } from "./config";
import { Sealer } from "./crypto/seal";
import { dataFiles, ensureDataDir, generators, readOrCreateSecret } from "./datadir";
import { createLogger, type Logger, Scrubber } from "./logger";
import { createWebhookSender, type WebhookSender } from "./events/webhook";
import { createMetrics, type Metrics } from "./metrics";
import { postgresStrategy, type PostgresStrategy } from "./postgres/strategy";
import { Scheduler } from "./rotation/scheduler";
import { RotationEngine } from "./rotation/engine";
import type { FaultHooks } from "./rotation/faults";
import { ConnectionService } from "./services/connections";
import { ConsumerService, DEFAULT_CONSUMER_TIMEOUT_SECONDS } from "./services/consumers";
import { KeysService } from "./services/keys";
import type { AfterBatchHook } from "./services/rekey";
import { PairCheckService } from "./services/pair-check";
import { RotationService } from "./services/rotations";
import { SecretService } from "./services/secrets";
import { RestoreWatch } from "./store/restored";
import { openConfiguredStore, prepareStore } from "./store/open";
import { systemClock } from "./clock";
import { keepTlsFresh, readTlsPair, TLS_MIN_VERSION, type TlsPair } from "./tls";

/** How often a runner records how far the store's history has counted (to notice a rewound store at its next start). */
const STORE_MARK_MS = 5 * 60_000;

export interface RunnerOptions {
  /** Where log lines go (default stdout). */
  logDestination?: DestinationStream;
  clock?: () => Date;
  /** Test-only fault hooks at the engine's step boundaries. */
  faults?: FaultHooks;
  /** Jitter source for retry backoff (tests pass a constant). */
  random?: () => number;
  /** false: build the scheduler but do not start its cron tick (tests call scheduler.tick()). */
  startScheduler?: boolean;
  /**
   * Change-feed timing and limits (defaults: 15 s heartbeat, 1 h / 100,000 events kept, 10 / 100 / 1,000 streams per
   * token / identity / runner, 1 MiB per slow client); set here, they take precedence over config.feed.
   */
  feed?: FeedOptions & FeedLimits;
  /** How often the store listener is probed (default STORE_PROBE_MS); tests lengthen it to see the cache's age bound alone. */
  listenerProbeMs?: number;
  /** How often the TLS files are looked at for a change (default TLS_RELOAD_MS). */
  tlsReloadMs?: number;
  /** Live consumers one folder may have (default MAX_CONSUMERS_PER_FOLDER; tests lower it). */
  maxConsumersPerFolder?: number;
  /** Test-only: called after each committed batch of a rekey. */
  afterRekeyBatch?: AfterBatchHook;
}

export interface Runner {
  url: string;
  port: number;
  adminToken: string;
  runnerId: string;
  pool: Pool;
  engine: RotationEngine;
  scheduler: Scheduler;
  /** The change feed's fan-out (open streams: feed.count()). */
  feed: SecretEventHub;
  /** The rotation-status stream's fan-out (open streams: rotationFeed.count()). */
  rotationFeed: RotationEventHub;
  metrics: Metrics;
  sealer: Sealer;
  /** The keyring's counts and the rekey. */
  keys: KeysService;
  logger: Logger;
  scrubber: Scrubber;
  stop(): Promise<void>;
}

/** Starts the whole runner: data dir, store (embedded or external), migrations, recovery, HTTP. */
export async function startRunner(config: Config, opts: RunnerOptions = {}): Promise<Runner> {
  const scrubber = new Scrubber();
  for (const secret of configSecrets(config)) scrubber.remember(secret);
  const clock = opts.clock ?? systemClock;
  ensureDataDir(config.dataDir);
  const files = dataFiles(config.dataDir);
  const runnerId = readOrCreateSecret(files.runnerId, generators.runnerId).value;
  const logger = createLogger({ level: config.logLevel, scrubber, destination: opts.logDestination, base: { runnerId } });
  for (const warning of config.warnings ?? []) logger.warn(warning);

  // HTTPS files that do not load stop the start here, before any store is opened.
  const tlsPair = config.tls ? await readTlsPair(config.tls) : undefined;
  const keys = config.encryptionKeys ?? [Buffer.from(readOrCreateSecret(files.encryptionKey, generators.key).value, "base64")];
  for (const key of keys) scrubber.remember(key.toString("base64"));
  const token = config.adminToken ? { value: config.adminToken, created: false } : readOrCreateSecret(files.adminToken, generators.token);
  scrubber.remember(token.value);
  if (token.created) logger.info({ file: files.adminToken }, "generated an admin token (read it from this file)");
  const sealer = new Sealer(keys);

  const store = await openConfiguredStore(config, logger, scrubber);
  let server: Server | undefined;
  let tlsFresh: ReturnType<typeof keepTlsFresh> | undefined;
  let webhook: WebhookSender | undefined;
  let events: StoreEvents | undefined;
  let auditWriter: AuditWriter | undefined;
  let feed: SecretEventHub | undefined;
  let rotationFeed: RotationEventHub | undefined;
  let strategy: PostgresStrategy | undefined;
  try {
    const applied = await prepareStore(store.pool, sealer);
    if (applied.length) logger.info({ applied }, "store migrated");
    // A store restored behind the runners' backs (pg_restore elsewhere, a snapshot) is checked for drift at once.
    const restoreWatch = new RestoreWatch({ pool: store.pool, marksFile: files.storeMarks, logger });
    await restoreWatch.atStart();
    const keyService = new KeysService({ pool: store.pool, sealer, logger, clock, afterRekeyBatch: opts.afterRekeyBatch });

    events = new StoreEvents({ connectionString: store.url, logger, probeMs: opts.listenerProbeMs });
    await events.start();
    const cacheMaxAgeMs = config.cacheMaxAgeSeconds * 1000;
    const secretCache = new SecretCache(events, cacheMaxAgeMs);
    feed = new SecretEventHub({ pool: store.pool, events, logger, options: opts.feed });
    rotationFeed = new RotationEventHub({ events, logger, heartbeatMs: opts.feed?.heartbeatMs });
    const secretsChanged = (f: { projectId: string; environment: string; secretPath: string }) => secretCache.invalidate(f);
    auditWriter = new AuditWriter({ pool: store.pool, logger });
    strategy = postgresStrategy(scrubber, { maxConnectionsPerTarget: config.concurrency });
    const base = { pool: store.pool, sealer, strategy, scrubber, logger };
    const overdueAfterMs = Math.max(60_000, 3 * config.tickSeconds * 1000);
    const listener = events;
    const notifications = () => ({ live: listener.live, downSince: listener.downSince });
    const metrics = createMetrics({ pool: store.pool, sealer, clock, overdueAfterMs, notifications, tlsExpiresAt: tlsPair && (() => tlsFresh?.current().expiresAt ?? tlsPair.expiresAt) });
    webhook = config.webhook ? createWebhookSender({ ...config.webhook, logger }) : undefined;
    const hook = webhook;
    const engine = new RotationEngine({
      ...base,
      clock,
      runnerId,
      faults: opts.faults,
      random: opts.random,
      leaseMs: config.leaseSeconds * 1000,
      secretsChanged,
      onScheduledStart: metrics.onScheduledStart,
      onEvent: (e) => {
        metrics.onRotation(e);
        hook?.send(e);
      },
    });
    const connections = new ConnectionService(base);
    // Connections stored before their server was recorded learn it in the background (never delays start).
    void connections.recordMissingServers().catch((err: unknown) => logger.warn({ err }, "could not record connections' servers"));
    const recovered = await engine.recover({ atStart: true });
    if (recovered) logger.info({ recovered }, "rolled interrupted rotations forward");
    const scheduler = new Scheduler({
      pool: store.pool,
      engine,
      logger,
      clock,
      runnerId,
      tickSeconds: config.tickSeconds,
      concurrency: config.concurrency,
      events,
      onTick: (info) => metrics.onTick(info),
    });

    const access = new AccessService({ pool: store.pool, clock, adminToken: token.value, events, maxAgeMs: cacheMaxAgeMs });
    const app = createApp({
      pool: store.pool,
      access,
      sessions: new ConsoleSessions({ pool: store.pool, clock, access }),
      publicOrigin: config.publicUrl && new URL(config.publicUrl).origin,
      audit: auditWriter,
      authFailuresPerMinute: config.authFailuresPerMinute,
      logger,
      scrubber,
      clock,
      engine,
      connections,
      pairChecks: new PairCheckService(base),
      rotations: new RotationService({ pool: store.pool, engine, clock, secretsChanged }),
      secrets: new SecretService({ pool: store.pool, sealer, cache: secretCache }),
      keys: keyService,
      consumers: new ConsumerService({ pool: store.pool, logger, timeoutSeconds: config.consumerTimeoutSeconds ?? DEFAULT_CONSUMER_TIMEOUT_SECONDS, maxPerFolder: opts.maxConsumersPerFolder }),
      feed,
      rotationFeed,
      feedLimits: { ...config.feed, ...opts.feed },
      metrics,
      overdueAfterMs,
      notifications,
      schedulerRunning: () => scheduler.running() || opts.startScheduler === false,
    });
    server = await listen(app, config.host, config.port, tlsPair);
    if (config.tls && tlsPair) tlsFresh = keepTlsFresh(server as HttpsServer, config.tls, tlsPair, { logger, intervalMs: opts.tlsReloadMs });
    const port = (server.address() as AddressInfo).port;
    const url = `${tlsPair ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
    if (opts.startScheduler !== false) scheduler.start();
    feed.start();
    rotationFeed.start();
    const marking = setInterval(() => void restoreWatch.record().catch((err: unknown) => logger.debug({ err }, "could not record the store's history mark")), STORE_MARK_MS);
    marking.unref();
    // The one line that says where the runner listens is shown at any level but silent.
    const announce = config.logLevel === "silent" ? logger : logger.child({}, { level: "info" });
    announce.info({ store: store.kind, tickSeconds: config.tickSeconds, concurrency: config.concurrency }, `listening on ${url}`);

    let stopping: Promise<void> | undefined;
    const srv = server;
    const tlsWatch = tlsFresh;
    const audit = auditWriter;
    const targets = strategy;
    const hub = feed;
    const rotationHub = rotationFeed;
    return {
      url,
      port,
      adminToken: token.value,
      runnerId,
      pool: store.pool,
      engine,
      scheduler,
      feed: hub,
      rotationFeed: rotationHub,
      metrics,
      sealer,
      keys: keyService,
      logger,
      scrubber,
      stop: () =>
        (stopping ??= (async () => {
          // Open change-feed streams end first: a server does not close while responses are still open.
          hub.stop();
          rotationHub.stop();
          tlsWatch?.stop();
          await new Promise<void>((resolve) => {
            srv.close(() => resolve());
            srv.closeAllConnections();
          });
          await scheduler.stop();
          clearInterval(marking);
          await restoreWatch.record().catch((err: unknown) => logger.debug({ err }, "could not record the store's history mark"));
          await keyService.stop();
          await hook?.stop();
          await audit.stop();
          await listener.stop();
          await targets.close();
          await store.close();
          logger.info("stopped");
          logger.flush();
        })()),
    };
  } catch (err) {
    // Whatever was opened before the failure is closed again: the server, background senders, the store
    // listener, pooled target connections (recovery at start may have used them) and the store.
    feed?.stop();
    rotationFeed?.stop();
    tlsFresh?.stop();
    server?.close();
    await webhook?.stop();
    await auditWriter?.stop().catch((e: unknown) => logger.warn({ err: e }, "could not write the last audit rows while failing to start"));
    await events?.stop();
    await strategy?.close();
    await store.close().catch((e: unknown) => logger.warn({ err: e }, "could not close the store while failing to start"));
    throw err;
  }
}

/** HTTP, or HTTPS (TLS 1.2 or later) when the runner has a certificate. */
function listen(app: RequestListener, host: string, port: number, tls?: TlsPair): Promise<Server> {
  return new Promise((resolve, reject) => {
    const created = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: TLS_MIN_VERSION }, app) : createServer(app);
    const server = created.listen(port, host);
    server.once("listening", () => resolve(server));
    server.once("error", reject);
  });
}
