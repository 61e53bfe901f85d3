import { Router, type Request, type Response } from "express";
import { createConnectionSchema, pairCheckSchema, updateConnectionSchema } from "../schemas";
import type { ConnectionService } from "../services/connections";
import type { PairCheckService } from "../services/pair-check";
import { audit } from "../auth/audit";
import { authorize, authorizePermission } from "../auth/principal";
import { idParam, managedByOf, parse, principalOf, route } from "./http";
import { presentConnection } from "./present";

/**
 * /api/v1/app-connections/postgres — connections belong to no project: only an unscoped manage token creates,
 * changes (allowedScopes included) or deletes one. Reading one, its server version and a pair check through it
 * are open to a scoped principal that may use it somewhere in its scope (auth/connection-use.ts); to any other
 * scoped principal the connection does not exist (404).
 */
export function connectionRoutes(svc: ConnectionService, pairChecks: PairCheckService): Router {
  const r = Router();
  const id = (req: Request) => idParam(req, "id", "App connection");
  /** An unscoped manage token only. */
  const manageAll = (res: Response, action: string) => {
    audit(res, { action, resourceType: "app-connection" });
    authorize(principalOf(res), "manage");
  };

  r.post("/", route(async (req, res) => {
    manageAll(res, "connection.create");
    const created = await svc.create(parse(createConnectionSchema, req.body, "app connection"), managedByOf(req));
    audit(res, { resourceId: created.id });
    res.status(200).json({ appConnection: presentConnection(created) });
  }));
  r.get("/", route(async (_req, res) => {
    res.json({ appConnections: (await svc.listFor(principalOf(res))).map(presentConnection) });
  }));
  r.get("/connection-name/:name", route(async (req, res) => {
    res.json({ appConnection: presentConnection(await svc.getByNameFor(principalOf(res), String(req.params.name))) });
  }));
  r.get("/:id", route(async (req, res) => {
    res.json({ appConnection: presentConnection(await svc.getFor(principalOf(res), id(req))) });
  }));
  r.patch("/:id", route(async (req, res) => {
    manageAll(res, "connection.update");
    const connectionId = id(req);
    const input = parse(updateConnectionSchema, req.body, "app connection update");
    if (input.allowedScopes) audit(res, { details: { allowedScopes: input.allowedScopes.length } });
    const updated = await svc.update(connectionId, input, managedByOf(req));
    res.json({ appConnection: presentConnection(updated) });
  }));
  r.delete("/:id", route(async (req, res) => {
    manageAll(res, "connection.delete");
    res.json({ appConnection: presentConnection(await svc.delete(id(req))) });
  }));
  // Are two users interchangeable? Read-only on the target; the body names the pair (POST: a body, no state change).
  // manage: the answer shows the target's roles, settings and grants.
  r.post("/:id/pair-check", route(async (req, res) => {
    const p = principalOf(res);
    audit(res, { action: "connection.pair-check", resourceType: "app-connection" });
    authorizePermission(p, "manage");
    const connectionId = (await svc.getFor(p, id(req))).id;
    res.json(await pairChecks.check(connectionId, parse(pairCheckSchema, req.body, "pair check")));
  }));
  r.get("/:id/server-version", route(async (req, res) => {
    const connectionId = (await svc.getFor(principalOf(res), id(req))).id;
    res.json(await pairChecks.serverVersion(connectionId));
  }));
  return r;
}
