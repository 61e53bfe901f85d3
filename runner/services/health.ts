/** Readiness: the store answers in time and the scheduler runs; with the counts /readyz shows. */
import type { Pool } from "pg";
import { pingStore } from "../store/db";
import type { Readiness } from "../responses";
import { rotationCounts } from "../store/rotations";

const READY_TIMEOUT_MS = 3000;

/** /readyz's body: its schema is in runner/responses.ts (the API reference). */
export type { Readiness };

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

export class HealthService {
  constructor(private readonly d: { pool: Pool; clock: () => Date; schedulerRunning: () => boolean; overdueAfterMs: number }) {}

  async readiness(): Promise<Readiness> {
    try {
      await withTimeout(pingStore(this.d.pool), READY_TIMEOUT_MS, "the store");
      const counts = await withTimeout(rotationCounts(this.d.pool, this.d.clock(), this.d.overdueAfterMs), READY_TIMEOUT_MS, "the store");
      if (!this.d.schedulerRunning()) return { status: "not ready", reason: "the scheduler is not running", ...counts };
      return { status: "ready", store: "ok", ...counts };
    } catch (err) {
      const reason = err instanceof Error && /did not answer/.test(err.message) ? err.message : "the store is unavailable";
      return { status: "not ready", reason };
    }
  }
}
