/** /api/v1/consumers in the API reference: applications reporting which database users of a folder they use. */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { consumerSchema } from "../../responses";
import { consumerHeartbeatSchema, consumerInstanceIdSchema, rawSecretsQuerySchema } from "../../schemas";
import { pathItem, TAGS } from "./operation";

const tag = TAGS.consumers;
const FOLDER =
  "The folder is named as in a raw-secrets read (`workspaceId`, `projectId`, `workspaceSlug` or `projectSlug`: a project's " +
  "slug is its id; `environment`; `secretPath`; the same defaults) and needs `read` over it, exactly like reading its secrets.";

/** The folder parameters of the query (a raw-secrets read's, without the ones only Infisical's clients send). */
const folderQuery = rawSecretsQuerySchema.pick({ workspaceId: true, projectId: true, workspaceSlug: true, projectSlug: true, environment: true, secretPath: true });


export const consumerPaths: ZodOpenApiPathsObject = {
  "/api/v1/consumers/heartbeat": pathItem({
    post: {
      operationId: "consumerHeartbeat",
      summary: "Report which database users an application instance uses (pgrotate extension)",
      description:
        "What `pgrotate/pg` pools send at start, every `heartbeatSeconds` (30 by default) and when the set of users they " +
        "use changes. 204 once the report is committed. An instance not heard from for `PGROTATE_CONSUMER_TIMEOUT_SECONDS` " +
        "(90 by default) is forgotten. At most 4 usernames; a folder holds at most 10,000 live instances (429 with " +
        "`Retry-After` beyond). Unknown fields are ignored. " +
        FOLDER,
      tag,
      auth: "token",
      body: { schema: consumerHeartbeatSchema },
      ok: { description: "Recorded", status: 204 },
      errors: [422],
    },
  }),
  "/api/v1/consumers/{instanceId}": pathItem({
    delete: {
      operationId: "consumerLeave",
      summary: "Forget an application instance at once (its graceful leave; pgrotate extension)",
      description: "What a `pgrotate/pg` pool's `end()` sends. 204 whether or not the instance was known. " + FOLDER,
      tag,
      auth: "token",
      path: z.object({ instanceId: consumerInstanceIdSchema }),
      query: folderQuery,
      ok: { description: "Forgotten", status: 204 },
      errors: [422],
    },
  }),
  "/api/v1/consumers": pathItem({
    get: {
      operationId: "listConsumers",
      summary: "The live consumers of a folder (pgrotate extension)",
      description: "The instances that reported within the timeout, by app name and instance. " + FOLDER,
      tag,
      auth: "token",
      query: folderQuery,
      ok: {
        description: "The folder's live consumers",
        schema: z.object({
          consumers: z.array(consumerSchema),
          timeoutSeconds: z.number().int().meta({ description: "How long this runner keeps a consumer that stopped reporting" }),
        }),
      },
      errors: [422],
    },
  }),
};
