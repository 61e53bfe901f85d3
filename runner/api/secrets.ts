import { Router } from "express";
import { rawSecretsQuerySchema } from "../schemas";
import type { SecretService } from "../services/secrets";
import { audit, type AuditNote } from "../auth/audit";
import { authorize, overlaps, permits, type Folder } from "../auth/principal";
import { AppError } from "../errors";
import { sendWithEtag } from "./etag";
import { parse, principalOf, route, sinceArrival } from "./http";

/** The project names a raw-secrets query may use, in the order they are looked at (the first one given wins). */
const PROJECT_PARAMS = ["workspaceId", "projectId", "workspaceSlug", "projectSlug"] as const;

/**
 * The folder a raw-secrets query names (400 on a bad query). Infisical's clients name the project by id
 * (`workspaceId` in v3, `projectId` in v4) or by slug (`workspaceSlug`, `projectSlug`); a pgrotate project's id is
 * its slug, so each names the same project, and two that differ are refused. Go's clients send every parameter,
 * the unset ones empty (`workspaceId=&workspaceSlug=my-project`): an empty parameter counts as absent, but a query
 * whose only project names are empty, or whose environment is empty, is refused (it never reads a default).
 */
export function folderOf(query: Record<string, unknown>, what: "query" | "body" = "query"): Folder {
  const raw: Record<string, unknown> = {};
  // An empty environment stays, to be refused: never a silent read of the default environment.
  for (const [k, v] of Object.entries(query)) if (v !== "" || k === "environment") raw[k] = v;
  const named = PROJECT_PARAMS.filter((p) => typeof raw[p] === "string");
  if (!named.length && PROJECT_PARAMS.some((p) => query[p] === "")) {
    // Only empty names: a client that meant a project and lost it, never a read of the default project.
    const message = "projectId must not be empty (name the project by workspaceId, projectId, workspaceSlug or projectSlug)";
    throw new AppError("ValidationError", `Invalid ${what}: ${message}`, { details: [{ path: "workspaceId", message }] });
  }
  const differ = named.find((p) => raw[p] !== raw[named[0]]);
  if (differ) {
    const message = `${named[0]} and ${differ} name different projects (a project's slug is its id)`;
    throw new AppError("ValidationError", `Invalid ${what}: ${message}`, { details: [{ path: differ, message }] });
  }
  if (named.length) raw.workspaceId = raw[named[0]];
  const q = parse(rawSecretsQuerySchema, raw, what);
  return { projectId: q.workspaceId, environment: q.environment, secretPath: q.secretPath };
}

/** `recursive=true` (Infisical's clients send "true" or "false"). */
export const isRecursive = (query: Record<string, unknown>): boolean => query.recursive === "true";

/** The audit note of one secret read by name (the Express route and the fast path write the same row). */
export const readOneNote = (folder: Folder, key: string): AuditNote => ({
  action: "secrets.read",
  resourceType: "secret",
  folder,
  secretRead: true,
  details: { keys: [key.slice(0, 128)] },
});

/**
 * What apps read: /api/v3/secrets/raw (Infisical's raw secrets) and /api/v4/secrets (its newer path, the same
 * answers: the Infisical operator's InfisicalStaticSecret and the agent use it). Every answer has an ETag and a
 * matching If-None-Match gets 304 (api/etag.ts).
 */
export function secretRoutes(svc: SecretService, onRead?: (path: "api", ms: number) => void): Router {
  const r = Router();
  r.get("/", route(async (req, res) => {
    const folder = folderOf(req.query);
    const recursive = isRecursive(req.query);
    audit(res, { action: "secrets.read", resourceType: "secret", folder, secretRead: true });
    const principal = principalOf(res);
    let secrets;
    if (recursive) {
      // The folder and everything under it that the principal may read: a token scoped to /a/b reading /a
      // recursively gets /a/b's subtree; one whose scope is nowhere under the folder is refused.
      if (!overlaps(principal.scope, folder)) authorize(principal, "read", folder);
      secrets = await svc.listTree(folder, (f) => permits(principal, "read", f));
    } else {
      authorize(principal, "read", folder);
      secrets = await svc.list(folder);
    }
    audit(res, { details: { keys: secrets.map((s) => s.secretKey), ...(recursive ? { recursive: true } : {}) } });
    sendWithEtag(req, res, { secrets, imports: [] });
  }));
  r.get("/:secretName", route(async (req, res) => {
    const folder = folderOf(req.query);
    const key = String(req.params.secretName);
    audit(res, readOneNote(folder, key));
    authorize(principalOf(res), "read", folder);
    const secret = await svc.get(folder, key);
    onRead?.("api", sinceArrival(req));
    sendWithEtag(req, res, { secret });
  }));
  return r;
}
