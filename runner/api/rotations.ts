import { Router, type Request, type Response } from "express";
import { AppError } from "../errors";
import type { RotationEngine } from "../rotation/engine";
import {
  byNameQuerySchema,
  createRotationSchema,
  deleteRotationQuerySchema,
  getRotationQuerySchema,
  listRotationsQuerySchema,
  rotateQuerySchema,
  ROTATION_LIST_DEFAULT_LIMIT,
  ROTATION_LIST_PAGE_PARAMS,
  type RotationSortField,
  updateRotationSchema,
} from "../schemas";
import type { ConnectionService } from "../services/connections";
import type { PairCheckService } from "../services/pair-check";
import type { RotationService } from "../services/rotations";
import { audit } from "../auth/audit";
import { authorize, type Permission } from "../auth/principal";
import type { RotationRecord } from "../store/rows";
import { sendWithEtag } from "./etag";
import { idParam, managedByOf, parse, principalOf, route } from "./http";
import { presentHistory, presentRotation, presentUsage, ROTATION_TYPE } from "./present";

/** Fields that identify what a rotation rotates: changing them means a new rotation. */
const IMMUTABLE = ["connectionId", "projectId", "environment", "secretPath", "type"] as const;

function rejectImmutable(body: unknown): void {
  if (!body || typeof body !== "object") return;
  const b = body as Record<string, unknown>;
  const params = b.parameters as Record<string, unknown> | undefined;
  const bad = [
    ...IMMUTABLE.filter((k) => k in b),
    ...(params && typeof params === "object" ? ["username1", "username2"].filter((k) => k in params).map((k) => `parameters.${k}`) : []),
  ];
  if (bad.length) {
    throw new AppError("ValidationError", `${bad.join(", ")} cannot change in place; delete the rotation and create a new one`, {
      details: bad.map((path) => ({ path, message: "cannot change in place" })),
    });
  }
}

/** /api/v2/secret-rotations/postgres-credentials */
export function rotationRoutes(svc: RotationService, connections: ConnectionService, engine: RotationEngine, pairChecks: PairCheckService): Router {
  const r = Router();
  const id = (req: Request) => idParam(req, "id", "Secret rotation");
  /** Checks the caller holds `need` over the rotation's folder (known without a store read once seen). */
  const authorized = async (req: Request, res: Response, need: Permission, action?: string): Promise<string> => {
    const rotationId = id(req);
    const f = await svc.folderOf(rotationId);
    const folder = { projectId: f.projectId, environment: f.environment, secretPath: f.secretPath };
    audit(res, { action, resourceType: "secret-rotation", resourceId: rotationId, folder });
    authorize(principalOf(res), need, folder);
    return rotationId;
  };
  /** Checks the caller holds `need` over the rotation's folder, and reads the rotation. */
  const load = async (req: Request, res: Response, need: Permission, action?: string): Promise<RotationRecord> => {
    const rotation = await svc.get(id(req)); // remembers its folder: the check below reads nothing more
    await authorized(req, res, need, action);
    return rotation;
  };

  r.post("/", route(async (req, res) => {
    const input = parse(createRotationSchema, req.body, "secret rotation");
    const folder = { projectId: input.projectId, environment: input.environment, secretPath: input.secretPath };
    audit(res, { action: "rotation.create", resourceType: "secret-rotation", folder, details: { connectionId: input.connectionId } });
    const p = principalOf(res);
    authorize(p, "manage", folder);
    // Using the connection is a permission of its own: refused here, nothing has reached the target.
    const connection = await connections.usableFor(p, input.connectionId, folder);
    const warnings: string[] = [];
    const created = await engine.create(input, connection, { ...managedByOf(req), warnings });
    svc.remember(created);
    audit(res, { resourceId: created.id });
    // A difference between the two users is a warning in the answer, never a refusal (Infisical's request must work).
    res.status(200).json({ secretRotation: presentRotation(created), pairCheck: await pairChecks.atCreate(created), ...(warnings.length ? { warnings } : {}) });
  }));
  // Infisical's list (every rotation in scope, oldest first) unless a page, filter or sort parameter is given:
  // then the page asked for and totalCount. Both carry an ETag (304 when the client has the answer already).
  r.get("/", route(async (req, res) => {
    const projectId = typeof req.query.projectId === "string" ? req.query.projectId : undefined; // as it always was
    const given = Object.fromEntries(ROTATION_LIST_PAGE_PARAMS.filter((k) => req.query[k] !== undefined && req.query[k] !== "").map((k) => [k, req.query[k]]));
    const q = parse(listRotationsQuerySchema, given, "query");
    const paged = Object.keys(given).length > 0;
    const sort = q.sort && { field: q.sort.replace(/^-/, "") as RotationSortField, descending: q.sort.startsWith("-") };
    const { rotations, totalCount } = await svc.list({
      projectId,
      environment: q.environment,
      secretPath: q.secretPath,
      status: q.status,
      search: q.search,
      scope: principalOf(res).scope,
      sort,
      offset: q.offset,
      limit: paged ? (q.limit ?? ROTATION_LIST_DEFAULT_LIMIT) : undefined,
    });
    const secretRotations = rotations.map(presentRotation);
    sendWithEtag(req, res, paged ? { secretRotations, totalCount } : { secretRotations });
  }));
  r.get("/rotation-name/:name", route(async (req, res) => {
    const q = parse(byNameQuerySchema, req.query, "query");
    authorize(principalOf(res), "read", q);
    res.json({ secretRotation: presentRotation(await svc.getByName({ ...q, name: String(req.params.name) })) });
  }));
  r.get("/:id", route(async (req, res) => {
    const q = parse(getRotationQuerySchema, req.query, "query");
    const rotation = await load(req, res, "read");
    if (q.include !== "usage") return sendWithEtag(req, res, { secretRotation: presentRotation(rotation) });
    // Who uses each user is read on the target only when asked: IaC refreshes GET without it.
    await connections.usableFor(principalOf(res), rotation.connectionId, rotation);
    res.json({ secretRotation: presentRotation(rotation), usage: presentUsage(await engine.usage(rotation)) });
  }));
  r.patch("/:id", route(async (req, res) => {
    const rotation = await load(req, res, "manage", "rotation.update");
    await connections.usableFor(principalOf(res), rotation.connectionId, rotation);
    const rotationId = rotation.id;
    rejectImmutable(req.body);
    const updated = await svc.update(rotationId, parse(updateRotationSchema, req.body, "secret rotation update"), managedByOf(req));
    res.json({ secretRotation: presentRotation(updated) });
  }));
  r.delete("/:id", route(async (req, res) => {
    const q = parse(deleteRotationQuerySchema, req.query, "query");
    const rotationId = await authorized(req, res, "manage", "rotation.delete");
    audit(res, { details: q });
    const deleted = await engine.delete(rotationId, q);
    svc.forget(rotationId);
    res.json({ secretRotation: presentRotation(deleted) });
  }));
  r.get("/:id/generated-credentials", route(async (req, res) => {
    const rotation = await load(req, res, "manage", "rotation.generated-credentials.read");
    audit(res, { secretRead: true });
    if (rotation.rotationStatus === "pending") {
      throw new AppError("Conflict", `Secret rotation ${rotation.name} is still being created; its credentials exist once the create finishes`);
    }
    const creds = await engine.credentials(rotation.id);
    res.json({
      generatedCredentials: creds.map((c) => ({ username: c.username, password: c.password })),
      activeIndex: rotation.activeIndex,
      rotationId: rotation.id,
      type: ROTATION_TYPE,
    });
  }));
  // manage: the answer shows the target's roles, settings and grants, and SQL to run as a superuser.
  r.get("/:id/pair-check", route(async (req, res) => {
    const rotation = await load(req, res, "manage", "rotation.pair-check");
    await connections.usableFor(principalOf(res), rotation.connectionId, rotation);
    res.json(await pairChecks.forRotation(rotation));
  }));
  r.get("/:id/history", route(async (req, res) => {
    const rotationId = await authorized(req, res, "read");
    res.json({ history: (await svc.history(rotationId)).map(presentHistory) });
  }));
  // Drift: do both stored passwords still log in? Repairs what does not, as the rotation's driftRepair says.
  r.post("/:id/check", route(async (req, res) => {
    const rotationId = await authorized(req, res, "manage", "rotation.check");
    const drift = await engine.checkDrift(rotationId, { trigger: "manual" });
    res.json({ secretRotation: presentRotation(await svc.get(rotationId)), drift });
  }));
  r.post("/:id/rotate-secrets", route(async (req, res) => {
    const q = parse(rotateQuerySchema, req.query, "query");
    const rotationId = await authorized(req, res, "manage", "rotation.rotate");
    audit(res, { details: q });
    const rotated = await engine.rotate(rotationId, { trigger: "manual", force: q.force });
    res.json({ secretRotation: presentRotation(rotated) });
  }));
  return r;
}
