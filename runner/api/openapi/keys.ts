/** The keyring's counts and the rekey in the API reference (admin). */
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { keysSchema } from "../../responses";
import { rekeySchema } from "../../schemas";
import { pathItem, TAGS } from "./operation";

const tag = TAGS.keys;

export const keyPaths: ZodOpenApiPathsObject = {
  "/api/v1/admin/keys": pathItem({
    get: {
      operationId: "encryptionKeys",
      summary: "The keyring's key ids and how many stored values each seals",
      description:
        "Each key is named by its id (8 hex characters derived from the key, never the key). `v1` counts values sealed before key ids " +
        "(they open with the first key that opens them); `missing` counts values sealed with a key this runner's keyring lacks. " +
        "Counting reads every sealed column once.",
      tag,
      auth: "admin",
      ok: { description: "The keyring and the counts, with this runner's last rekey", schema: keysSchema },
    },
  }),
  "/api/v1/admin/keys/rekey": pathItem({
    post: {
      operationId: "rekey",
      summary: "Re-seal every stored value with the newest key (in the background)",
      description:
        "Starts a rekey on this runner, or leaves the one running here: it walks every sealed column in batches (one transaction each), " +
        "re-sealing the values not on the newest key while rotations go on. It keeps no state: run again after a stop or a crash, it " +
        "continues with what is not yet on the newest key. Follow it with GET /api/v1/admin/keys. Every runner must list the same newest key first.",
      tag,
      auth: "admin",
      body: { schema: rekeySchema, description: "Optional: `{}` for the default batch size" },
      ok: { description: "The rekey started (or running): the counts and its progress", schema: keysSchema },
      errors: [422],
    },
  }),
};
