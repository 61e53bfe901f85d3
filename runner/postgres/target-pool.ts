/**
 * Pooled connections of the connection role, one small pool per connection configuration, so a rotation
 * does not pay a fresh SCRAM login of the connection role each time. Keyed by a hash of everything that
 * reaches the target (a changed password or CA is a new pool); idle connections close after 30 s.
 * Validation (create/update of a connection) and login checks never use the pool: they must prove a fresh login.
 */
import crypto from "node:crypto";
import { Pool, type PoolClient } from "pg";
import { sqlState } from "../sqlstate";
import { SCRAM_ITERATIONS } from "./scram";
import { clientConfig, targetError, type TargetConnection } from "./target";

/** How the server wants passwords stored: `password_encryption`, and `scram_iterations` (PostgreSQL 16+; 4096 before). */
export interface PasswordSettings {
  encryption: string;
  scramIterations: number;
}

export async function passwordSettings(c: Pick<PoolClient, "query">): Promise<PasswordSettings> {
  const { rows } = await c.query<{ encryption: string; iterations: string | null }>(
    "SELECT current_setting('password_encryption') AS encryption, current_setting('scram_iterations', true) AS iterations",
  );
  const iterations = Number(rows[0].iterations);
  return { encryption: rows[0].encryption, scramIterations: Number.isInteger(iterations) && iterations > 0 ? iterations : SCRAM_ITERATIONS };
}

export class TargetPools {
  /** At most this many connections per target configuration (the scheduler's concurrency). */
  constructor(private readonly max = 8) {}

  private readonly pools = new Map<string, Pool>();
  /** How the server stores passwords, read once per physical connection (they close after 30 s idle, so it stays fresh). */
  private readonly settings = new WeakMap<PoolClient, PasswordSettings>();
  /** The iteration count the last server asked for: new verifiers are computed ahead with it. */
  lastScramIterations = SCRAM_ITERATIONS;

  private key(t: TargetConnection): string {
    return crypto
      .createHash("sha256")
      .update(JSON.stringify([t.host, t.port, t.database, t.username, t.password, t.sslEnabled, t.sslRejectUnauthorized, t.sslCertificate]))
      .digest("hex");
  }

  async with<T>(t: TargetConnection, doing: string, fn: (c: PoolClient, settings: PasswordSettings) => Promise<T>): Promise<T> {
    const key = this.key(t);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool({ ...clientConfig(t), max: this.max, idleTimeoutMillis: 30_000, allowExitOnIdle: true });
      pool.on("error", () => undefined); // an idle connection the server closed is dropped by the pool
      if (this.pools.size >= 256) await this.close();
      this.pools.set(key, pool);
    }
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw targetError(err, t, t.username, doing);
    }
    let destroy = false;
    try {
      let settings = this.settings.get(client);
      if (!settings) {
        settings = await passwordSettings(client);
        this.settings.set(client, settings);
        this.lastScramIterations = settings.scramIterations;
      }
      return await fn(client, settings);
    } catch (err) {
      // An SQL error from the server leaves the connection usable; anything else (network, shutdown) does not.
      const code = sqlState(err);
      destroy = code === undefined || code.startsWith("08") || code.startsWith("57");
      throw targetError(err, t, t.username, doing);
    } finally {
      client.release(destroy || undefined);
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(pools.map((p) => p.end()));
  }
}
