/** /api/v3/secrets/raw in the API reference: what applications read (Infisical's raw secrets). */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { rawSecretSchema, secretChangedSchema } from "../../responses";
import { rawSecretsQuerySchema } from "../../schemas";
import { pathItem, TAGS } from "./operation";

const tag = TAGS.secrets;
const READ =
  "`workspaceId` is the project id (`projectId` is accepted too). The other query parameters Infisical's clients " +
  "send are accepted and ignored. Needs `read` over the folder.";

export const secretPaths: ZodOpenApiPathsObject = {
  "/api/v3/secrets/raw": pathItem({
    get: {
      operationId: "listSecretsRaw",
      summary: "The secrets of a folder, opened",
      description: `The username and the password of a rotation always come from the same rotation state. ${READ}`,
      tag,
      auth: "token",
      query: rawSecretsQuerySchema,
      ok: { description: "The folder's secrets", schema: z.object({ secrets: z.array(rawSecretSchema), imports: z.array(z.unknown()).max(0) }) },
      errors: [422],
    },
  }),
  "/api/v3/secrets/raw/{secretName}": pathItem({
    get: {
      operationId: "getSecretRaw",
      summary: "One secret by name, opened",
      description: READ,
      tag,
      auth: "token",
      path: z.object({ secretName: z.string().meta({ description: "The secret's name", example: "POSTGRES_DB_PASSWORD" }) }),
      query: rawSecretsQuerySchema,
      ok: { description: "The secret", schema: z.object({ secret: rawSecretSchema }) },
      errors: [404, 422],
    },
  }),
  "/api/v1/events/secrets": pathItem({
    get: {
      operationId: "secretEvents",
      summary: "The change feed of a folder (Server-Sent Events)",
      description:
        "A `text/event-stream` of the folder's changes, on whichever runner they happened: `secret.changed` (data: " +
        "SecretChanged — names and rotation id, never a value) for each transaction that changed the folder's secrets, " +
        "`ready` once attached, `reset` when the client must read the secrets again, and `: ping` heartbeats (every 15 s, " +
        "with an `id:`). Each event's `id:` is a cursor: reconnect with it as `Last-Event-ID` (header, or `lastEventId`) " +
        "on any runner and the changes committed since come first, without loss within the kept window (an hour). A " +
        "client that does not read is dropped once 1 MiB waits for it. Open streams are capped on each runner: by default 10 per " +
        "token, 100 per machine identity (all its access tokens together) and 1,000 in all (`PGROTATE_FEED_MAX_STREAMS*`); " +
        "beyond a cap the answer is 429 naming it, with `Retry-After`. " +
        READ,
      tag,
      auth: "token",
      query: rawSecretsQuerySchema.extend({ lastEventId: z.string().optional().meta({ description: "Resume after this event id (for clients that cannot send the Last-Event-ID header)" }) }),
      ok: {
        description: "The event stream; `secret.changed` events carry this data",
        schema: secretChangedSchema,
        contentType: "text/event-stream",
      },
      errors: [422],
    },
  }),
};
