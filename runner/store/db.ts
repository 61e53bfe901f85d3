import crypto from "node:crypto";
import { Pool, type PoolClient, type PoolConfig, type QueryConfig } from "pg";
import { AppError } from "../errors";

export type Db = Pool;
export type WithClient = <T>(fn: (c: PoolClient) => Promise<T>) => Promise<T>;

export function createPool(connectionString: string, extra: Partial<PoolConfig> = {}): Pool {
  const pool = new Pool({
    connectionString,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30000,
    statement_timeout: 15000,
    application_name: "pgrotate",
    ...extra,
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  return pool;
}

const names = new Map<string, string>();

/**
 * A query as a named prepared statement: each store connection parses and plans it once, not on every call
 * (the rotation path's statements are CTEs and joins whose planning costs more than running them).
 */
export function prepared(text: string, values: unknown[]): QueryConfig {
  let name = names.get(text);
  if (!name) {
    name = "pgrotate_" + crypto.createHash("sha256").update(text).digest("hex").slice(0, 24);
    names.set(text, name);
  }
  return { name, text, values };
}

/** Runs fn in one transaction; rolls back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const client = await connect(pool);
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function connect(pool: Pool): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (cause) {
    throw new AppError("StoreUnavailable", "The pgrotate store is unavailable; retry shortly", { cause });
  }
}

/** Proves the store answers (for /readyz). */
export async function pingStore(pool: Pool): Promise<void> {
  const c = await connect(pool);
  try {
    await c.query("SELECT 1");
  } finally {
    c.release();
  }
}
