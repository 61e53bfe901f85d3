/**
 * A rotation's lease as its holder keeps it: the fencing token every write carries (store/leased.ts), renewed
 * every third of its length while the work goes on, and a local deadline so the holder knows it may have lost
 * the lease even when the store does not answer. A lost lease aborts the attempt: the target is not touched
 * again and nothing is written over the work of whoever holds the rotation now.
 */
import { performance } from "node:perf_hooks";
import type { Pool } from "pg";
import { AppError } from "../errors";
import type { Logger } from "../logger";
import { type LeaseRef, releaseLease, renewLease } from "../store/leased";

/** The error of a lost lease: 409 for a caller, quietly dropped by the scheduler. */
export const leaseLost = (what: string, id: string): AppError =>
  new AppError(
    "LeaseLost",
    `${what} ${JSON.stringify(id)} was taken over by another runner while this one was working on it (a slow target or store); ` +
      "nothing more was done here, and the other runner finishes it: read the rotation again in a moment",
    { details: { rotationId: id } },
  );

export class Lease implements LeaseRef {
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private lost = false;
  /** performance.now() after which the lease may have run out (renewals move it). */
  private deadline: number;
  /** The lease was given back (or consumed by a write that released it). */
  released = false;

  /** `acquiredAt`: performance.now() when the statement that took the lease was sent (its end counts from then). */
  constructor(
    private readonly d: { pool: Pool; logger: Logger; leaseMs: number },
    readonly rotationId: string,
    readonly token: string,
    acquiredAt: number,
  ) {
    this.deadline = acquiredAt + d.leaseMs;
  }

  /** Renews the lease every third of its length until stop(). */
  keep(): this {
    this.timer ??= setInterval(() => void (this.renewing ??= this.renew().finally(() => (this.renewing = undefined))), Math.max(100, Math.floor(this.d.leaseMs / 3)));
    this.timer.unref();
    return this;
  }

  private async renew(): Promise<void> {
    if (this.lost || this.released) return;
    const sent = performance.now();
    try {
      if (await renewLease(this.d.pool, this, this.d.leaseMs)) this.deadline = sent + this.d.leaseMs;
      else this.lost = true;
    } catch (err) {
      // The store did not answer: the lease may still be ours; the deadline says until when it surely is.
      this.d.logger.warn({ rotationId: this.rotationId, err }, "could not renew a rotation's lease; will try again");
    }
  }

  /** Whether the lease may be relied on now (not lost, not past its deadline). */
  get held(): boolean {
    return !this.lost && !this.released && performance.now() < this.deadline;
  }

  /** Throws LeaseLost unless the lease may be relied on now. Call before every step that touches the target. */
  assertHeld(): void {
    if (!this.held) throw leaseLost("Secret rotation", this.rotationId);
  }

  /** Marks the lease as lost (a guarded write matched nothing and the store says another holds it). */
  markLost(): void {
    this.lost = true;
  }

  /** Stops renewing (waits for a renewal in flight, so no write of this holder races the caller's next one). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
  }

  /** Stops renewing and gives the lease back unless a write already did; never throws (a lease left behind runs out). */
  async end(): Promise<void> {
    await this.stop();
    if (this.released || this.lost) return;
    this.released = true;
    await releaseLease(this.d.pool, this).catch((err: unknown) =>
      this.d.logger.warn({ rotationId: this.rotationId, err }, "could not give a rotation's lease back; it runs out by itself"),
    );
  }
}
