import type { Pool } from "pg";
import { Client } from "pg";
import { AppError } from "../errors";
import { aad, type Sealer } from "../crypto/seal";
import { startCluster, type RunningCluster } from "../embedded/cluster";
import type { Logger } from "../logger";
import type { Scrubber } from "../logger";
import { dataFiles, ensureDataDir, generators, readOrCreateSecret } from "../datadir";
import { createPool } from "./db";
import { assertKeyringCovers, assertV1ValuesOpen } from "./keyring-check";
import { migrate } from "./migrate";

export interface OpenStore {
  pool: Pool;
  /** Connection string (for the LISTEN connection). */
  url: string;
  kind: "embedded" | "external";
  close(): Promise<void>;
}

const STORE_DB = "pgrotate";

/** Embedded PostgreSQL in the data dir (started and stopped with the runner), or an external URL. */
export async function openStore(opts: {
  databaseUrl?: string;
  cluster: { dataDir: string; password: string; logFile: string };
  logger: Logger;
}): Promise<OpenStore> {
  if (opts.databaseUrl) {
    const pool = createPool(opts.databaseUrl);
    return { pool, url: opts.databaseUrl, kind: "external", close: () => pool.end() };
  }
  const log = opts.logger.child({ component: "embedded-store" });
  let cluster: RunningCluster;
  try {
    cluster = await startCluster({
      dataDir: opts.cluster.dataDir,
      superuserPassword: opts.cluster.password,
      logFile: opts.cluster.logFile,
      onLog: (line) => (line.startsWith("warning:") ? log.warn(line) : log.debug(line)),
    });
  } catch (cause) {
    throw new AppError("StoreUnavailable", `Could not start the embedded store: ${(cause as Error).message}`, { cause });
  }
  try {
    await ensureDatabase(cluster.url("postgres"), STORE_DB);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  const url = cluster.url(STORE_DB);
  const pool = createPool(url);
  log.info({ port: cluster.port, dataDir: cluster.dataDir }, "embedded store started");
  return {
    pool,
    url,
    kind: "embedded",
    close: async () => {
      await pool.end().catch(() => undefined);
      await cluster.stop();
    },
  };
}

/**
 * The store a runner configured by `config` uses: PGROTATE_DATABASE_URL, or the embedded cluster in its data
 * directory (started here; `close()` stops it). The runner and `pgrotate restore` open it the same way.
 */
export function openConfiguredStore(config: { databaseUrl?: string; dataDir: string }, logger: Logger, scrubber: Scrubber): Promise<OpenStore> {
  const files = dataFiles(config.dataDir);
  if (config.databaseUrl) return openStore({ databaseUrl: config.databaseUrl, cluster: { dataDir: files.storeCluster, password: "", logFile: files.storeLog }, logger });
  ensureDataDir(config.dataDir);
  const storePassword = readOrCreateSecret(files.storePassword, generators.storePassword).value;
  scrubber.remember(storePassword);
  return openStore({ databaseUrl: config.databaseUrl, cluster: { dataDir: files.storeCluster, password: storePassword, logFile: files.storeLog }, logger });
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const exists = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!exists.rowCount) await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
  } finally {
    await c.end();
  }
}

/**
 * Migrates, then proves the keyring is the one the store was written with: no stored value names a key id the
 * keyring lacks, the key check opens (a wrong key for a store of before key ids), and so do the values sealed
 * before key ids.
 */
export async function prepareStore(pool: Pool, sealer: Sealer): Promise<string[]> {
  const applied = await migrate(pool);
  const { rows } = await pool.query<{ value: Buffer }>("SELECT value FROM meta WHERE key = 'key-check'");
  if (!rows.length) {
    await pool.query("INSERT INTO meta (key, value) VALUES ('key-check', $1) ON CONFLICT (key) DO NOTHING", [
      sealer.seal("pgrotate", aad.keyCheck()),
    ]);
  }
  const counts = await assertKeyringCovers(pool, sealer);
  if (rows.length) {
    try {
      sealer.open(rows[0].value, aad.keyCheck());
    } catch {
      throw new AppError(
        "BadRequest",
        "The encryption key does not match the one this store was written with (PGROTATE_ENCRYPTION_KEYS, PGROTATE_ENCRYPTION_KEY or <data dir>/encryption.key)",
      );
    }
  }
  await assertV1ValuesOpen(pool, sealer, counts);
  return applied;
}
