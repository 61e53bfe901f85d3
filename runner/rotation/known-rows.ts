import type { RotationRecord } from "../store/rows";

/**
 * The last row this runner saw of each rotation it leased or committed, bounded (the oldest goes first): what
 * a rotation that is not handed a lease decides on before its one-statement lease (store/rotations.ts
 * leaseWithWork). A stale or missing row costs only the two-statement path; nothing is decided on it alone.
 */
export class KnownRows {
  private readonly rows = new Map<string, RotationRecord>();

  constructor(private readonly max = 1000) {}

  get(id: string): RotationRecord | undefined {
    return this.rows.get(id);
  }

  remember(r: RotationRecord): void {
    this.rows.delete(r.id);
    this.rows.set(r.id, r);
    if (this.rows.size > this.max) this.rows.delete(this.rows.keys().next().value as string);
  }

  forget(id: string): void {
    this.rows.delete(id);
  }
}
