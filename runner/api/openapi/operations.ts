/** Health, readiness, metrics and the reference itself in the API reference (no token needed). */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { healthSchema, notReadySchema, readySchema } from "../../responses";
import { pathItem, TAGS } from "./operation";

/** The files /docs/{asset} serves (nothing else of the swagger-ui-dist package is reachable). */
export const DOCS_ASSETS = ["swagger-ui.css", "swagger-ui-bundle.js", "init.js"] as const;

const tag = TAGS.operations;

export const operationPaths: ZodOpenApiPathsObject = {
  "/api/status": pathItem({
    get: {
      operationId: "infisicalStatus",
      summary: "Infisical's status probe",
      description: "Always `{\"message\":\"Ok\"}` while the process serves (Infisical's operator checks it for an InfisicalConnection).",
      tag,
      auth: "public",
      ok: { description: "Serving", schema: z.object({ message: z.literal("Ok") }) },
    },
  }),
  "/healthz": pathItem({
    get: { operationId: "health", summary: "The process serves", tag, auth: "public", ok: { description: "Serving", schema: healthSchema }, onlyErrors: [] },
  }),
  "/readyz": pathItem({
    get: {
      operationId: "readiness",
      summary: "Ready: the store answers and the scheduler runs",
      tag,
      auth: "public",
      ok: { description: "Ready, with counts", schema: readySchema },
      responses: {
        "503": { description: "Not ready: the store did not answer within 3 s or the scheduler is not running", content: { "application/json": { schema: notReadySchema } } },
      },
      onlyErrors: [],
    },
  }),
  "/metrics": pathItem({
    get: {
      operationId: "metrics",
      summary: "Prometheus metrics",
      description:
        "`pgrotate_rotations_total{result,trigger}`, `pgrotate_rotation_duration_seconds`, `pgrotate_rotations_overdue`, " +
        "`pgrotate_rotations_failing`, `pgrotate_rotation_intents_pending`, `pgrotate_scheduler_tick_lag_seconds`, " +
        "`pgrotate_scheduler_tick_duration_seconds`, `pgrotate_secret_reads_total{path}`, `pgrotate_sealed_values{key_id,newest}` and process metrics.",
      tag,
      auth: "public",
      ok: { description: "Prometheus text exposition", schema: z.string(), contentType: "text/plain" },
      onlyErrors: [500],
    },
  }),
  "/openapi.json": pathItem({
    get: { operationId: "openApiDocument", summary: "This document (OpenAPI 3.1)", tag: TAGS.reference, auth: "public", ok: { description: "The API reference", schema: z.record(z.string(), z.unknown()) }, onlyErrors: [] },
  }),
  "/docs": pathItem({
    get: { operationId: "docs", summary: "The browsable API reference (Swagger UI, served locally)", tag: TAGS.reference, auth: "public", ok: { description: "An HTML page", schema: z.string(), contentType: "text/html" }, onlyErrors: [] },
  }),
  "/docs/{asset}": pathItem({
    get: {
      operationId: "docsAsset",
      summary: "A file of the browsable reference",
      tag: TAGS.reference,
      auth: "public",
      path: z.object({ asset: z.enum(DOCS_ASSETS) }),
      ok: { description: "The file", schema: z.string(), contentType: ["text/css", "application/javascript"] },
      onlyErrors: [404],
    },
  }),
};
