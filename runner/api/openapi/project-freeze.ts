/** /api/v1/projects/{projectId}/freeze in the API reference (api/project-freeze.ts). */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { projectFreezeSchema } from "../../schemas";
import { pathItem, TAGS } from "./operation";

const freezeSchema = z
  .object({
    projectId: z.string(),
    frozen: z.boolean(),
    frozenReason: z.string().nullable().meta({ description: "Why it is frozen (null when it is not)" }),
    frozenAt: z.string().nullable().meta({ description: "Since when (ISO 8601; null when it is not frozen)" }),
    frozenBy: z.string().nullable().meta({ description: 'Who froze it: "admin", "token:<id>" or "identity:<id>"' }),
  })
  .meta({ id: "ProjectFreeze", description: "pgrotate extension: whether the project's rotations are frozen" });

const path = z.object({ projectId: z.string().meta({ description: "The project's id", example: "my-project" }) });

export const projectFreezePaths: ZodOpenApiPathsObject = {
  "/api/v1/projects/{projectId}/freeze": pathItem({
    get: {
      operationId: "getProjectFreeze",
      summary: "Whether a project is frozen",
      description: "Needs a scope that reaches the project. pgrotate extension.",
      tag: TAGS.rotations,
      auth: "token",
      path,
      ok: { description: "The project's freeze", schema: freezeSchema },
      errors: [422],
    },
    put: {
      operationId: "setProjectFreeze",
      summary: "Freeze or unfreeze a project",
      description:
        "`{frozen: true, reason}` freezes the project: the scheduler runs none of its rotations (a due one waits; one interrupted " +
        "by a crash is still finished) and a manual rotation answers 409 `ProjectFrozen` unless `force=true`. Freezing a frozen " +
        "project changes its reason only. `{frozen: false}` unfreezes it: every runner wakes and the overdue rotations run at " +
        "once, inside their rotation windows. Needs `manage` over the whole project (a token scoped to an environment or a " +
        "folder of it: 403). Audited. pgrotate extension.",
      tag: TAGS.rotations,
      auth: "token",
      path,
      body: { schema: projectFreezeSchema, examples: { freeze: { summary: "Freeze", value: { frozen: true, reason: "year-end release freeze" } }, unfreeze: { summary: "Unfreeze", value: { frozen: false } } } },
      ok: { description: "The project's freeze as it is now", schema: freezeSchema },
      errors: [422],
    },
  }),
};
