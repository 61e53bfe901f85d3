/** /api/v1/app-connections/postgres in the API reference. */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { connectionSchema, pairCheckReportSchema, serverVersionSchema } from "../../responses";
import { createConnectionSchema, pairCheckSchema, updateConnectionSchema } from "../../schemas";
import { pathItem, TAGS } from "./operation";

const BASE = "/api/v1/app-connections/postgres";
const one = z.object({ appConnection: connectionSchema });
const byId = z.object({ id: z.uuid().meta({ description: "The connection's id" }) });
const tag = TAGS.connections;
/** Connections belong to no project: changing one is for unscoped manage tokens. */
const UNSCOPED = "Needs an unscoped `manage` token (connections belong to no project; so does who may use them).";
/** Reading one is open to a scoped token the connection is granted to (allowedScopes overlapping its scope). */
const SIGHT =
  "An unscoped token sees every connection; a scoped token only those whose `allowedScopes` overlap its scope " +
  "(a connection it may not use answers 404 to it, as if it did not exist).";

export const connectionPaths: ZodOpenApiPathsObject = {
  [BASE]: pathItem({
    post: {
      operationId: "createAppConnection",
      summary: "Create a PostgreSQL connection",
      description: `The connection is validated with a login and \`SELECT 1\` before it is stored; the password is never returned. ${UNSCOPED}`,
      tag,
      auth: "token",
      body: {
        schema: createConnectionSchema,
        examples: {
          connection: {
            summary: "A connection over verified TLS",
            value: {
              name: "prod-db",
              method: "username-and-password",
              credentials: { host: "db.internal", port: 5432, database: "app", username: "rotation_admin", password: "…", sslEnabled: true },
            },
          },
          granted: {
            summary: "A connection team A's tokens may use for rotations under /team-a (pgrotate extension)",
            value: {
              name: "team-a-db",
              method: "username-and-password",
              credentials: { host: "db.internal", port: 5432, database: "team_a", username: "rotation_admin", password: "…", sslEnabled: true },
              allowedScopes: [{ projectId: "shop", environment: "prod", secretPath: "/team-a" }],
            },
          },
        },
      },
      ok: { description: "The stored connection", schema: one },
      errors: [409, 422, 502],
    },
    get: {
      operationId: "listAppConnections",
      summary: "List PostgreSQL connections",
      description: `${SIGHT} So a scoped token's list holds exactly the connections it may create rotations with (in the folders their allowedScopes cover).`,
      tag,
      auth: "token",
      ok: { description: "The connections the token may see", schema: z.object({ appConnections: z.array(connectionSchema) }) },
    },
  }),
  [`${BASE}/connection-name/{name}`]: pathItem({
    get: {
      operationId: "getAppConnectionByName",
      summary: "Get a connection by its name",
      description: SIGHT,
      tag,
      auth: "token",
      path: z.object({ name: z.string().meta({ description: "The connection's name (unique per runner)" }) }),
      ok: { description: "The connection", schema: one },
      errors: [404],
    },
  }),
  [`${BASE}/{id}`]: pathItem({
    get: { operationId: "getAppConnection", summary: "Get a connection", description: SIGHT, tag, auth: "token", path: byId, ok: { description: "The connection", schema: one }, errors: [404] },
    patch: {
      operationId: "updateAppConnection",
      summary: "Change a connection",
      description:
        "A field left out keeps its value; `sslCertificate: null` clears the CA. A change of the credentials is validated with a login " +
        "before it is stored. `allowedScopes` replaces the whole list (`[]` withdraws every grant: rotations already made keep " +
        `rotating, but a scoped token may no longer create or change one through the connection). ${UNSCOPED}`,
      tag,
      auth: "token",
      path: byId,
      body: {
        schema: updateConnectionSchema,
        examples: {
          grant: { summary: "Let tokens scoped to shop /team-a (any environment) use it", value: { allowedScopes: [{ projectId: "shop", secretPath: "/team-a" }] } },
          withdraw: { summary: "Only unscoped tokens may use it", value: { allowedScopes: [] } },
        },
      },
      ok: { description: "The changed connection", schema: one },
      errors: [404, 409, 422, 502],
    },
    delete: {
      operationId: "deleteAppConnection",
      summary: "Delete a connection",
      description: `Refused (409) while a rotation uses it. ${UNSCOPED}`,
      tag,
      auth: "token",
      path: byId,
      ok: { description: "The deleted connection", schema: one },
      errors: [404, 409],
    },
  }),
  [`${BASE}/{id}/pair-check`]: pathItem({
    post: {
      operationId: "pairCheck",
      summary: "Are two users interchangeable?",
      description:
        "Compares the two users on the connection's database, as the connection role (catalog reads only): role " +
        "attributes, memberships and their options, per-role settings, database / schema / table / column / sequence / " +
        "function privileges, default privileges, row-level-security policies naming one of them, and objects either " +
        "owns. Each difference comes with the SQL that removes it; running them all in order (as a superuser) makes the " +
        "pair interchangeable. A role that does not exist is 422 `PrecheckFailed` naming it. Needs `manage`; a scoped token " +
        "only on a connection granted in its scope (404 otherwise).",
      tag,
      auth: "token",
      path: byId,
      body: { schema: pairCheckSchema, examples: { pair: { summary: "A rotation's two users", value: { username1: "app_user_1", username2: "app_user_2" } } } },
      ok: { description: "The comparison", schema: pairCheckReportSchema },
      errors: [404, 422, 502],
    },
  }),
  [`${BASE}/{id}/server-version`]: pathItem({
    get: {
      operationId: "getAppConnectionServerVersion",
      summary: "The target's PostgreSQL version",
      description: `What \`pgrotate setup-sql\` prints for depends on it (ADMIN OPTION from 16). ${SIGHT}`,
      tag,
      auth: "token",
      path: byId,
      ok: { description: "The server version", schema: serverVersionSchema },
      errors: [404, 422, 502],
    },
  }),
};
