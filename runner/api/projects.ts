/**
 * Projects by slug, as Infisical's Kubernetes operator and agent resolve them before reading
 * (`GET /api/v2/workspace/{slug}`, `GET /api/v1/projects/slug/{slug}`; both decode a top-level `id`). pgrotate has
 * no project records: a project is the name rotations are filed under, and its slug is its id. A project is found
 * while a rotation lives in it, so a misspelt slug is a 404 rather than an empty sync. A project's environments
 * alone (`GET /api/v1/projects/:projectId/environments`, pgrotate extension: the console's filter suggestions) are
 * a list, empty when nothing is filed there.
 */
import { type Response, Router } from "express";
import type { Pool } from "pg";
import { authorizeProjectSight } from "../auth/principal";
import { AppError } from "../errors";
import { derivedId } from "../ids";
import { projectIdSchema } from "../schemas";
import { findFreeze } from "../store/freezes";
import { projectEnvironments } from "../store/rotations";
import { parse, principalOf, route } from "./http";
import { ORG_ID } from "./present";
import { presentFreeze } from "./project-freeze";

/** The environments of project `slug` that the principal may read some folder of; 403 when it may read none of the project. */
async function visibleEnvironments(pool: Pool, res: Response, slug: string): Promise<string[]> {
  const principal = principalOf(res);
  authorizeProjectSight(principal, slug);
  return (await projectEnvironments(pool, slug)).filter((env) => principal.scope.environment === null || principal.scope.environment === env);
}

export function projectRoutes(pool: Pool): Router {
  const r = Router();
  const bySlug = route(async (req, res) => {
    const slug = parse(projectIdSchema, req.params.slug, "project slug");
    const environments = await visibleEnvironments(pool, res, slug);
    if (!environments.length) throw new AppError("NotFound", `Project with slug ${JSON.stringify(slug)} not found (no rotation files secrets in it)`);
    res.json({
      id: slug,
      _id: slug,
      name: slug,
      slug,
      orgId: ORG_ID,
      environments: environments.map((env) => ({ id: derivedId("environment", slug, env), name: env, slug: env })),
      // pgrotate extension: the project's freeze (api/project-freeze.ts).
      ...presentFreeze(await findFreeze(pool, slug)),
    });
  });
  r.get("/api/v2/workspace/:slug", bySlug);
  r.get("/api/v1/projects/slug/:slug", bySlug);
  r.get("/api/v1/projects/:projectId/environments", route(async (req, res) => {
    const projectId = parse(projectIdSchema, req.params.projectId, "projectId");
    res.json({ projectId, environments: await visibleEnvironments(pool, res, projectId) });
  }));
  return r;
}
