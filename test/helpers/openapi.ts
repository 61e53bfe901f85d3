/**
 * The API reference (GET /openapi.json) as a test oracle: finds the documented operation of a request and
 * validates an answer against the schema documented for its status. test/helpers/runner.ts runs every answer
 * its `api()` receives through `assertDocumented`, so every API test checks the reference as a side effect.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { openApiDocument } from "../../runner/api/openapi/document";

type Json = Record<string, unknown>;

export interface DocumentedOperation {
  operationId: string;
  method: string;
  /** The template, e.g. /api/v1/auth/tokens/{id}. */
  path: string;
  /** Query parameter names the operation declares. */
  query: string[];
  statuses: string[];
  matches(urlPath: string): boolean;
  /** Literal characters of the template: the more, the more specific (Express tries them in that order here). */
  specificity: number;
}

const METHODS = ["get", "post", "patch", "put", "delete"];
const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");

let cachedOps: DocumentedOperation[] | undefined;

export function documentedOperations(): DocumentedOperation[] {
  if (cachedOps) return cachedOps;
  const doc = openApiDocument() as unknown as { paths: Record<string, Record<string, Json>> };
  const ops: DocumentedOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const re = new RegExp(`^${path.split(/\{[^}]+\}/).map(escape).join("[^/]+")}/?$`, "i");
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const params = (op.parameters ?? []) as Array<{ in: string; name: string }>;
      ops.push({
        operationId: String(op.operationId),
        method: method.toUpperCase(),
        path,
        query: params.filter((p) => p.in === "query").map((p) => p.name),
        statuses: Object.keys(op.responses as Json),
        matches: (urlPath) => re.test(urlPath),
        specificity: path.replace(/\{[^}]+\}/g, "").length,
      });
    }
  }
  return (cachedOps = ops.sort((a, b) => b.specificity - a.specificity));
}

/** The operation a request reaches (method + path, the query ignored), if the reference documents it. */
export function findOperation(method: string, url: string): DocumentedOperation | undefined {
  const path = url.split("?")[0];
  return documentedOperations().find((o) => o.method === method.toUpperCase() && o.matches(path));
}

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");

/** A validator of the schema at a JSON pointer of the document (refs resolve inside the document). */
function validatorAt(ptr: string): ValidateFunction {
  let v = validators.get(ptr);
  if (!v) {
    if (!ajv) {
      ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats(ajv);
      ajv.addSchema(openApiDocument(), "openapi.json");
    }
    v = ajv.compile({ $ref: `openapi.json#/${ptr}` });
    validators.set(ptr, v);
  }
  return v;
}

export interface Recorded {
  method: string;
  url: string;
  status: number;
  operationId?: string;
}

/** Every answer checked in this test file (tests of the reference assert which operations were exercised). */
export const recorded: Recorded[] = [];

/** The problems of an answer against the reference (empty when it matches). */
export function checkAgainstReference(method: string, url: string, status: number, body: unknown, contentType: string | null): string[] {
  if (method.toUpperCase() === "HEAD") return [];
  const op = findOperation(method, url);
  recorded.push({ method: method.toUpperCase(), url, status, operationId: op?.operationId });
  const isJson = !!contentType && contentType.startsWith("application/json");
  const what = `${method.toUpperCase()} ${url.slice(0, 200)} answered ${status}`;
  if (!op) {
    // Not a documented route: only an error can come back, and it must be the error envelope.
    if (status < 400) return [`${what}, but the API reference documents no such operation`];
    if (!isJson) return [`${what} without the JSON error envelope`];
    const components = (openApiDocument() as unknown as { components: { responses: Json } }).components.responses;
    if (!components[`Error${status}`]) return [`${what}, a status no operation of the API reference answers`];
    const v = validatorAt(pointer("components", "responses", `Error${status}`, "content", "application/json", "schema"));
    return v(body) ? [] : [`${what}: the error body does not match the API reference: ${ajv!.errorsText(v.errors)}`];
  }
  if (!op.statuses.includes(String(status))) return [`${what}, a status the API reference does not document for ${op.operationId} (documents ${op.statuses.join(", ")})`];
  if (!isJson) return [];
  const schemaPtr = responseSchemaPointer(op, status);
  if (!schemaPtr) return [`${what}: the reference documents no JSON body for it`];
  const vs = validatorAt(schemaPtr);
  return vs(body) ? [] : [`${what}: the body does not match the API reference (${op.operationId}): ${ajv!.errorsText(vs.errors)}`];
}

/** The pointer to the JSON schema of an operation's answer (following a $ref'd response component). */
function responseSchemaPointer(op: DocumentedOperation, status: number): string | undefined {
  const doc = openApiDocument() as unknown as Json;
  const paths = doc.paths as Record<string, Record<string, { responses: Record<string, Json> }>>;
  const response = paths[op.path][op.method.toLowerCase()].responses[String(status)];
  const ref = typeof response.$ref === "string" ? response.$ref : undefined;
  const base = ref ? ref.replace(/^#\//, "") : pointer("paths", op.path, op.method.toLowerCase(), "responses", String(status));
  const resolved = ref ? ((doc.components as Json).responses as Record<string, Json>)[ref.split("/").pop()!] : response;
  const content = resolved.content as Record<string, Json> | undefined;
  if (!content?.["application/json"]) return undefined;
  return `${base}/content/${pointer("application/json")}/schema`;
}

/** Throws when an answer does not match the reference. */
export function assertDocumented(method: string, url: string, status: number, body: unknown, contentType: string | null): void {
  const problems = checkAgainstReference(method, url, status, body, contentType);
  if (problems.length) throw new Error(`API reference mismatch: ${problems.join("; ")}`);
}
