import { Router } from "express";
import { createConnectionSchema, pairCheckSchema, updateConnectionSchema } from "../schemas";
import type { ConnectionService } from "../services/connections";
import type { PairCheckService } from "../services/pair-check";
import { authorize } from "../auth/principal";
import { idParam, managedByOf, parse, principalOf, route } from "./http";
import { presentConnection } from "./present";

/** /api/v1/app-connections/postgres — connections belong to no project: unscoped principals only. */
export function connectionRoutes(svc: ConnectionService, pairChecks: PairCheckService): Router {
  const r = Router();
  r.use((req, res, next) => {
    authorize(principalOf(res), req.method === "GET" ? "read" : "manage");
    next();
  });
  const id = (req: Parameters<typeof idParam>[0]) => idParam(req, "id", "App connection");

  r.post("/", route(async (req, res) => {
    const created = await svc.create(parse(createConnectionSchema, req.body, "app connection"), managedByOf(req));
    res.status(200).json({ appConnection: presentConnection(created) });
  }));
  r.get("/", route(async (_req, res) => {
    res.json({ appConnections: (await svc.list()).map(presentConnection) });
  }));
  r.get("/connection-name/:name", route(async (req, res) => {
    res.json({ appConnection: presentConnection(await svc.getByName(String(req.params.name))) });
  }));
  r.get("/:id", route(async (req, res) => {
    res.json({ appConnection: presentConnection(await svc.get(id(req))) });
  }));
  r.patch("/:id", route(async (req, res) => {
    const connectionId = id(req);
    const updated = await svc.update(connectionId, parse(updateConnectionSchema, req.body, "app connection update"), managedByOf(req));
    res.json({ appConnection: presentConnection(updated) });
  }));
  r.delete("/:id", route(async (req, res) => {
    res.json({ appConnection: presentConnection(await svc.delete(id(req))) });
  }));
  // Are two users interchangeable? Read-only on the target; the body names the pair (POST: a body, no state change).
  r.post("/:id/pair-check", route(async (req, res) => {
    const connectionId = id(req);
    res.json(await pairChecks.check(connectionId, parse(pairCheckSchema, req.body, "pair check")));
  }));
  r.get("/:id/server-version", route(async (req, res) => {
    res.json(await pairChecks.serverVersion(id(req)));
  }));
  return r;
}
