/**
 * One operation of the API reference from a short spec: its parameters, body, success answer and every error
 * status it may answer (the error envelope of each, from runner/responses.ts).
 */
import type { ZodType } from "zod";
import type { ZodObjectInput, ZodOpenApiExamplesObject, ZodOpenApiOperationObject, ZodOpenApiPathItemObject, ZodOpenApiResponseObject } from "zod-openapi";
import { ERROR_STATUS } from "../../errors";
import { ERROR_CODES, errorCodeDescription, errorSchemaFor } from "../../responses";

export const TAGS = {
  connections: "App Connections",
  rotations: "Secret Rotations",
  secrets: "Secrets",
  access: "Access",
  audit: "Audit Logs",
  keys: "Encryption Keys",
  operations: "Operations",
  reference: "Reference",
  console: "Web Console",
  consumers: "Consumers",
} as const;
type Tag = (typeof TAGS)[keyof typeof TAGS];

export interface OperationSpec {
  operationId: string;
  summary: string;
  description?: string;
  tag: Tag;
  /** public: no token; token: any valid token (its scope applies); admin: the admin token only. */
  auth: "public" | "token" | "admin";
  path?: ZodObjectInput;
  query?: ZodObjectInput;
  body?: { schema: ZodType; description?: string; examples?: ZodOpenApiExamplesObject };
  ok: { description: string; schema?: ZodType; contentType?: string | string[]; examples?: ZodOpenApiExamplesObject; status?: 200 | 204 };
  /** Other answers that are not errors (e.g. /readyz's 503). */
  responses?: Record<string, ZodOpenApiResponseObject>;
  /** Error statuses besides the ones every operation of its kind may answer (see `commonErrors`). */
  errors?: number[];
  /** Replaces the common error statuses (operations outside /api). */
  onlyErrors?: number[];
}

/**
 * What every operation under /api may answer: a bad request (NUL, bad encoding, malformed JSON), no valid
 * token, the rate limit on failed authentications, the store down, the unexpected; 413 where a body is read
 * (every method but GET, whether the operation uses a body or not).
 */
function commonErrors(spec: OperationSpec, readsBody: boolean): number[] {
  const statuses = [400, 429, 500, 503];
  if (spec.auth !== "public") statuses.push(401, 403);
  if (readsBody) statuses.push(413);
  return statuses;
}

const errorResponses = new Map<number, ZodOpenApiResponseObject>();

/** The response of an error status, registered once as a component (Error404, …). */
function errorResponse(status: number): ZodOpenApiResponseObject {
  let response = errorResponses.get(status);
  if (!response) {
    const codes = ERROR_CODES.filter((c) => ERROR_STATUS[c] === status);
    response = {
      id: `Error${status}`,
      description: codes.map((c) => `\`${c}\`: ${errorCodeDescription(c)}`).join("; "),
      content: { "application/json": { schema: errorSchemaFor(status) } },
    };
    errorResponses.set(status, response);
  }
  return response;
}

const AUTH_NOTE: Record<OperationSpec["auth"], string> = {
  public: "No token needed.",
  token: "",
  admin: "The admin token only.",
};

type Method = "get" | "post" | "put" | "patch" | "delete";

/** A path's operations, by method. */
export function pathItem(specs: Partial<Record<Method, OperationSpec>>): ZodOpenApiPathItemObject {
  return Object.fromEntries(Object.entries(specs).map(([method, spec]) => [method, operation(spec, method !== "get")]));
}

function operation(spec: OperationSpec, readsBody: boolean): ZodOpenApiOperationObject {
  const statuses = [...new Set([...(spec.onlyErrors ?? commonErrors(spec, readsBody)), ...(spec.errors ?? [])])].sort((a, b) => a - b);
  const contentTypes = [spec.ok.contentType ?? "application/json"].flat();
  const { schema, examples } = spec.ok;
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    description: [spec.description, AUTH_NOTE[spec.auth]].filter(Boolean).join("\n\n"),
    tags: [spec.tag],
    ...(spec.auth === "public" ? { security: [] } : {}),
    ...(spec.path || spec.query ? { requestParams: { ...(spec.path ? { path: spec.path } : {}), ...(spec.query ? { query: spec.query } : {}) } } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            description: spec.body.description,
            content: { "application/json": { schema: spec.body.schema, ...(spec.body.examples ? { examples: spec.body.examples } : {}) } },
          },
        }
      : {}),
    responses: {
      [String(spec.ok.status ?? 200)]: {
        description: spec.ok.description,
        ...(schema ? { content: Object.fromEntries(contentTypes.map((t) => [t, { schema, ...(examples ? { examples } : {}) }])) } : {}),
      },
      ...spec.responses,
      ...Object.fromEntries(statuses.map((s) => [String(s), errorResponse(s)])),
    },
  };
}
