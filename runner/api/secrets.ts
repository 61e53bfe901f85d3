import { Router } from "express";
import { rawSecretsQuerySchema } from "../schemas";
import type { SecretService } from "../services/secrets";
import { audit, type AuditNote } from "../auth/audit";
import { authorize, type Folder } from "../auth/principal";
import { parse, principalOf, route, sinceArrival } from "./http";

/** The folder a raw-secrets query names (400 on a bad query). */
export function folderOf(query: Record<string, unknown>): Folder {
  const raw = { ...query };
  // workspaceId is Infisical's name for the project; projectId is accepted too, and so is workspaceSlug: Infisical's Go
  // SDK sends a project named by slug as `workspaceId=&workspaceSlug=shop` (External Secrets' Infisical provider names
  // projects only so), and a pgrotate project id is a slug already. An empty value counts as not given.
  const given = (v: unknown): v is string => typeof v === "string" && v !== "";
  if (!given(raw.workspaceId)) {
    if (given(raw.projectId)) raw.workspaceId = raw.projectId;
    else if (given(raw.workspaceSlug)) raw.workspaceId = raw.workspaceSlug;
  }
  const q = parse(rawSecretsQuerySchema, raw, "query");
  return { projectId: q.workspaceId, environment: q.environment, secretPath: q.secretPath };
}

/** The audit note of one secret read by name (the Express route and the fast path write the same row). */
export const readOneNote = (folder: Folder, key: string): AuditNote => ({
  action: "secrets.read",
  resourceType: "secret",
  folder,
  secretRead: true,
  details: { keys: [key.slice(0, 128)] },
});

/** /api/v3/secrets/raw — what apps read (Infisical's raw secrets shape). */
export function secretRoutes(svc: SecretService, onRead?: (path: "api", ms: number) => void): Router {
  const r = Router();
  r.get("/", route(async (req, res) => {
    const folder = folderOf(req.query);
    audit(res, { action: "secrets.read", resourceType: "secret", folder, secretRead: true });
    authorize(principalOf(res), "read", folder);
    const secrets = await svc.list(folder);
    audit(res, { details: { keys: secrets.map((s) => s.secretKey) } });
    res.json({ secrets, imports: [] });
  }));
  r.get("/:secretName", route(async (req, res) => {
    const folder = folderOf(req.query);
    const key = String(req.params.secretName);
    audit(res, readOneNote(folder, key));
    authorize(principalOf(res), "read", folder);
    res.json({ secret: await svc.get(folder, key) });
    onRead?.("api", sinceArrival(req));
  }));
  return r;
}
