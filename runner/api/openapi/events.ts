/** Infisical's project-events subscription and the rotation-status stream in the API reference (the change feed itself is in secrets.ts). */
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { projectEventDataSchema, subscribeProjectEventsSchema } from "../project-events";
import { rotationChangedSchema, rotationEventsQuerySchema } from "../rotation-events";
import { pathItem, TAGS } from "./operation";

export const eventPaths: ZodOpenApiPathsObject = {
  "/api/v1/events/subscribe/project-events": pathItem({
    post: {
      operationId: "subscribeProjectEvents",
      summary: "Infisical's project-events subscription (Server-Sent Events), on the change feed",
      description:
        "What Infisical's Kubernetes operator opens for `instantUpdates`. Each registration's folder must be readable " +
        '(for `"/app/**"`, the folder `/app`; for a glob, the folders before its first wildcard), else 403. A change of a ' +
        "matching folder's secrets is `event: secret:update` (data: ProjectEvent, one entry per secret name, never a value); " +
        "the feed does not tell creates and deletes from updates, so `secret:create` and `secret:delete` are never sent, and " +
        "`secret:import-mutation` only when the client must re-read (a Last-Event-ID that cannot be resumed). `event: ping` " +
        "every 15 s and once attached, each with the cursor as `id:`; `Last-Event-ID` resumes like the change feed's. The " +
        "streams count in the change feed's caps (429 beyond them); a revoked token's streams end at the next ping.",
      tag: TAGS.secrets,
      auth: "token",
      body: { schema: subscribeProjectEventsSchema },
      ok: { description: "The event stream; `secret:*` events carry this data", schema: projectEventDataSchema, contentType: "text/event-stream" },
      errors: [422],
    },
  }),
  "/api/v1/events/rotations": pathItem({
    get: {
      operationId: "rotationEvents",
      summary: "The rotation-status stream (Server-Sent Events)",
      description:
        "A `text/event-stream` of changes to the rotations the caller may list (its scope; the query narrows it, each " +
        "parameter exact like the list's filters), on whichever runner they happened: `rotation.changed` (data: " +
        "RotationChanged — id, rotationStatus, updatedAt; never a credential) when a rotation is created, changed, rotated " +
        "or fails, `rotation.deleted` (data: `{ rotationId }`) when it is deleted, `ready` once attached, and `: ping` " +
        "heartbeats (every 15 s). There is no resume: a client re-reads what it shows at each `ready`. What the web console " +
        "follows (with its session cookie) to refresh at once instead of every few seconds. The streams count in the change " +
        "feed's caps (429 beyond them); a revoked token's or ended session's streams end at the next heartbeat; while the " +
        "runner does not receive the store's notifications its streams end and new ones are refused (503).",
      tag: TAGS.rotations,
      auth: "token",
      query: rotationEventsQuerySchema,
      ok: { description: "The event stream; `rotation.changed` events carry this data", schema: rotationChangedSchema, contentType: "text/event-stream" },
      errors: [422, 503],
    },
  }),
};
