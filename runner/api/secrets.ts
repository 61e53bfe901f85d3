import { Router, type Request } from "express";
import { rawSecretsQuerySchema } from "../schemas";
import type { SecretService } from "../services/secrets";
import { audit } from "../auth/audit";
import { authorize } from "../auth/principal";
import { parse, principalOf, route } from "./http";

function folderOf(req: Request) {
  const raw = { ...req.query } as Record<string, unknown>;
  // workspaceId is Infisical's name for the project; projectId is accepted too.
  if (raw.workspaceId === undefined && typeof raw.projectId === "string") raw.workspaceId = raw.projectId;
  const q = parse(rawSecretsQuerySchema, raw, "query");
  return { projectId: q.workspaceId, environment: q.environment, secretPath: q.secretPath };
}

/** /api/v3/secrets/raw — what apps read (Infisical's raw secrets shape). */
export function secretRoutes(svc: SecretService): Router {
  const r = Router();
  r.get("/", route(async (req, res) => {
    const folder = folderOf(req);
    audit(res, { action: "secrets.read", resourceType: "secret", folder, secretRead: true });
    authorize(principalOf(res), "read", folder);
    const secrets = await svc.list(folder);
    audit(res, { details: { keys: secrets.map((s) => s.secretKey) } });
    res.json({ secrets, imports: [] });
  }));
  r.get("/:secretName", route(async (req, res) => {
    const folder = folderOf(req);
    const key = String(req.params.secretName);
    audit(res, { action: "secrets.read", resourceType: "secret", folder, secretRead: true, details: { keys: [key.slice(0, 128)] } });
    authorize(principalOf(res), "read", folder);
    res.json({ secret: await svc.get(folder, key) });
  }));
  return r;
}
