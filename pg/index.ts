/**
 * `pgrotate/pg`: a pg.Pool that follows pgrotate's rotations.
 *
 *   import { createRotatingPool } from "pgrotate/pg";
 *   const pool = createRotatingPool({
 *     runnerUrl: "http://pgrotate.internal:8080",
 *     identity: { clientId, clientSecret },          // or token
 *     projectId: "shop", environment: "prod", secretPath: "/",
 *     usernameKey: "DB_USERNAME", passwordKey: "DB_PASSWORD",
 *     pool: { host: "db.internal", database: "shop", max: 20 },
 *   });
 *   await pool.query("SELECT 1");                     // or new Kysely({ dialect: new PostgresDialect({ pool }) })
 *
 * Or with credentials from anywhere: createRotatingPool({ credentials: async () => ({ username, password }), pool }).
 */
import type { PoolConfig } from "pg";
import { ConsumerReporter, type ConsumerEvent, cleanAppName, defaultAppName, newInstanceId } from "./consumer-reporter";
import { FeedFollower, RunnerSource, type Credentials, type RunnerSourceOptions } from "./runner-source";
import { notify, type PoolBehaviour, RotatingPool, type RotatingPoolEvent, type RefreshReason } from "./pool";

export { RotatingPool, RunnerSource };
export { RunnerApiError } from "../provider/client";
export type { ConsumerEvent, Credentials, RefreshReason, RotatingPoolEvent, RunnerSourceOptions };

interface Common extends PoolBehaviour {
  /** Every pg.PoolConfig field but user and password (host, port, database, ssl, max, idleTimeoutMillis, …). */
  pool?: Omit<PoolConfig, "user" | "password">;
  /**
   * Who this application is, for whoever rotates its users (1–128 printable characters). Default: PGROTATE_APP_NAME,
   * else `pool.application_name` (or PGAPPNAME), else npm's package name (npm_package_name), else the host's name.
   * It is also the connections' `application_name` (seen in the database's pg_stat_activity) unless
   * `pool.application_name` or PGAPPNAME sets one.
   */
  appName?: string;
}

/** Credentials from a pgrotate runner: its raw-secrets API, and its change feed to follow rotations ahead of time. */
export interface RunnerPoolOptions extends Common, RunnerSourceOptions {
  /** Follow the runner's change feed (default true). Without it the pool re-reads only when a login is refused. */
  changeFeed?: boolean;
  /**
   * How often the pool tells the runner which users it is using (default 30; 0 = never): also at once when that
   * changes, and end() says it left. The runner forgets a pool it has not heard from for
   * PGROTATE_CONSUMER_TIMEOUT_SECONDS (default 90): keep this well under it.
   */
  heartbeatSeconds?: number;
}

/** Credentials from your own function (called at start, on a refused login, and on pool.refresh()). */
export interface FunctionPoolOptions extends Common {
  credentials: () => Promise<Credentials>;
}

export type RotatingPoolOptions = RunnerPoolOptions | FunctionPoolOptions;

/**
 * A pg.Pool whose new connections log in as the rotation's active user. With a runner it subscribes to the
 * change feed at once and reads the credentials when subscribed (or at the first query, whichever comes
 * first); an unreachable runner makes that query fail with an error naming it, and the pool recovers by
 * itself. Call `end()` when done: it also stops following the change feed.
 */
export function createRotatingPool(options: RotatingPoolOptions): RotatingPool {
  const behaviour = { maxLoginAttempts: options.maxLoginAttempts, onEvent: options.onEvent };
  const appName = appNameOf(options);
  const poolConfig = withApplicationName(options.pool, appName);
  if ("credentials" in options) {
    if (typeof options.credentials !== "function") throw new TypeError("pgrotate/pg: credentials must be a function returning { username, password }");
    const fn = options.credentials;
    return new RotatingPool(async () => {
      const c = await fn();
      if (!c || typeof c.username !== "string" || typeof c.password !== "string") throw new TypeError("pgrotate/pg: credentials() must return { username, password } strings");
      return { username: c.username, password: c.password };
    }, poolConfig, behaviour);
  }
  const heartbeatSeconds = options.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS;
  if (typeof heartbeatSeconds !== "number" || !(heartbeatSeconds === 0 || (heartbeatSeconds >= 0.1 && heartbeatSeconds <= 3600))) {
    throw new TypeError("pgrotate/pg: heartbeatSeconds must be 0 (never report) or between 0.1 and 3600");
  }
  const source = new RunnerSource(options);
  const pool = new RotatingPool(() => source.read(), poolConfig, behaviour);
  if (options.changeFeed !== false) {
    const feed = new FeedFollower(
      source,
      (reason) => void pool.refresh(reason).catch(() => undefined), // a failed read is retried at the next change or refused login
      (state) => notify(behaviour.onEvent, state),
    );
    pool.attachFeed(() => feed.start(), () => feed.stop());
  }
  if (heartbeatSeconds > 0) {
    pool.attachReporter(new ConsumerReporter({
      source,
      instanceId: newInstanceId(),
      appName,
      heartbeatMs: heartbeatSeconds * 1000,
      usernames: () => pool.usernamesInUse(),
      notify: (e) => notify(behaviour.onEvent, e),
    }));
  }
  return pool;
}

const DEFAULT_HEARTBEAT_SECONDS = 30;

/** The appName option as given (a TypeError when the runner would refuse it), else the default. */
function appNameOf(options: RotatingPoolOptions): string {
  const given = options.appName;
  if (given === undefined) return defaultAppName(options.pool?.application_name);
  if (typeof given !== "string" || !given || given.length > 128 || cleanAppName(given) !== given) {
    throw new TypeError("pgrotate/pg: appName must be 1-128 printable characters on one line, without leading or trailing spaces");
  }
  return given;
}

/** The app name as the connections' application_name, unless the pool's config or PGAPPNAME sets one. */
function withApplicationName(config: RotatingPoolOptions["pool"], appName: string): RotatingPoolOptions["pool"] {
  if (config?.application_name !== undefined || process.env.PGAPPNAME) return config;
  return { ...config, application_name: appName };
}
