/**
 * Drift's "at start, for a store it has not seen": a store whose content was restored may hold passwords the
 * targets no longer accept (every rotation since the backup changed one). `pgrotate restore` says so itself; two
 * other restores are noticed here, at each runner's start, and make every rotation due for a drift check:
 *
 * - moved: the content lives in another database than the one it was written in (pg_dump then pg_restore into a
 *   new database, the external-store procedure). The store records its database's oid in meta ('store-home');
 *   a replica promoted by failover keeps the oid, so failover is not a move.
 * - rewound: the store went back in time under the same database (a volume snapshot, a point-in-time recovery).
 *   Each runner remembers, in its data directory, the highest rotation-history number it saw of each store
 *   (meta 'store-id'); the history's sequence never goes back otherwise, so a lower one at start is a rewind.
 *
 * A runner with a new data directory (a fresh pod) has no mark: it checks nothing at start, as it cannot tell a
 * restored store from one it simply never met — the daily check and the others' marks cover that case.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Pool } from "pg";
import type { Logger } from "../logger";
import { withTransaction } from "./db";

export type RestoredHow = "moved" | "rewound";

interface Marks {
  /** The highest rotation-history number seen, per store id. */
  [storeId: string]: string;
}

function readMarks(file: string): Marks {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as Marks) : {};
  } catch {
    return {}; // none yet, or unreadable: nothing to compare with
  }
}

function writeMarks(file: string, marks: Marks): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(marks) + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** The store's id (made once, kept by dumps and backups) and how far its rotation history has counted. */
async function storeMark(pool: Pool): Promise<{ storeId: string; history: bigint }> {
  await pool.query("INSERT INTO meta (key, value) VALUES ('store-id', $1) ON CONFLICT (key) DO NOTHING", [Buffer.from(crypto.randomUUID())]);
  const { rows } = await pool.query<{ id: Buffer; history: string }>(
    `SELECT (SELECT value FROM meta WHERE key = 'store-id') AS id,
            coalesce(pg_sequence_last_value(pg_get_serial_sequence('rotation_history', 'id')::regclass), 0)::text AS history`,
  );
  return { storeId: rows[0].id.toString(), history: BigInt(rows[0].history) };
}

export class RestoreWatch {
  private storeId?: string;

  constructor(private readonly d: { pool: Pool; marksFile: string; logger: Logger }) {}

  /**
   * At start: was the store moved or rewound since this runner (or, for a move, any runner) last saw it? If so,
   * every rotation is due for a drift check. Returns how it was restored, or undefined.
   */
  async atStart(): Promise<RestoredHow | undefined> {
    const moved = await this.noticeMove();
    const { storeId, history } = await storeMark(this.d.pool);
    this.storeId = storeId;
    const seen = readMarks(this.d.marksFile)[storeId];
    const rewound = seen !== undefined && history < BigInt(seen);
    if (rewound) {
      await this.d.pool.query("UPDATE rotations SET drift_checked_at = NULL");
      this.d.logger.warn({ historyNow: String(history), historySeen: seen }, "the store went back in time (restored from a snapshot?): every rotation is checked for drift");
    }
    this.remember(history);
    return moved ? "moved" : rewound ? "rewound" : undefined;
  }

  /** Records how far the store's history has counted (at stop, and now and then while running). */
  async record(): Promise<void> {
    if (!this.storeId) return;
    const { storeId, history } = await storeMark(this.d.pool);
    if (storeId === this.storeId) this.remember(history);
  }

  private remember(history: bigint): void {
    const marks = readMarks(this.d.marksFile);
    marks[this.storeId!] = String(history);
    try {
      writeMarks(this.d.marksFile, marks);
    } catch (err) {
      this.d.logger.warn({ err, file: this.d.marksFile }, "could not record the store's history mark (a restore to an older snapshot would go unnoticed)");
    }
  }

  /** One runner wins the compare-and-set of the home and marks every rotation; the others see the new home. */
  private async noticeMove(): Promise<boolean> {
    return withTransaction(this.d.pool, async (c) => {
      const home = (await c.query<{ home: string }>("SELECT oid::text AS home FROM pg_database WHERE datname = current_database()")).rows[0].home;
      const recorded = (await c.query<{ value: Buffer }>("SELECT value FROM meta WHERE key = 'store-home' FOR UPDATE")).rows[0]?.value ?? null;
      if (recorded === null) {
        await c.query("INSERT INTO meta (key, value) VALUES ('store-home', $1) ON CONFLICT (key) DO NOTHING", [Buffer.from(home)]);
        return false;
      }
      if (recorded.toString() === home) return false;
      await c.query("UPDATE meta SET value = $1 WHERE key = 'store-home'", [Buffer.from(home)]);
      const { rowCount } = await c.query("UPDATE rotations SET drift_checked_at = NULL");
      this.d.logger.warn({ rotations: rowCount }, "the store's content was written in another database (restored with pg_restore?): every rotation is checked for drift");
      return true;
    });
  }
}
