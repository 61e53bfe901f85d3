import { Router } from "express";
import type { HealthService } from "../services/health";

/** /healthz (the process serves) and /readyz (the store answers and the scheduler runs; counts of rotations). */
export function healthRoutes(health: HealthService): Router {
  const r = Router();
  r.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  r.get("/readyz", async (_req, res) => {
    const ready = await health.readiness();
    res.status(ready.status === "ready" ? 200 : 503).json(ready);
  });
  return r;
}
