/**
 * GET /api/v1/events/rotations?workspaceId=&environment=&secretPath= — the rotation-status stream as Server-Sent
 * Events: `rotation.changed` (rotation id, status, updatedAt; never a credential) whenever a rotation is created,
 * changed, rotated or fails, on any runner of the store, `rotation.deleted` when one is deleted, `ready` once
 * attached (the client re-reads then: there is no resume), and `: ping` heartbeats.
 *
 * Authorized like the rotation list: a principal sees the rotations its scope covers, nothing else, and the query
 * narrows that (each parameter optional, exact like the list's filters). The same stream opener as the change feed
 * (api/events.ts): its caps (these streams count in them), heartbeats, dropping a client that does not read, the
 * token (or console session) re-check at each heartbeat, and runner stop closing every stream.
 */
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { listRotationsQuerySchema } from "../schemas";
import type { RotationEventHub, RotationFollows } from "../services/rotation-events";
import { changeFeedFraming, type FeedAuth, type FeedLimits, type StreamCounter, streamOpener } from "./events";
import { parse, principalOf, route } from "./http";

export const rotationEventsQuerySchema = listRotationsQuerySchema.pick({ environment: true, secretPath: true }).extend({
  workspaceId: z.string().max(256, "workspaceId must be at most 256 characters").optional().meta({ description: "Only this project's rotations" }),
});

/** The data of a `rotation.changed` event (API reference). */
export const rotationChangedSchema = z
  .object({
    rotationId: z.string().meta({ description: "The rotation that changed" }),
    rotationStatus: z.string().meta({ description: "Its rotationStatus now" }),
    updatedAt: z.string().meta({ description: "Its updatedAt now (ISO 8601)" }),
  })
  .meta({ id: "RotationChanged", description: "A rotation created, changed, rotated or failed (a `rotation.deleted` event carries the rotationId alone); never a credential" });

/** Mounted at /api/v1/events (behind authentication: a bearer token, or the console's session cookie). */
export function rotationEventRoutes(hub: RotationEventHub, auth: FeedAuth, limits: FeedLimits = {}, countedWith: StreamCounter[] = [hub]): Router {
  const r = Router();
  const open = streamOpener<RotationFollows>(hub, auth, limits, countedWith);
  r.get("/rotations", route(async (req: Request, res: Response) => {
    const given = Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== ""));
    const q = parse(rotationEventsQuerySchema, given, "query");
    const follows: RotationFollows = { scope: principalOf(res).scope, projectId: q.workspaceId, environment: q.environment, secretPath: q.secretPath };
    await open(req, res, follows, changeFeedFraming, undefined);
  }));
  return r;
}
