/**
 * A pg pool that follows pgrotate's rotations: when PostgreSQL refuses the login (the password this pool
 * holds was rotated away), it re-reads the active credentials, replaces the pool and retries once.
 *
 * Why this is enough: pgrotate's dual-user strategy never changes the password of the user that is active,
 * and the one that stops being active keeps its password for a full rotation interval. So credentials read
 * at any time keep working for at least one interval; a failed login means "read again", not "outage".
 */
import { Pool, type PoolClient, type PoolConfig, type QueryResult, type QueryResultRow } from "pg";
import type { CredentialSource, Credentials } from "./credentials";

/** SQLSTATE invalid_password: the password is wrong (rotated). */
const INVALID_PASSWORD = "28P01";
/** SQLSTATE invalid_authorization_specification: e.g. no pg_hba entry or the role may not log in. */
const INVALID_AUTHORIZATION = "28000";

export const isAuthFailure = (err: unknown): boolean => {
  const code = (err as { code?: string } | undefined)?.code;
  return code === INVALID_PASSWORD || code === INVALID_AUTHORIZATION;
};

export interface RotatingPoolOptions {
  /** Everything but user and password (host, port, database, ssl, max, …). */
  pool: Omit<PoolConfig, "user" | "password">;
  credentials: CredentialSource;
  /** Told about each re-read (never with the password). */
  onRefresh?: (username: string) => void;
}

export class RotatingPool {
  private pool?: Pool;
  private current?: Credentials;
  private refreshing?: Promise<void>;
  /** How many times the credentials were read (1 after the first query). */
  reads = 0;

  constructor(private readonly o: RotatingPoolOptions) {}

  /** The user the pool logs in as now. */
  get username(): string | undefined {
    return this.current?.username;
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
    return this.withClient((c) => c.query<R>(text, values));
  }

  /** Runs `fn` with a pooled client; on an authentication failure, re-reads the credentials and retries once. */
  async withClient<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    if (!this.pool) await this.refresh();
    let client: PoolClient;
    try {
      client = await this.pool!.connect();
    } catch (err) {
      if (!isAuthFailure(err)) throw err;
      await this.refresh();
      client = await this.pool!.connect();
    }
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  /** Reads the active credentials and swaps the pool (concurrent callers share one read). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const creds = await this.o.credentials();
        this.reads++;
        const old = this.pool;
        this.current = creds;
        this.pool = new Pool({ ...this.o.pool, user: creds.username, password: creds.password });
        this.pool.on("error", () => undefined); // an idle client dropped by the server is replaced on demand
        this.o.onRefresh?.(creds.username);
        // Open connections stay valid after a password change; let them finish, then close the old pool.
        void old?.end().catch(() => undefined);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  async end(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }
}
