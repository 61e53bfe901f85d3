/**
 * The runner's API reference: an OpenAPI 3.1 document generated (zod-openapi) from the same zod schemas the
 * runner validates requests with (runner/schemas.ts) and its presenters answer with (runner/responses.ts).
 * Built once, on first use.
 */
import { createDocument, type oas31 } from "zod-openapi";
import { packageVersion } from "../../version";
import { accessPaths } from "./access";
import { connectionPaths } from "./connections";
import { consumerPaths } from "./consumers";
import { eventPaths } from "./events";
import { consolePaths } from "./console";
import { keyPaths } from "./keys";
import { TAGS } from "./operation";
import { operationPaths } from "./operations";
import { projectFreezePaths } from "./project-freeze";
import { rotationPaths } from "./rotations";
import { secretPaths } from "./secrets";

const DESCRIPTION = `pgrotate rotates PostgreSQL credentials on a schedule with the dual-user strategy. Its API follows
Infisical's "PostgreSQL Credentials" secret rotation: Infisical's documented requests work unchanged.

Every route under \`/api\` but the universal-auth login and the console's sign-in needs \`Authorization: Bearer <token>\`:
the admin token, a scoped token or a machine identity's access token — or the web console's session cookie, with which a
state-changing request must come from the runner's own origin (\`Origin\`, else \`Referer\`; 403 otherwise). Connections
and rotations carry \`managedBy\` (pgrotate extension), set from the \`X-Pgrotate-Managed-By: pulumi|terraform\` header the
IaC providers send on create and update. Errors always have the shape
\`{ "statusCode", "error", "message", "details"? }\`; \`error\` is a stable code to switch on, \`message\` is
written for people and never holds a secret, never a stack trace.`;

function build(): oas31.OpenAPIObject {
  return createDocument(
    {
      openapi: "3.1.0",
      info: { title: "pgrotate runner API", version: packageVersion(), description: DESCRIPTION, license: { name: "Apache-2.0", identifier: "Apache-2.0" } },
      tags: [
        { name: TAGS.rotations, description: "Dual-user PostgreSQL credential rotations (Infisical's secret-rotation v2 shapes)" },
        { name: TAGS.connections, description: "Where and as whom the runner changes passwords" },
        { name: TAGS.secrets, description: "What applications read: the active username and password (Infisical's raw secrets)" },
        { name: TAGS.access, description: "Scoped tokens and machine identities (admin), and universal-auth login" },
        { name: TAGS.audit, description: "Who did what, when (admin)" },
        { name: TAGS.keys, description: "The encryption keyring's key ids, the values each seals, and the rekey (admin)" },
        { name: TAGS.operations, description: "Health, readiness and metrics (no token)" },
        { name: TAGS.reference, description: "This reference" },
        { name: TAGS.console, description: "The web console's sign-in session (pgrotate extension)" },
        { name: TAGS.consumers, description: "Applications reporting which database users they use, so a rotation sees who still uses the user it retires (pgrotate extension)" },
      ],
      security: [{ bearer: [] }, { consoleSession: [] }],
      components: {
        securitySchemes: {
          bearer: {
            type: "http",
            scheme: "bearer",
            description: "The admin token (`<data dir>/admin.token` or PGROTATE_ADMIN_TOKEN), a scoped token (`pgr_tok_…`) or an identity's access token (`pgr_at_…`)",
          },
          consoleSession: {
            type: "apiKey",
            in: "cookie",
            name: "pgrotate_session",
            description: "The web console's session (POST /api/v1/console/session); `__Host-pgrotate_session` over HTTPS. State-changing requests with it must come from the runner's own origin.",
          },
        },
      },
      paths: { ...rotationPaths, ...projectFreezePaths, ...connectionPaths, ...secretPaths, ...eventPaths, ...consumerPaths, ...accessPaths, ...keyPaths, ...consolePaths, ...operationPaths },
    },
    {
      // zod's .int() bounds every integer to the safe range; that says nothing to a reader.
      override: ({ jsonSchema }) => {
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      },
    },
  );
}

let json: string | undefined;
let doc: oas31.OpenAPIObject | undefined;

export function openApiDocument(): oas31.OpenAPIObject {
  return (doc ??= build());
}

/** The document as served (serialised once). */
export function openApiJson(): string {
  return (json ??= JSON.stringify(openApiDocument()));
}
