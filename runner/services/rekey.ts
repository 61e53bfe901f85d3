/**
 * The rekey: every stored value re-sealed with the newest key, online, while runners keep rotating. It walks each
 * sealed column in primary key order, in batches (one transaction each): the values not on the newest key, locked
 * with SKIP LOCKED (it never waits for a rotation's commit), opened, sealed with the newest key and written back only
 * where the row still holds the bytes read. It keeps no state of its own: run again after a crash, a kill or a stop,
 * it continues with what is not yet on the newest key, and a value re-sealed twice is the same value. A pass that
 * skipped values (locked, or unreadable) is followed by another, up to MAX_PASSES.
 *
 * It needs no rotation lease: it changes how a value is sealed, never the value (see resealBatch).
 */
import type { Pool } from "pg";
import type { Sealer } from "../crypto/seal";
import { coerceError } from "../errors";
import type { Logger } from "../logger";
import { withTransaction } from "../store/db";
import { resealBatch, SEALED_COLUMNS, sealedCounts, type SealedColumn, valuesNotOn } from "../store/sealed";

export const DEFAULT_REKEY_BATCH = 500;
const MAX_PASSES = 3;
/** Values that do not open are named in the progress (record and field), this many at most. */
const NAMED_FAILURES = 5;

export interface RekeyProgress {
  status: "running" | "finished" | "failed" | "stopped";
  /** The key every value is being re-sealed with (the newest). */
  keyId: string;
  batchSize: number;
  startedAt: Date;
  finishedAt: Date | null;
  /** Values written with the newest key. */
  resealed: number;
  /** Values that do not open with any key (their record and field are in message). */
  unopenable: number;
  /** Values still on another key when it ended (0 when finished). */
  remaining: number | null;
  message: string | null;
}

/** Test-only: called after each committed batch (a SimulatedCrash-like throw stops the job there). */
export type AfterBatchHook = (info: { column: string; batch: number; resealed: number }) => void | Promise<void>;

export class RekeyJob {
  private readonly p: RekeyProgress;
  private stopping = false;
  private batches = 0;
  private readonly failures = new Map<string, string>();
  readonly done: Promise<void>;

  constructor(
    private readonly d: { pool: Pool; sealer: Sealer; logger: Logger; clock: () => Date; afterBatch?: AfterBatchHook },
    batchSize: number,
  ) {
    this.p = {
      status: "running", keyId: d.sealer.newestKeyId, batchSize, startedAt: d.clock(), finishedAt: null, resealed: 0, unopenable: 0, remaining: null, message: null,
    };
    this.done = this.run();
  }

  progress(): RekeyProgress {
    return { ...this.p, unopenable: this.failures.size };
  }

  /** Stops after the batch in flight (a runner stopping); the next rekey continues from there. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async run(): Promise<void> {
    const log = this.d.logger.child({ component: "rekey", keyId: this.p.keyId });
    log.info({ batchSize: this.p.batchSize }, "rekey started: re-sealing every stored value with the newest key");
    try {
      for (let pass = 1; pass <= MAX_PASSES && !this.stopping; pass++) {
        const before = this.p.resealed;
        for (const column of SEALED_COLUMNS) await this.column(column);
        if (this.stopping) break;
        this.p.remaining = await this.remaining();
        // Done, or only what does not open is left, or this pass could not move anything more.
        if (this.p.remaining <= this.failures.size || this.p.resealed === before) break;
      }
      this.finish(log);
    } catch (err) {
      this.p.status = "failed";
      this.p.message = `The rekey stopped: ${coerceError(err).message}. Run it again: it continues where it stopped.`;
      this.p.finishedAt = this.d.clock();
      log.warn({ err, resealed: this.p.resealed }, "rekey failed");
    }
  }

  private finish(log: Logger): void {
    this.p.finishedAt = this.d.clock();
    const remaining = this.p.remaining ?? 0;
    if (this.stopping) {
      this.p.status = "stopped";
      this.p.message = "The runner stopped before the rekey ended. Run it again: it continues where it stopped.";
    } else if (this.failures.size) {
      this.p.status = "failed";
      this.p.message =
        `${this.failures.size} value${this.failures.size === 1 ? "" : "s"} did not open with any key and stay as they are: ` +
        [...this.failures.values()].slice(0, NAMED_FAILURES).join("; ");
    } else if (remaining) {
      this.p.status = "failed";
      this.p.message =
        `${remaining} value${remaining === 1 ? " is" : "s are"} still sealed with another key (rows busy with a rotation each time, or a runner ` +
        "sealing with another newest key). Run the rekey again; if they stay, give every runner the same keyring (newest first) first.";
    } else {
      this.p.status = "finished";
    }
    log.info({ status: this.p.status, resealed: this.p.resealed, remaining, unopenable: this.failures.size }, "rekey ended");
  }

  /** Values on another key than the newest (the ones that did not open included). */
  private async remaining(): Promise<number> {
    return (await sealedCounts(this.d.pool, this.d.sealer.keyIds)).filter((c) => c.keyId !== this.p.keyId).reduce((n, c) => n + c.count, 0);
  }

  private async column(column: SealedColumn): Promise<void> {
    const { sealer, afterBatch } = this.d;
    let after: unknown[] | undefined;
    while (!this.stopping) {
      const { read, written } = await withTransaction(this.d.pool, async (c) => {
        // This transaction's rewrites of secrets are no change for the change feed (migration 014).
        await c.query("SET LOCAL pgrotate.reseal = 'on'");
        const batch = await valuesNotOn(c, column, this.p.keyId, after, this.p.batchSize, { lock: true });
        const resealed = batch.flatMap((v) => {
          const aad = column.aad(v.key);
          try {
            return [{ ...v, resealed: sealer.seal(sealer.open(v.sealed, aad), aad) }];
          } catch (err) {
            this.failures.set(`${column.name}:${JSON.stringify(v.key)}`, coerceError(err).message);
            return [];
          }
        });
        return { read: batch, written: await resealBatch(c, column, resealed) };
      });
      if (!read.length) return;
      this.p.resealed += written;
      this.batches++;
      if (afterBatch) await afterBatch({ column: column.name, batch: this.batches, resealed: this.p.resealed });
      if (read.length < this.p.batchSize) return;
      after = read[read.length - 1].key;
    }
  }
}
