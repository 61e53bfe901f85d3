import { Router } from "express";
import { audit } from "../auth/audit";
import { requireAdmin } from "../auth/principal";
import type { KeysService } from "../services/keys";
import { rekeySchema } from "../schemas";
import { parse, principalOf, route } from "./http";

/**
 * /api/v1/admin/keys: the keyring's ids and the values each seals, and the rekey (admin only). The rekey runs on
 * the runner because the keys live only in the runners' environment: no operator's machine needs them, nor the store.
 */
export function keyRoutes(keys: KeysService): Router {
  const r = Router();
  r.get("/", route(async (_req, res) => {
    requireAdmin(principalOf(res));
    res.json(await keys.report());
  }));
  r.post("/rekey", route(async (req, res) => {
    requireAdmin(principalOf(res));
    const body = parse(rekeySchema, req.body, "rekey");
    audit(res, { action: "keys.rekey", resourceType: "encryption-key", details: { batchSize: body.batchSize } });
    res.json(await keys.rekey(body));
  }));
  return r;
}
