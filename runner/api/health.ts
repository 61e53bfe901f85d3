import { Router } from "express";
import type { Pool } from "pg";
import { pingStore } from "../store/db";
import { rotationCounts } from "../store/rotations";

const READY_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** /healthz (the process serves) and /readyz (the store answers; counts of rotations). */
export function healthRoutes(deps: { pool: Pool; clock: () => Date; schedulerRunning: () => boolean; overdueAfterMs: number }): Router {
  const r = Router();
  r.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  r.get("/readyz", async (_req, res) => {
    try {
      await withTimeout(pingStore(deps.pool), READY_TIMEOUT_MS, "the store");
      const counts = await withTimeout(rotationCounts(deps.pool, deps.clock(), deps.overdueAfterMs), READY_TIMEOUT_MS, "the store");
      if (!deps.schedulerRunning()) {
        res.status(503).json({ status: "not ready", reason: "the scheduler is not running", ...counts });
        return;
      }
      res.json({ status: "ready", store: "ok", ...counts });
    } catch (err) {
      const reason = err instanceof Error && /did not answer/.test(err.message) ? err.message : "the store is unavailable";
      res.status(503).json({ status: "not ready", reason });
    }
  });
  return r;
}
