/**
 * A pg.Pool that follows pgrotate's rotations. It IS a pg.Pool (a subclass), so everything that takes one —
 * Kysely's PostgresDialect, Drizzle's node-postgres driver, Knex, your own code — works unchanged.
 *
 * - New connections log in with the current pair, set by a Client subclass when each connection is made
 *   (pg sends the user in the startup message, so it cannot be a function like the password); the pool is
 *   never rebuilt.
 * - A login refused with 28P01/28000 triggers one shared re-read and a bounded retry with jitter. Other
 *   errors pass through untouched.
 * - The change feed re-reads ahead of time; when the active user changes, idle connections of the other user
 *   are closed at once and busy ones when they are released — long before that user's password can change
 *   again (the runner's grace guard keeps it for at least 10 minutes).
 * - No password in any error or event. Why a cached pair is safe to keep: the dual-user strategy never
 *   changes the active user's password, and the user that stops being active keeps its password for at least
 *   the grace period.
 */
import { Client, type ClientConfig, Pool, type PoolClient, type PoolConfig } from "pg";
import { RunnerApiError } from "../provider/client";
import { isLoginRefused, sqlState } from "../runner/sqlstate";
import type { ConsumerEvent } from "./consumer-reporter";
import type { Credentials, FeedState } from "./runner-source";

export type RefreshReason = "initial" | "login-refused" | "feed" | "feed-reset" | "manual";

/** What the pool tells `onEvent` (never a password). */
export type RotatingPoolEvent =
  | { type: "credentials"; reason: RefreshReason; username: string; changed: boolean }
  | { type: "switched"; from: string; to: string; closedIdle: number }
  | { type: "login-refused"; username: string; code: string; attempt: number }
  | { type: "refresh-failed"; reason: RefreshReason; error: string }
  | FeedState
  | ConsumerEvent;

export interface PoolBehaviour {
  /** Tries for one new connection when the database refuses the login (default 4). */
  maxLoginAttempts?: number;
  onEvent?: (e: RotatingPoolEvent) => void;
}

interface Pair extends Credentials {
  generation: number;
}

/** The pool's current pair, shared with the connections it creates. */
class PairHolder {
  pair?: Pair;
}

/** What pg's Client keeps but does not declare: the parameters of the startup message and of authentication. */
interface ClientInternals {
  connectionParameters: { user?: string; password?: string | null };
}

/** A connection that logs in as whoever is current when it connects, and remembers as whom. */
interface RotatingClient extends Client {
  pgrotateUser?: string;
}

function clientClass(holder: PairHolder): new (config?: string | ClientConfig) => RotatingClient {
  return class extends Client implements RotatingClient {
    pgrotateUser?: string;

    override connect(): Promise<Client>;
    override connect(callback: (err: Error) => void): void;
    override connect(callback?: (err: Error) => void): Promise<Client> | void {
      const pair = holder.pair;
      if (pair) {
        // User and password of the same read: never one from before a rotation and one from after.
        const params = (this as unknown as ClientInternals).connectionParameters;
        this.user = params.user = pair.username;
        this.password = params.password = pair.password;
        this.pgrotateUser = pair.username;
      }
      return callback ? super.connect(callback) : super.connect();
    }
  };
}

/** pg-pool's own bookkeeping, used to close idle connections of the user that stopped being active. */
interface PgPoolInternals {
  _clients?: PoolClient[];
  _idle?: Array<{ client: PoolClient }>;
  _expired?: WeakSet<PoolClient>;
  _remove?: (client: PoolClient, callback?: () => void) => void;
  _pulseQueue?: () => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const noop = () => undefined;

type ConnectCallback = (err: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;
const releaseOf = (c: PoolClient) => (release?: unknown) => c.release(release as Error | boolean | undefined);

/** Calls the application's listener; a listener that throws must not break the pool. */
export function notify(listener: PoolBehaviour["onEvent"], e: RotatingPoolEvent): void {
  try {
    listener?.(e);
  } catch {
    // ignored on purpose
  }
}

export class RotatingPool extends Pool {
  private holder!: PairHolder;
  private source!: () => Promise<Credentials>;
  private behaviour!: PoolBehaviour;
  private refreshing?: Promise<void>;
  private generation!: number;
  private stopFeed?: () => Promise<void>;
  /** Told when the users in use may have changed; stopped by end() (the runner is told this instance left). */
  private reporter?: { changed(): void; stop(): Promise<void> };
  /** pg-pool's expiry set is there (3.x): busy connections of an old user are expired instead of checked per release. */
  private canExpire!: boolean;

  constructor(source: () => Promise<Credentials>, config: Omit<PoolConfig, "user" | "password"> = {}, behaviour: PoolBehaviour = {}) {
    for (const key of ["user", "password", "Client"] as const) {
      if (key in config) throw new TypeError(`pgrotate/pg: pool.${key} is set by the rotating pool; leave it out`);
    }
    const holder = new PairHolder();
    super({ ...config, Client: clientClass(holder) });
    this.holder = holder;
    this.source = source;
    this.behaviour = behaviour;
    this.generation = 0;
    this.canExpire = (this as unknown as PgPoolInternals)._expired instanceof WeakSet;
  }

  /** Follow a change feed from now on; end() stops it. */
  attachFeed(start: () => void, stop: () => Promise<void>): void {
    this.stopFeed = stop;
    start();
  }

  /** Report the users in use from now on (at once, then at each change); end() stops it. */
  attachReporter(reporter: { changed(): void; stop(): Promise<void> }): void {
    this.reporter = reporter;
    // A connection closing may be the last one of a user the pool no longer logs in as.
    this.on("remove", () => reporter.changed());
    reporter.changed();
  }

  /**
   * The users this pool uses: the one new connections log in as, then those of connections it still holds (during a
   * switch, both). Empty before the first read.
   */
  usernamesInUse(): string[] {
    const current = this.holder.pair?.username;
    const held = new Set<string>();
    for (const c of (this as unknown as PgPoolInternals)._clients ?? []) {
      const user = (c as RotatingClient).pgrotateUser;
      if (user !== undefined && user !== current) held.add(user);
    }
    return [...(current === undefined ? [] : [current]), ...[...held].sort()];
  }

  /** The user new connections log in as (undefined before the first read). */
  get username(): string | undefined {
    return this.holder.pair?.username;
  }

  /**
   * Reads the credentials again (concurrent callers share one read). When the active user changed, idle
   * connections of the other user are closed and busy ones are closed when released.
   */
  refresh(reason: RefreshReason = "manual"): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        let next: Credentials;
        try {
          next = await this.source();
        } catch (err) {
          this.notify({ type: "refresh-failed", reason, error: err instanceof Error ? err.message : String(err) });
          throw err;
        }
        const before = this.holder.pair;
        const changed = !before || before.username !== next.username || before.password !== next.password;
        if (changed) this.holder.pair = { username: next.username, password: next.password, generation: ++this.generation };
        this.notify({ type: "credentials", reason, username: next.username, changed });
        if (before && before.username !== next.username) {
          this.expireBusyOfOthers();
          this.notify({ type: "switched", from: before.username, to: next.username, closedIdle: this.closeIdleOfOthers() });
        }
        this.reporter?.changed();
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private notify(e: RotatingPoolEvent): void {
    notify(this.behaviour.onEvent, e);
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    if (!callback) return this.acquire();
    const pair = this.holder.pair;
    if (!pair) {
      this.acquire().then((c) => callback(undefined, c, releaseOf(c)), (err: unknown) => callback(err as Error, undefined, noop));
      return;
    }
    // The hot path (pool.query comes here): straight to pg-pool, callbacks only; a refused login takes the slow path.
    super.connect((err, client, done) => {
      if (err && isLoginRefused(sqlState(err)) && !this.ending) {
        this.afterRefusal(err, pair).then((c) => callback(undefined, c, releaseOf(c)), (e: unknown) => callback(e as Error, undefined, noop));
        return;
      }
      if (client && !this.canExpire) this.closeWhenReleasedIfRetired(client);
      callback(err, client, done);
    });
  }

  override end(): Promise<void>;
  override end(callback: () => void): void;
  override end(callback?: () => void): Promise<void> | void {
    const p = (async () => {
      await this.stopFeed?.();
      await this.reporter?.stop();
      await super.end();
    })();
    if (!callback) return p;
    p.then(callback, callback);
  }

  private async acquire(): Promise<PoolClient> {
    if (!this.holder.pair) await this.refresh("initial");
    const pair = this.holder.pair!;
    let client: PoolClient;
    try {
      client = await super.connect();
    } catch (err) {
      if (!isLoginRefused(sqlState(err)) || this.ending) throw err;
      return this.afterRefusal(err, pair);
    }
    if (!this.canExpire) this.closeWhenReleasedIfRetired(client);
    return client;
  }

  /**
   * The database refused a login with `pair`: one re-read shared by every connection refused with the same
   * pair, then new tries with jitter, at most maxLoginAttempts in all.
   */
  private async afterRefusal(first: unknown, pair: Pair): Promise<PoolClient> {
    const max = Math.max(1, this.behaviour.maxLoginAttempts ?? 4);
    let err = first;
    let used = pair;
    for (let attempt = 1; ; attempt++) {
      const code = sqlState(err)!;
      if (attempt >= max) throw err;
      this.notify({ type: "login-refused", username: used.username, code, attempt });
      try {
        if (this.holder.pair?.generation === used.generation) await this.refresh("login-refused");
      } catch (readErr) {
        const why = readErr instanceof Error ? readErr.message : String(readErr);
        throw new RunnerApiError(`pgrotate/pg: the database refused the login of ${JSON.stringify(used.username)} (${code}) and reading the credentials again failed: ${why}`, {
          status: readErr instanceof RunnerApiError ? readErr.status : undefined,
          code: readErr instanceof RunnerApiError ? readErr.code : undefined,
          cause: err,
        });
      }
      await sleep(Math.random() * 25 * 2 ** attempt);
      used = this.holder.pair!;
      try {
        const client = await super.connect();
        if (!this.canExpire) this.closeWhenReleasedIfRetired(client);
        return client;
      } catch (next) {
        if (!isLoginRefused(sqlState(next)) || this.ending) throw next;
        err = next;
      }
    }
  }

  private isRetired(c: PoolClient): boolean {
    const user = (c as RotatingClient).pgrotateUser;
    return user !== undefined && user !== this.holder.pair?.username;
  }

  /** Without pg-pool's expiry set: a connection of a user no longer active goes when released (checked per release). */
  private closeWhenReleasedIfRetired(client: PoolClient): void {
    const release = client.release.bind(client);
    client.release = (err?: Error | boolean) => release(err ?? (this.isRetired(client) || undefined));
  }

  /** Busy connections of a user no longer active are closed when released (pg-pool's expiry, as for maxLifetimeSeconds). */
  private expireBusyOfOthers(): void {
    const internals = this as unknown as PgPoolInternals;
    if (!this.canExpire || !Array.isArray(internals._clients)) return;
    const idle = new Set((internals._idle ?? []).map((i) => i.client));
    for (const c of internals._clients) if (!idle.has(c) && this.isRetired(c)) internals._expired!.add(c);
  }

  /** Closes idle connections of any user but the current one; returns how many. */
  private closeIdleOfOthers(): number {
    const internals = this as unknown as PgPoolInternals;
    if (!Array.isArray(internals._idle) || typeof internals._remove !== "function") return 0;
    const retired = internals._idle.filter((item) => this.isRetired(item.client)).map((item) => item.client);
    for (const c of retired) internals._remove.call(this, c, () => internals._pulseQueue?.call(this));
    return retired.length;
  }
}
