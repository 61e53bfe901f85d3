/**
 * /api/v1/consumers: applications (pgrotate/pg pools) report which database users of a folder they are using, so a
 * rotation can see who still uses the user it is about to retire. Every route is authorized exactly like a raw
 * secret read of the folder (the same project naming rules and the same authorize()): whoever may read the
 * credentials may say it uses them, and see who else does.
 */
import { Router, type Request } from "express";
import { z } from "zod";
import { audit } from "../auth/audit";
import { authorize, type Folder } from "../auth/principal";
import { consumerHeartbeatSchema, consumerInstanceIdSchema } from "../schemas";
import type { ApiConsumer } from "../responses";
import type { ConsumerRecord, ConsumerService } from "../services/consumers";
import { parse, principalOf, route } from "./http";
import { folderOf } from "./secrets";

export const presentConsumer = (c: ConsumerRecord): ApiConsumer => ({
  instanceId: c.instanceId,
  appName: c.appName,
  usernames: c.usernames,
  firstSeenAt: c.firstSeenAt.toISOString(),
  lastSeenAt: c.lastSeenAt.toISOString(),
  reportedBy: c.reportedBy,
});

const FOLDER_FIELDS = ["workspaceId", "projectId", "workspaceSlug", "projectSlug", "environment", "secretPath"] as const;

/** The folder a heartbeat's body names (its folder fields only, by the raw-secrets query's rules). */
function bodyFolder(body: Record<string, unknown>): Folder {
  const fields: Record<string, unknown> = {};
  for (const k of FOLDER_FIELDS) if (body[k] !== undefined) fields[k] = body[k];
  return folderOf(fields, "body");
}

/** The folder of a request's query, checked readable by its principal (403 otherwise). */
function readableFolder(req: Request, res: Parameters<typeof principalOf>[0]): Folder {
  const folder = folderOf(req.query);
  audit(res, { resourceType: "consumer", folder });
  authorize(principalOf(res), "read", folder);
  return folder;
}

export function consumerRoutes(svc: ConsumerService): Router {
  const r = Router();
  r.post("/heartbeat", route(async (req, res) => {
    const body = parse(consumerHeartbeatSchema, req.body, "body");
    const folder = bodyFolder(body);
    audit(res, { action: "consumers.heartbeat", resourceType: "consumer", resourceId: body.instanceId, folder, details: { appName: body.appName } });
    const principal = principalOf(res);
    authorize(principal, "read", folder);
    const outcome = await svc.heartbeat(folder, { instanceId: body.instanceId, appName: body.appName, usernames: body.usernames }, principal);
    // A repeat changes nothing worth a row of its own (a pool repeats itself every 30 s): the first report, each
    // change, every refusal and the leave are recorded.
    audit(res, { routine: outcome === "same", details: { appName: body.appName, usernames: body.usernames, outcome } });
    res.status(204).end();
  }));
  r.delete("/:instanceId", route(async (req, res) => {
    const { instanceId } = parse(z.object({ instanceId: consumerInstanceIdSchema }), req.params, "path");
    audit(res, { action: "consumers.leave", resourceId: instanceId });
    await svc.leave(readableFolder(req, res), instanceId);
    res.status(204).end();
  }));
  r.get("/", route(async (req, res) => {
    const folder = readableFolder(req, res);
    const consumers = await svc.list(folder);
    res.json({ consumers: consumers.map(presentConsumer), timeoutSeconds: svc.timeoutSeconds });
  }));
  return r;
}
