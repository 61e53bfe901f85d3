/** /api/v3/secrets/raw in the API reference: what applications read (Infisical's raw secrets). */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { rawSecretSchema } from "../../responses";
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
};
