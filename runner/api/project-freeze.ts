/**
 * A project's freeze (issue 25): `PUT /api/v1/projects/:projectId/freeze` with `{frozen: true, reason}` freezes it
 * (no scheduled rotation of it runs; a manual one needs force), `{frozen: false}` unfreezes it (its overdue rotations
 * run at once, inside their windows); `GET` shows it. Changing it needs manage over the whole project: a token
 * scoped to an environment or folder of it is refused (403), since a freeze stops every folder's rotations.
 */
import { Router, type Request } from "express";
import type { Pool } from "pg";
import { audit } from "../auth/audit";
import { authorizePermission, authorizeProjectSight, type Principal } from "../auth/principal";
import { AppError } from "../errors";
import { projectFreezeSchema, projectIdSchema } from "../schemas";
import { type FreezeRecord, findFreeze, freeze, unfreeze } from "../store/freezes";
import { parse, principalOf, route } from "./http";

/** What project answers carry about a freeze. */
export interface FreezeFields {
  frozen: boolean;
  frozenReason: string | null;
  frozenAt: string | null;
  frozenBy: string | null;
}

export const presentFreeze = (f: FreezeRecord | undefined): FreezeFields => ({
  frozen: f !== undefined,
  frozenReason: f?.reason ?? null,
  frozenAt: f ? f.frozenAt.toISOString() : null,
  frozenBy: f?.frozenBy ?? null,
});

const projectOf = (req: Request): string => parse(projectIdSchema, req.params.projectId, "projectId");

/** 403 unless the principal may manage every folder of the project. */
function authorizeWholeProject(p: Principal, projectId: string): void {
  authorizePermission(p, "manage");
  const s = p.scope;
  const whole = (s.projectId === null || s.projectId === projectId) && s.environment === null && (s.secretPath === null || s.secretPath === "/");
  if (!whole) {
    throw new AppError(
      "Forbidden",
      `This ${p.kind} may not freeze or unfreeze project ${projectId}: that needs manage over the whole project, and its scope is narrower (an environment or folder)`,
    );
  }
}

export function projectFreezeRoutes(pool: Pool, clock: () => Date): Router {
  const r = Router();
  const path = "/api/v1/projects/:projectId/freeze";
  r.get(path, route(async (req, res) => {
    const projectId = projectOf(req);
    authorizeProjectSight(principalOf(res), projectId);
    res.json({ projectId, ...presentFreeze(await findFreeze(pool, projectId)) });
  }));
  r.put(path, route(async (req, res) => {
    const projectId = projectOf(req);
    const body = parse(projectFreezeSchema, req.body ?? {}, "project freeze");
    audit(res, {
      action: body.frozen ? "project.freeze" : "project.unfreeze",
      resourceType: "project",
      resourceId: projectId,
      details: body.frozen ? { reason: body.reason } : undefined,
    });
    const p = principalOf(res);
    authorizeWholeProject(p, projectId);
    const stored = body.frozen ? await freeze(pool, { projectId, reason: body.reason, frozenBy: p.actor, at: clock() }) : (await unfreeze(pool, projectId), undefined);
    res.json({ projectId, ...presentFreeze(stored) });
  }));
  return r;
}
