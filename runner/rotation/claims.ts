import type { RotationRecord } from "../store/rows";

/**
 * The due rotations one scheduler pass hands its workers, claimed in batches: one claim statement (row locks with
 * SKIP LOCKED, a lease each) per `batch` rotations instead of one per rotation — 1,000 due at once cost 125
 * claims, not 1,000, each a store round trip and a query plan. A batch is claimed only when the last one is all
 * handed out, so a runner holds at most `batch` claimed rotations it has not started; the caller gives back the
 * leases of those still queued when the pass stops (unstarted()).
 */
export class ClaimQueue {
  private readonly queue: RotationRecord[] = [];
  private claiming?: Promise<void>;
  private exhausted = false;

  constructor(
    private readonly claim: (limit: number) => Promise<RotationRecord[]>,
    private readonly batch: number,
  ) {}

  /** The next claimed rotation; undefined when nothing more is due or `halted()` says stop. */
  async next(halted: () => boolean): Promise<RotationRecord | undefined> {
    while (!halted()) {
      const r = this.queue.shift();
      if (r) return r;
      if (this.exhausted) return undefined;
      this.claiming ??= this.claim(this.batch)
        .then((rows) => {
          if (!rows.length) this.exhausted = true;
          this.queue.push(...rows);
        })
        .finally(() => {
          this.claiming = undefined;
        });
      await this.claiming;
    }
    return undefined;
  }

  /** What was claimed and never handed out (the pass was halted): its leases are to be given back. */
  unstarted(): RotationRecord[] {
    return this.queue.splice(0);
  }
}
