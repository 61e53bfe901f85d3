/** /api/v2/secret-rotations/postgres-credentials in the API reference. */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { driftReportSchema, generatedCredentialsSchema, historyEntrySchema, pairCheckNotRunSchema, pairCheckReportSchema, rotationSchema, usageSchema } from "../../responses";
import {
  byNameQuerySchema,
  createRotationSchema,
  deleteRotationQuerySchema,
  getRotationQuerySchema,
  listRotationsQuerySchema,
  rotateQuerySchema,
  ROTATION_LIST_DEFAULT_LIMIT,
  ROTATION_LIST_MAX_LIMIT,
  updateRotationSchema,
} from "../../schemas";
import { pathItem, TAGS } from "./operation";

const BASE = "/api/v2/secret-rotations/postgres-credentials";
const one = z.object({ secretRotation: rotationSchema });
const byId = z.object({ id: z.uuid().meta({ description: "The rotation's id" }) });
const tag = TAGS.rotations;
const MANAGE = "Needs `manage` over the rotation's folder.";
const READ = "Needs `read` over the rotation's folder.";
const ETAG =
  "The answer has an `ETag` (it changes exactly when the answer's bytes change); a request whose `If-None-Match` holds it " +
  "gets 304 with no body. A compressed answer carries the same tag, weak (`W/`), which `If-None-Match` matches as well.";
const NOT_MODIFIED = { "304": { description: "Not modified: the client's `If-None-Match` holds the answer's `ETag` (no body)" } };
/** The connection rule (auth/connection-use.ts), for the operations that use the rotation's connection. */
const USE =
  "A scoped token also needs the connection granted to the folder (one of its `allowedScopes` covers it): otherwise 403, " +
  "before anything reaches the target.";

/** Infisical's documented create request for a PostgreSQL Credentials rotation, unchanged. */
export const INFISICAL_CREATE_EXAMPLE = {
  name: "my-pg-rotation",
  projectId: "my-project",
  description: "my database credentials rotation",
  connectionId: "3c90c3cc-0d44-4b50-8888-8dd25736052a",
  environment: "dev",
  secretPath: "/",
  isAutoRotationEnabled: true,
  rotationInterval: 30,
  rotateAtUtc: { hours: 0, minutes: 0 },
  parameters: { username1: "app_user_1", username2: "app_user_2" },
  secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "POSTGRES_DB_PASSWORD" },
};

export const rotationPaths: ZodOpenApiPathsObject = {
  [BASE]: pathItem({
    post: {
      operationId: "createSecretRotation",
      summary: "Create a PostgreSQL Credentials rotation",
      description:
        "Prechecks the target (both users exist and log in; the connection role may change their passwords: on a " +
        "missing right, 422 `PrecheckFailed` with the SQL to grant it and nothing is stored), then sets fresh " +
        "passwords on both users, verifies both logins and stores them; user 1 is active. " + MANAGE + " " + USE,
      tag,
      auth: "token",
      body: {
        schema: createRotationSchema,
        examples: { infisical: { summary: "Infisical's documented request (works unchanged)", value: INFISICAL_CREATE_EXAMPLE } },
      },
      ok: {
        description:
          "The created rotation, and the pair check the runner ran on its two users: a difference is a warning, never a " +
          "refusal; `interchangeable: null` with `error` when the check could not run within 5 s",
        schema: one.extend({
          pairCheck: z.union([pairCheckReportSchema, pairCheckNotRunSchema]),
          warnings: z.array(z.string()).optional().meta({
            description: "pgrotate extension: what works, but less well — e.g. the connection role cannot see other roles' session details (no pg_monitor), and says how to grant it",
          }),
        }),
      },
      errors: [404, 409, 422, 502],
    },
    get: {
      operationId: "listSecretRotations",
      summary: "List rotations",
      description:
        "Lists the rotations the token's scope covers (others are left out, not refused). Without any parameter but " +
        "`projectId` the answer is Infisical's: every rotation in scope, oldest first. Any of `offset`, `limit`, `search`, " +
        "`environment`, `secretPath`, `status`, `sort` (pgrotate extension; an empty one counts as absent) makes it one page " +
        `of at most \`limit\` rotations (default ${ROTATION_LIST_DEFAULT_LIMIT}, at most ${ROTATION_LIST_MAX_LIMIT}) with \`totalCount\`, the number of ` +
        "rotations in scope that match the filters, as Infisical's paginated lists have it. A bad value is 422 naming it. " +
        ETAG,
      tag,
      auth: "token",
      query: listRotationsQuerySchema,
      ok: {
        description: "The rotations in scope (the page asked for, and `totalCount` when a page, filter or sort parameter is given)",
        schema: z.object({
          secretRotations: z.array(rotationSchema),
          totalCount: z.number().int().optional().meta({ description: "How many rotations in scope match the filters, over all pages (only with a page, filter or sort parameter)" }),
        }),
      },
      responses: NOT_MODIFIED,
      errors: [422],
    },
  }),
  [`${BASE}/rotation-name/{name}`]: pathItem({
    get: {
      operationId: "getSecretRotationByName",
      summary: "Get a rotation by its name in a folder",
      description: READ,
      tag,
      auth: "token",
      path: z.object({ name: z.string().meta({ description: "The rotation's name" }) }),
      query: byNameQuerySchema,
      ok: { description: "The rotation", schema: one },
      errors: [404, 422],
    },
  }),
  [`${BASE}/{id}`]: pathItem({
    get: {
      operationId: "getSecretRotation",
      summary: "Get a rotation",
      description:
        `${READ} ${ETAG} With \`include=usage\` (pgrotate extension) the answer also says who uses each of the two users — their ` +
        "sessions on the target by application and address, and the registered consumers — read on the target at that moment " +
        "(no ETag then; a target that does not answer gives `usage.error`). " + USE,
      tag,
      auth: "token",
      path: byId,
      query: getRotationQuerySchema,
      ok: { description: "The rotation (and, with include=usage, who uses each user)", schema: one.extend({ usage: usageSchema.optional() }) },
      responses: NOT_MODIFIED,
      errors: [403, 404, 422],
    },
    patch: {
      operationId: "updateSecretRotation",
      summary: "Change a rotation",
      description:
        "May change the name, description, schedule, auto-rotation, rotation window, password requirements and secret names; " +
        "a change of the schedule or the window recomputes `nextRotationAt` (inside the window). The connection, usernames, project, environment and path cannot change in place " +
        "(422: delete and recreate). " + MANAGE + " " + USE,
      tag,
      auth: "token",
      path: byId,
      body: { schema: updateRotationSchema },
      ok: { description: "The changed rotation", schema: one },
      errors: [404, 409, 422],
    },
    delete: {
      operationId: "deleteSecretRotation",
      summary: "Delete a rotation",
      description:
        "Stops scheduling. `revokeGeneratedCredentials=true` sets unknown passwords on both users and proves the old " +
        "ones no longer log in; `deleteSecrets=true` removes the mapped secrets (otherwise they stay readable). " + MANAGE,
      tag,
      auth: "token",
      path: byId,
      query: deleteRotationQuerySchema,
      ok: { description: "The deleted rotation", schema: one },
      errors: [404, 409, 422, 502],
    },
  }),
  [`${BASE}/{id}/generated-credentials`]: pathItem({
    get: {
      operationId: "getSecretRotationGeneratedCredentials",
      summary: "Both users' current credentials",
      description: `Recorded in the audit log as a secret read. 409 while the rotation is still being created. ${MANAGE}`,
      tag,
      auth: "token",
      path: byId,
      ok: { description: "Both users' usernames and passwords, and which is active", schema: generatedCredentialsSchema },
      errors: [404, 409],
    },
  }),
  [`${BASE}/{id}/pair-check`]: pathItem({
    get: {
      operationId: "getSecretRotationPairCheck",
      summary: "The pair check of a rotation's two users",
      description: `Runs the check again on the rotation's connection (see pairCheck), e.g. after running the fixes. ${MANAGE} ${USE}`,
      tag,
      auth: "token",
      path: byId,
      ok: { description: "The comparison", schema: pairCheckReportSchema },
      errors: [404, 422, 502],
    },
  }),
  [`${BASE}/{id}/history`]: pathItem({
    get: {
      operationId: "getSecretRotationHistory",
      summary: "Every attempt of a rotation (newest first, up to 100)",
      description: READ,
      tag,
      auth: "token",
      path: byId,
      ok: { description: "The attempts", schema: z.object({ history: z.array(historyEntrySchema) }) },
      errors: [404],
    },
  }),
  [`${BASE}/{id}/check`]: pathItem({
    post: {
      operationId: "checkSecretRotationDrift",
      summary: "Check for drift (and repair it)",
      description:
        "Logs in with both stored passwords. One that no longer works (a store restored from an older backup, an ALTER ROLE by hand) is " +
        "repaired as the rotation's `driftRepair` says — set on the user again and proven (reapply), a fresh rotation (rotate) — or only " +
        "reported (off; a dropped role always): then `rotationStatus` is `drifted`, the history has the entry and the webhook sends " +
        "`rotation.drifted`. Runners also check every rotation daily and, after a restore, at once. pgrotate extension. " + MANAGE,
      tag,
      auth: "token",
      path: byId,
      ok: { description: "The rotation after the check, and what was found and done", schema: z.object({ secretRotation: rotationSchema, drift: driftReportSchema }) },
      errors: [404, 409],
    },
  }),
  [`${BASE}/{id}/rotate-secrets`]: pathItem({
    post: {
      operationId: "rotateSecretRotation",
      summary: "Rotate now",
      description:
        "Sets a fresh password on the inactive user, proves it logs in, then makes it active; answers when done. " +
        "Within 10 minutes of the last rotation the grace guard answers 409 `GracePeriod` (the other user's " +
        "password may still be held by consumers) unless `force=true`. Outside the rotation's `rotationWindow` it answers " +
        "409 `OutsideRotationWindow` (with `nextOpening`), in a frozen project 409 `ProjectFrozen`. While someone still uses " +
        "the inactive user (sessions on the target, registered consumers) it answers 409 `RetiringUserInUse` naming them " +
        "(unless the rotation's maxHoldHours is 0). `force=true` passes all of these. Every refusal changes nothing. A " +
        "failure never touches the active credentials. " + MANAGE,
      tag,
      auth: "token",
      path: byId,
      query: rotateQuerySchema,
      ok: { description: "The rotation after it rotated", schema: one },
      errors: [404, 409, 422, 502],
    },
  }),
};
