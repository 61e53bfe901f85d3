/** /api/v3/secrets/raw and /api/v4/secrets in the API reference: what applications read (Infisical's raw secrets). */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { rawSecretSchema, secretChangedSchema } from "../../responses";
import { rawSecretsQuerySchema } from "../../schemas";
import { type OperationSpec, pathItem, TAGS } from "./operation";

const tag = TAGS.secrets;
const READ =
  "The project is named by `workspaceId` (v3) or `projectId` (v4), or by its slug (`workspaceSlug`, `projectSlug`): a " +
  "project's slug is its id, and two that differ are 422. An empty parameter counts as absent (Go clients send unset ones " +
  "empty). The other query parameters Infisical's clients send are accepted and ignored. Needs `read` over the folder. " +
  "The answer has an `ETag` (it changes exactly when a value or a key changes); a request whose `If-None-Match` holds it " +
  "gets 304 with no body.";
const NOT_MODIFIED = { "304": { description: "Not modified: the client's `If-None-Match` holds the answer's `ETag` (no body)" } };

/** The two read operations under `base` (v3's raw path and v4's: the same answers). */
function readPaths(base: string, version: "v3" | "v4", ids: { list: string; get: string }): ZodOpenApiPathsObject {
  return {
    [base]: pathItem({
      get: {
        operationId: ids.list,
        summary: `The secrets of a folder, opened (${version})`,
        description:
          "The username and the password of a rotation always come from the same rotation state. `recursive=true` adds " +
          "every folder under it that the token may read (each secret's `secretPath` says where it lives). " +
          READ,
        tag,
        auth: "token",
        query: rawSecretsQuerySchema,
        ok: { description: "The folder's secrets", schema: z.object({ secrets: z.array(rawSecretSchema), imports: z.array(z.unknown()).max(0) }) },
        responses: NOT_MODIFIED,
        errors: [422],
      },
    }),
    [`${base}/{secretName}`]: pathItem({
      get: {
        operationId: ids.get,
        summary: `One secret by name, opened (${version})`,
        description: READ,
        tag,
        auth: "token",
        path: z.object({ secretName: z.string().meta({ description: "The secret's name", example: "POSTGRES_DB_PASSWORD" }) }),
        query: rawSecretsQuerySchema,
        ok: { description: "The secret", schema: z.object({ secret: rawSecretSchema }) },
        responses: NOT_MODIFIED,
        errors: [404, 422],
      },
    }),
  };
}

const projectSchema = z
  .object({
    id: z.string().meta({ description: "The project's id, which is its slug" }),
    _id: z.string(),
    name: z.string(),
    slug: z.string(),
    orgId: z.string(),
    environments: z.array(z.object({ id: z.string(), name: z.string(), slug: z.string() })).meta({ description: "The environments its rotations use (within the token's scope)" }),
    frozen: z.boolean().meta({ description: "pgrotate extension: whether the project's rotations are frozen (PUT /api/v1/projects/{projectId}/freeze)" }),
    frozenReason: z.string().nullable().meta({ description: "pgrotate extension: why it is frozen" }),
    frozenAt: z.string().nullable().meta({ description: "pgrotate extension: since when" }),
    frozenBy: z.string().nullable().meta({ description: "pgrotate extension: who froze it" }),
  })
  .meta({ id: "Project" });
const PROJECT = {
  summary: "A project by its slug",
  description:
    "What Infisical's operator and agent resolve a `projectSlug` with (they read the top-level `id`). A project's slug " +
    "is its id; it is found while a rotation files secrets in it (404 otherwise). Needs a scope that reaches the project.",
  tag,
  auth: "token",
  path: z.object({ slug: z.string().meta({ description: "The project's slug (its id)", example: "my-project" }) }),
  ok: { description: "The project", schema: projectSchema },
  errors: [404, 422],
} satisfies Omit<OperationSpec, "operationId">;

const projectEnvironmentsSchema = z
  .object({
    projectId: z.string(),
    environments: z.array(z.string()).meta({ description: "The environments its rotations use, within the token's scope, sorted; empty when none" }),
  })
  .meta({ id: "ProjectEnvironments" });

export const secretPaths: ZodOpenApiPathsObject = {
  "/api/v2/workspace/{slug}": pathItem({ get: { operationId: "getWorkspaceBySlug", ...PROJECT } }),
  "/api/v1/projects/slug/{slug}": pathItem({ get: { operationId: "getProjectBySlug", ...PROJECT } }),
  "/api/v1/projects/{projectId}/environments": pathItem({
    get: {
      operationId: "listProjectEnvironments",
      summary: "A project's environments",
      description:
        "The environments the project's rotations file secrets in, as far as the token may read them (an empty list when " +
        "there are none: unlike the project by slug, never 404). Needs a scope that reaches the project. pgrotate extension.",
      tag,
      auth: "token",
      path: z.object({ projectId: z.string().meta({ description: "The project's id", example: "my-project" }) }),
      ok: { description: "The project's environments", schema: projectEnvironmentsSchema },
      errors: [422],
    },
  }),
  ...readPaths("/api/v3/secrets/raw", "v3", { list: "listSecretsRaw", get: "getSecretRaw" }),
  ...readPaths("/api/v4/secrets", "v4", { list: "listSecretsV4", get: "getSecretV4" }),
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
