import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DestinationStream } from "pino";
import type { Pool } from "pg";
import { createApp } from "./app";
import type { Config } from "./config";
import { Sealer } from "./crypto/seal";
import { dataFiles, ensureDataDir, generators, readOrCreateSecret } from "./datadir";
import { createLogger, type Logger, Scrubber } from "./logger";
import { postgresStrategy } from "./postgres/strategy";
import { RotationEngine } from "./rotation/engine";
import type { FaultHooks } from "./rotation/faults";
import { ConnectionService } from "./services/connections";
import { RotationService } from "./services/rotations";
import { SecretService } from "./services/secrets";
import { openStore, prepareStore } from "./store/open";

export interface RunnerOptions {
  /** Where log lines go (default stdout). */
  logDestination?: DestinationStream;
  clock?: () => Date;
  /** Test-only fault hooks at the engine's step boundaries. */
  faults?: FaultHooks;
}

export interface Runner {
  url: string;
  port: number;
  adminToken: string;
  runnerId: string;
  pool: Pool;
  engine: RotationEngine;
  sealer: Sealer;
  logger: Logger;
  scrubber: Scrubber;
  stop(): Promise<void>;
}

/** Starts the whole runner: data dir, store (embedded or external), migrations, recovery, HTTP. */
export async function startRunner(config: Config, opts: RunnerOptions = {}): Promise<Runner> {
  const scrubber = new Scrubber();
  const clock = opts.clock ?? (() => new Date());
  ensureDataDir(config.dataDir);
  const files = dataFiles(config.dataDir);
  const runnerId = readOrCreateSecret(files.runnerId, generators.runnerId).value;
  const logger = createLogger({ level: config.logLevel, scrubber, destination: opts.logDestination, base: { runnerId } });

  const key = config.encryptionKey ?? Buffer.from(readOrCreateSecret(files.encryptionKey, generators.key).value, "base64");
  const token = config.adminToken ? { value: config.adminToken, created: false } : readOrCreateSecret(files.adminToken, generators.token);
  scrubber.remember(token.value);
  if (token.created) logger.info({ file: files.adminToken }, "generated an admin token (read it from this file)");
  const sealer = new Sealer(key);

  const storePassword = readOrCreateSecret(files.storePassword, generators.storePassword).value;
  scrubber.remember(storePassword);
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    cluster: { dataDir: files.storeCluster, password: storePassword, logFile: files.storeLog },
    logger,
  });
  let server: Server | undefined;
  try {
    const applied = await prepareStore(store.pool, sealer);
    if (applied.length) logger.info({ applied }, "store migrated");

    const strategy = postgresStrategy(scrubber);
    const base = { pool: store.pool, sealer, strategy, scrubber, logger };
    const engine = new RotationEngine({ ...base, clock, runnerId, faults: opts.faults });
    const recovered = await engine.recover({ atStart: true });
    if (recovered) logger.info({ recovered }, "rolled interrupted rotations forward");

    const app = createApp({
      pool: store.pool,
      adminToken: token.value,
      logger,
      scrubber,
      clock,
      engine,
      connections: new ConnectionService(base),
      rotations: new RotationService({ pool: store.pool, engine, clock }),
      secrets: new SecretService({ pool: store.pool, sealer, scrubber }),
      schedulerRunning: () => true,
    });
    server = await listen(app, config.host, config.port);
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
    logger.info({ store: store.kind }, `listening on ${url}`);

    let stopping: Promise<void> | undefined;
    const srv = server;
    return {
      url,
      port,
      adminToken: token.value,
      runnerId,
      pool: store.pool,
      engine,
      sealer,
      logger,
      scrubber,
      stop: () =>
        (stopping ??= (async () => {
          await new Promise<void>((resolve) => {
            srv.close(() => resolve());
            srv.closeAllConnections();
          });
          await store.close();
          logger.info("stopped");
          logger.flush();
        })()),
    };
  } catch (err) {
    server?.close();
    await store.close().catch(() => undefined);
    throw err;
  }
}

function listen(app: ReturnType<typeof createApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once("listening", () => resolve(server));
    server.once("error", reject);
  });
}
