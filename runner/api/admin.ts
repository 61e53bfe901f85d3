/** /api/v1/admin — the store as a whole: its backup (the admin token only). */
import { once } from "node:events";
import { Router } from "express";
import type { Pool } from "pg";
import { audit } from "../auth/audit";
import { requireAdmin } from "../auth/principal";
import { dumpStore } from "../store/backup";
import { principalOf, route } from "./http";

export function adminRoutes(pool: Pool): Router {
  const r = Router();
  /**
   * GET /backup: the store's rows as JSON lines from one snapshot (store/backup.ts), streamed. A failure after the
   * first line cuts the answer short: the missing end line tells `pgrotate restore` the file is incomplete.
   */
  r.get("/backup", route(async (_req, res) => {
    audit(res, { action: "store.backup", resourceType: "store", secretRead: true });
    requireAdmin(principalOf(res));
    const lines = dumpStore(pool);
    const first = await lines.next(); // errors before any byte (store down) still get the error envelope
    res.status(200).type("application/x-ndjson");
    res.setHeader("Content-Disposition", `attachment; filename="pgrotate-backup-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.ndjson"`);
    try {
      for (let next = first; !next.done; next = await lines.next()) {
        if (!res.write(JSON.stringify(next.value) + "\n")) await once(res, "drain");
      }
      res.end();
    } catch {
      res.destroy();
    }
  }));
  return r;
}
