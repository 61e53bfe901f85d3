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
import { FeedFollower, RunnerSource, type Credentials, type RunnerSourceOptions } from "./runner-source";
import { notify, type PoolBehaviour, RotatingPool, type RotatingPoolEvent, type RefreshReason } from "./pool";

export { RotatingPool, RunnerSource };
export { RunnerApiError } from "../provider/client";
export type { Credentials, RefreshReason, RotatingPoolEvent, RunnerSourceOptions };

interface Common extends PoolBehaviour {
  /** Every pg.PoolConfig field but user and password (host, port, database, ssl, max, idleTimeoutMillis, …). */
  pool?: Omit<PoolConfig, "user" | "password">;
}

/** Credentials from a pgrotate runner: its raw-secrets API, and its change feed to follow rotations ahead of time. */
export interface RunnerPoolOptions extends Common, RunnerSourceOptions {
  /** Follow the runner's change feed (default true). Without it the pool re-reads only when a login is refused. */
  changeFeed?: boolean;
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
  if ("credentials" in options) {
    if (typeof options.credentials !== "function") throw new TypeError("pgrotate/pg: credentials must be a function returning { username, password }");
    const fn = options.credentials;
    return new RotatingPool(async () => {
      const c = await fn();
      if (!c || typeof c.username !== "string" || typeof c.password !== "string") throw new TypeError("pgrotate/pg: credentials() must return { username, password } strings");
      return { username: c.username, password: c.password };
    }, options.pool, behaviour);
  }
  const source = new RunnerSource(options);
  const pool = new RotatingPool(() => source.read(), options.pool, behaviour);
  if (options.changeFeed !== false) {
    const feed = new FeedFollower(
      source,
      (reason) => void pool.refresh(reason).catch(() => undefined), // a failed read is retried at the next change or refused login
      (state) => notify(behaviour.onEvent, state),
    );
    pool.attachFeed(() => feed.start(), () => feed.stop());
  }
  return pool;
}
