/**
 * `pgrotate restore FILE`: a backup (store/backup.ts) put back into the store of the runner `config` describes —
 * the embedded store of its data directory, or PGROTATE_DATABASE_URL — with every runner on that store stopped.
 * Refused before anything is written when the file is not a whole pgrotate backup, comes from a newer pgrotate,
 * or holds values sealed with an encryption key the configured keyring lacks (the keys are never in a backup).
 */
import fs from "node:fs";
import type { PoolClient } from "pg";
import type { Config } from "../config";
import { aad, Sealer } from "../crypto/seal";
import { dataFiles } from "../datadir";
import { AppError } from "../errors";
import { createLogger, Scrubber } from "../logger";
import { type BackupLine, backupHeader, restoreStore } from "./backup";
import { assertKeyringCovers, assertV1ValuesOpen } from "./keyring-check";
import { migrate } from "./migrate";
import { openConfiguredStore } from "./open";

/** A bytea as row_to_json writes it ("\x0a1b…"). */
const bytea = (v: unknown): Buffer | undefined => (typeof v === "string" && v.startsWith("\\x") ? Buffer.from(v.slice(2), "hex") : undefined);

/** The keyring the runner would open the store with: PGROTATE_ENCRYPTION_KEY(S), else the data directory's file (never generated here). */
function configuredKeys(config: Config): Buffer[] {
  if (config.encryptionKeys) return config.encryptionKeys;
  const file = dataFiles(config.dataDir).encryptionKey;
  try {
    return [Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64")];
  } catch {
    throw new AppError("BadRequest", `No encryption key: set PGROTATE_ENCRYPTION_KEY(S) or put the backed-up runner's encryption.key in ${file} (a backup never holds the key)`);
  }
}

export async function restoreBackup(config: Config, lines: () => AsyncIterable<unknown>, opts: { force: boolean }): Promise<{ rows: number }> {
  // First pass: the header, and the key check (meta comes first) proves the configured key opens this backup.
  let header: ReturnType<typeof backupHeader> | undefined;
  let keyCheck: Buffer | undefined;
  for await (const line of lines()) {
    if (!header) {
      header = backupHeader(line);
      continue;
    }
    const l = line as { table?: string; row?: { key?: string; value?: unknown } };
    if (l.table !== "meta") break;
    if (l.row?.key === "key-check") keyCheck = bytea(l.row.value);
  }
  if (!header) throw new AppError("BadRequest", "The backup is empty");
  const sealer = new Sealer(configuredKeys(config));
  if (keyCheck) {
    try {
      sealer.open(keyCheck, aad.keyCheck());
    } catch (err) {
      if (err instanceof AppError && err.code === "BadRequest") throw err;
      throw new AppError("BadRequest", "This backup was sealed with another encryption key than the ones configured: set the backed-up runner's keys (PGROTATE_ENCRYPTION_KEY(S) or <data dir>/encryption.key) and restore again");
    }
  }

  const scrubber = new Scrubber();
  const logger = createLogger({ level: config.logLevel === "silent" ? "silent" : "warn", scrubber, destination: process.stderr });
  let store;
  try {
    store = await openConfiguredStore(config, logger, scrubber);
  } catch (err) {
    throw new AppError("StoreUnavailable", `${(err as Error).message}${config.databaseUrl ? "" : " (is the runner of this data directory still running? stop it first)"}`, { cause: err });
  }
  try {
    await migrate(store.pool);
    const { rows } = await store.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pgrotate-listen'",
    );
    if (rows[0].n > 0) throw new AppError("Conflict", `${rows[0].n} runner(s) are connected to this store: stop every runner before a restore (they would keep serving what the restore replaces)`);
    const body = (async function* () {
      let first = true;
      for await (const line of lines()) {
        if (first) {
          first = false;
          continue;
        }
        yield line as BackupLine;
      }
    })();
    // Before the restore commits: every value it wrote opens with the configured keyring (what the runner checks
    // at start), so a keyring that lacks a key the backup needs is refused with nothing written.
    const verify = async (c: PoolClient) => assertV1ValuesOpen(c, sealer, await assertKeyringCovers(c, sealer));
    return { rows: await restoreStore(store.pool, body, { ...opts, verify }) };
  } finally {
    await store.close();
  }
}
