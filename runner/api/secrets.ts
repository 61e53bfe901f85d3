import { Router, type Request } from "express";
import { rawSecretsQuerySchema } from "../schemas";
import type { SecretService } from "../services/secrets";
import { parse, route } from "./http";

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
    res.set("Cache-Control", "no-store");
    res.json({ secrets: await svc.list(folderOf(req)), imports: [] });
  }));
  r.get("/:secretName", route(async (req, res) => {
    res.set("Cache-Control", "no-store");
    res.json({ secret: await svc.get(folderOf(req), String(req.params.secretName)) });
  }));
  return r;
}
