/**
 * A logical backup of the store, and its restore (`pgrotate backup` / `pgrotate restore`): every table's rows as
 * PostgreSQL renders them in JSON (row_to_json: exact timestamps, bytea as hex), one line each, read in one
 * REPEATABLE READ snapshot, so the file is one consistent state even while runners rotate. Sealed values stay
 * sealed: the file is as secret as the store, and useless without the encryption key, which it does not hold.
 *
 * Not kept: console sessions (everyone signs in again) and the change feed's events (their transaction ids belong
 * to the old cluster; a restore moves the feed's horizon so a client resuming from before it is told to re-read).
 */
import type { Pool, PoolClient } from "pg";
import { AppError } from "../errors";
import { withTransaction } from "./db";
import { loadMigrations } from "./migrate";

export const BACKUP_FORMAT = "pgrotate-backup";
export const BACKUP_VERSION = 1;

/** The tables a backup holds, parents before children (the order a restore inserts them in). */
export const BACKUP_TABLES = [
  "meta", "connections", "rotations", "credentials", "rotation_intents", "secrets", "rotation_history",
  "machine_identities", "access_tokens", "audit_logs", "project_freezes",
] as const;
type Table = (typeof BACKUP_TABLES)[number];
/** Tables whose id comes from a sequence, set past the restored ids. */
const SERIAL: Partial<Record<Table, string>> = { rotation_history: "id", audit_logs: "id" };
/** What makes a store "not empty" for a restore without --force. */
const CONTENT: Table[] = ["connections", "rotations", "secrets", "machine_identities", "access_tokens"];

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  /** The migrations the store had (a restore needs a runner that knows them). */
  migrations: number[];
  tables: readonly string[];
}

export type BackupLine = BackupHeader | { table: Table; row: Record<string, unknown> } | { end: true; rows: number };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The backup's lines, from one snapshot of the store. */
export async function* dumpStore(pool: Pool): AsyncGenerator<BackupLine> {
  const c = await pool.connect();
  try {
    await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const migrations = (await c.query<{ id: number }>("SELECT id FROM pgrotate_migrations ORDER BY id")).rows.map((r) => r.id);
    yield { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), migrations, tables: BACKUP_TABLES };
    let rows = 0;
    for (const table of BACKUP_TABLES) {
      // Batches by a cursor (a large audit log never sits in memory whole).
      await c.query(`DECLARE dump CURSOR FOR SELECT row_to_json(t) AS row FROM ${quote(table)} t`);
      for (;;) {
        const batch = await c.query<{ row: Record<string, unknown> }>("FETCH 1000 FROM dump");
        for (const r of batch.rows) yield { table, row: r.row };
        rows += batch.rows.length;
        if (batch.rows.length < 1000) break;
      }
      await c.query("CLOSE dump");
    }
    await c.query("COMMIT");
    yield { end: true, rows };
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Checks a backup's first line; returns it. */
export function backupHeader(line: unknown): BackupHeader {
  const h = line as Partial<BackupHeader> | null;
  if (!h || h.format !== BACKUP_FORMAT) throw new AppError("BadRequest", "This file is not a pgrotate backup (its first line names no pgrotate-backup format)");
  if (h.version !== BACKUP_VERSION) throw new AppError("BadRequest", `This backup has format version ${String(h.version)}; this pgrotate reads version ${BACKUP_VERSION}`);
  const known = Math.max(...loadMigrations().map((m) => m.id));
  const newest = Math.max(0, ...(h.migrations ?? []));
  if (newest > known) {
    throw new AppError("BadRequest", `This backup comes from a store migrated to ${newest}; this pgrotate knows migrations up to ${known}: restore it with a newer pgrotate`);
  }
  return h as BackupHeader;
}

/** Whether the store holds anything a restore would overwrite (connections, rotations, secrets, tokens, identities). */
export async function storeHasContent(q: Pool | PoolClient): Promise<boolean> {
  const { rows } = await q.query<{ any: boolean }>(`SELECT ${CONTENT.map((t) => `EXISTS (SELECT 1 FROM ${quote(t)})`).join(" OR ")} AS any`);
  return rows[0].any;
}

/**
 * Puts a backup's rows into a migrated store, in one transaction with the tables' triggers off (nothing is notified
 * or recorded twice). `force` empties the store first; without it a store with content is refused. Afterwards the
 * sequences are past the restored ids, the change feed's horizon is now (a cursor from before is answered "reset":
 * re-read), and every
 * rotation is due for a drift check (the first runner to start logs in with each stored password and repairs what
 * no longer works). Returns the rows restored.
 */
export async function restoreStore(
  pool: Pool,
  lines: AsyncIterable<BackupLine>,
  opts: { force: boolean; verify?: (c: PoolClient) => Promise<void> },
): Promise<number> {
  return withTransaction(pool, async (c) => {
    if (await storeHasContent(c)) {
      if (!opts.force) throw new AppError("Conflict", "The store is not empty (it has connections, rotations, secrets, tokens or identities): restore refuses to overwrite it without --force");
      await c.query(`TRUNCATE ${[...BACKUP_TABLES, "console_sessions", "secret_events"].map(quote).join(", ")} CASCADE`);
    } else {
      await c.query("DELETE FROM meta");
    }
    for (const table of BACKUP_TABLES) await c.query(`ALTER TABLE ${quote(table)} DISABLE TRIGGER USER`);
    const columns = new Map<Table, Set<string>>();
    for (const table of BACKUP_TABLES) {
      const { rows } = await c.query<{ name: string }>("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", [table]);
      columns.set(table, new Set(rows.map((r) => r.name)));
    }
    let restored = 0;
    let ended = false;
    for await (const line of lines) {
      if ("end" in line) {
        if (line.rows !== restored) throw new AppError("BadRequest", `The backup says it holds ${line.rows} rows, but ${restored} were read: it is damaged`);
        ended = true;
        break;
      }
      if (!("table" in line) || !columns.has(line.table)) throw new AppError("BadRequest", "The backup holds a line that is not a row of a pgrotate table: it is damaged");
      const known = columns.get(line.table)!;
      const names = Object.keys(line.row).filter((k) => known.has(k));
      const list = names.map(quote).join(", ");
      await c.query(`INSERT INTO ${quote(line.table)} (${list}) SELECT ${list} FROM json_populate_record(NULL::${quote(line.table)}, $1::json)`, [JSON.stringify(line.row)]);
      restored++;
    }
    if (!ended) throw new AppError("BadRequest", "The backup ends before its last line: it is truncated, and nothing was restored");
    for (const table of BACKUP_TABLES) await c.query(`ALTER TABLE ${quote(table)} ENABLE TRIGGER USER`);
    for (const [table, col] of Object.entries(SERIAL)) {
      await c.query(`SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${quote(col)}) FROM ${quote(table)}), 1))`, [table, col]);
    }
    await c.query("UPDATE secret_event_horizon SET pruned_through = now()");
    // The targets may hold newer passwords than this backup: every rotation is checked at the next pass (drift).
    await c.query("UPDATE rotations SET drift_checked_at = NULL");
    await opts.verify?.(c);
    return restored;
  });
}
