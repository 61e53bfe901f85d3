/**
 * Readiness: the store answers in time and the scheduler runs; with the counts /readyz shows, and whether the
 * store's notifications arrive. A runner whose listener is down still answers exactly (it bypasses its caches and
 * its scheduler falls back to the tick), so that alone does not make it unready: /readyz and the
 * pgrotate_store_listener_up metric say so for an alert.
 */
import type { Pool } from "pg";
import { pingStore } from "../store/db";
import type { Readiness } from "../responses";
import { rotationCounts } from "../store/rotations";

const READY_TIMEOUT_MS = 3000;

/** /readyz's body: its schema is in runner/responses.ts (the API reference). */
export type { Readiness };

/** The store listener: live, or down since when. */
export interface NotificationState {
  live: boolean;
  downSince: Date | null;
}

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
  constructor(private readonly d: { pool: Pool; clock: () => Date; schedulerRunning: () => boolean; overdueAfterMs: number; notifications: () => NotificationState }) {}

  async readiness(): Promise<Readiness> {
    try {
      await withTimeout(pingStore(this.d.pool), READY_TIMEOUT_MS, "the store");
      const counts = await withTimeout(rotationCounts(this.d.pool, this.d.clock(), this.d.overdueAfterMs), READY_TIMEOUT_MS, "the store");
      const n = this.d.notifications();
      const notifications = n.live ? { notifications: "live" as const } : { notifications: "down" as const, notificationsDownSince: n.downSince?.toISOString() };
      if (!this.d.schedulerRunning()) return { status: "not ready", reason: "the scheduler is not running", ...counts, ...notifications };
      return { status: "ready", store: "ok", ...counts, ...notifications };
    } catch (err) {
      const reason = err instanceof Error && /did not answer/.test(err.message) ? err.message : "the store is unavailable";
      return { status: "not ready", reason };
    }
  }
}
