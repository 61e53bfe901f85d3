/** Infisical's project-events subscription in the API reference (the change feed itself is in secrets.ts). */
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { projectEventDataSchema, subscribeProjectEventsSchema } from "../project-events";
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
};
