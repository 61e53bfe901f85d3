/** Scoped tokens, machine identities (universal auth) and the audit log in the API reference. */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { auditLogSchema, identitySchema, loginResultSchema, tokenSchema } from "../../responses";
import { accessTokenBodySchema, auditQuerySchema, createIdentitySchema, createTokenSchema, universalAuthLoginSchema } from "../../schemas";
import { pathItem, TAGS } from "./operation";

const tag = TAGS.access;
const byId = (what: string) => z.object({ id: z.uuid().meta({ description: `The ${what}'s id` }) });

export const accessPaths: ZodOpenApiPathsObject = {
  "/api/v1/admin/backup": pathItem({
    get: {
      operationId: "backupStore",
      summary: "Back up the store",
      description:
        "The store's rows (connections, rotations, their credentials and intents, secrets, history, identities, tokens, audit log) as " +
        "JSON lines from one consistent snapshot, while the runner keeps rotating: a header line, one line per row, and an end line " +
        "with the row count (a file without it is incomplete). Sealed values stay sealed; the encryption key is not in it. " +
        "`pgrotate backup --out FILE` writes it, `pgrotate restore FILE` puts it back.",
      tag,
      auth: "admin",
      ok: { description: "The backup, as JSON lines", schema: z.string(), contentType: "application/x-ndjson" },
    },
  }),
  "/api/v1/auth/universal-auth/login": pathItem({
    post: {
      operationId: "universalAuthLogin",
      summary: "Log in as a machine identity (Infisical's universal auth)",
      description: "Exchanges a client id and secret for a short-lived access token with the identity's scope. Failed attempts count towards the rate limit.",
      tag,
      auth: "public",
      body: { schema: universalAuthLoginSchema },
      ok: { description: "An access token", schema: loginResultSchema },
      errors: [401, 422],
    },
  }),
  "/api/v1/auth/token/renew": pathItem({
    post: {
      operationId: "renewAccessToken",
      summary: "Renew a machine identity's access token (Infisical's renew)",
      description:
        "The token named in the body (no bearer needed) gets the identity's `accessTokenTTL` more, never beyond " +
        "`accessTokenMaxTTL` after its login. 401 when it is unknown, revoked, expired or at its max TTL: log in again. " +
        "Failures do not count towards the failed-login rate limit.",
      tag,
      auth: "public",
      body: { schema: accessTokenBodySchema },
      ok: { description: "The same token and its new lifetime", schema: loginResultSchema },
      errors: [401, 422],
    },
  }),
  "/api/v1/auth/token/revoke": pathItem({
    post: {
      operationId: "revokeAccessToken",
      summary: "Revoke a machine identity's access token (Infisical's revoke)",
      description: "The login token named in the body stops working at once, on every runner. Revoking one already revoked or expired succeeds; a value that is no login token is 401.",
      tag,
      auth: "public",
      body: { schema: accessTokenBodySchema },
      ok: { description: "Revoked", schema: z.object({ message: z.string() }) },
      errors: [401, 422],
    },
  }),
  "/api/v1/auth/tokens": pathItem({
    post: {
      operationId: "createToken",
      summary: "Create a scoped token",
      description: "The secret is shown once, in this answer, and stored as a SHA-256 hash. Scope fields left out mean any.",
      tag,
      auth: "admin",
      body: { schema: createTokenSchema },
      ok: { description: "The token and its secret", schema: z.object({ token: tokenSchema, secret: z.string().meta({ description: "The bearer token (shown once)" }) }) },
      errors: [422],
    },
    get: { operationId: "listTokens", summary: "List tokens", tag, auth: "admin", ok: { description: "Every token (never a secret)", schema: z.object({ tokens: z.array(tokenSchema) }) } },
  }),
  "/api/v1/auth/tokens/{id}": pathItem({
    delete: {
      operationId: "revokeToken",
      summary: "Revoke a token",
      description: "It stops working at once, on every runner.",
      tag,
      auth: "admin",
      path: byId("token"),
      ok: { description: "The revoked token", schema: z.object({ token: tokenSchema }) },
      errors: [404],
    },
  }),
  "/api/v1/auth/identities": pathItem({
    post: {
      operationId: "createMachineIdentity",
      summary: "Create a machine identity",
      description: "The client secret is shown once, in this answer, and stored as a SHA-256 hash.",
      tag,
      auth: "admin",
      body: { schema: createIdentitySchema },
      ok: {
        description: "The identity, its client id and its client secret",
        schema: z.object({ identity: identitySchema, clientId: z.uuid(), clientSecret: z.string().meta({ description: "Shown once" }) }),
      },
      errors: [409, 422],
    },
    get: { operationId: "listMachineIdentities", summary: "List machine identities", tag, auth: "admin", ok: { description: "Every identity", schema: z.object({ identities: z.array(identitySchema) }) } },
  }),
  "/api/v1/auth/identities/{id}": pathItem({
    delete: {
      operationId: "revokeMachineIdentity",
      summary: "Revoke a machine identity",
      description: "Its access tokens stop working at once.",
      tag,
      auth: "admin",
      path: byId("identity"),
      ok: { description: "The revoked identity", schema: z.object({ identity: identitySchema }) },
      errors: [404],
    },
  }),
  "/api/v1/audit-logs": pathItem({
    get: {
      operationId: "listAuditLogs",
      summary: "The audit log, newest first",
      description: "Every change, every secret read and every refused request: who, what, when, status, folder, secret names; never a value.",
      tag: TAGS.audit,
      auth: "admin",
      query: auditQuerySchema,
      ok: { description: "Audit entries", schema: z.object({ auditLogs: z.array(auditLogSchema) }) },
      errors: [422],
    },
  }),
};
