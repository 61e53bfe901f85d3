/**
 * Diagnostics: validation with the runner's own zod schemas, and runner errors, both pointed at the
 * Terraform attribute they concern. Nothing here ever carries a secret value: messages come from zod
 * (which names the rule, not the value) or from the runner (whose errors are scrubbed).
 */
import type { z } from "zod";
import { RunnerApiError } from "../client";
import { type ObjectValue, type Value, isList, isObject, isUnknown } from "./values";

export interface Diagnostic {
  severity: "ERROR" | "WARNING";
  summary: string;
  detail: string;
  /** Terraform attribute path, e.g. ["parameters", "username1"]; a list element by its index, e.g. ["allowed_scopes", "0", "project_id"]. */
  attribute?: string[];
}

export const error = (summary: string, detail = "", attribute?: string[]): Diagnostic => ({ severity: "ERROR", summary, detail, attribute });
export const warning = (summary: string, detail = "", attribute?: string[]): Diagnostic => ({ severity: "WARNING", summary, detail, attribute });

export const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * An API body from a Terraform object: keys in camelCase, nulls left out. Unknown values are left out too,
 * and their API paths are collected so that validation can ignore what is not known yet.
 */
export function toApiBody(v: ObjectValue, skip: string[] = [], unknownPaths: string[][] = [], prefix: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (skip.includes(k) || x === null) continue;
    const key = camel(k);
    if (isUnknown(x)) unknownPaths.push([...prefix, key]);
    else if (isObject(x)) out[key] = toApiBody(x, [], unknownPaths, [...prefix, key]);
    else if (isList(x)) out[key] = x.map((el, i) => listElement(el, unknownPaths, [...prefix, key, String(i)]));
    else out[key] = x;
  }
  return out;
}

/** An element of a list attribute in the API body (an unknown element is left as null and its path collected). */
function listElement(el: Value, unknownPaths: string[][], path: string[]): unknown {
  if (isUnknown(el)) {
    unknownPaths.push(path);
    return null;
  }
  return isObject(el) ? toApiBody(el, [], unknownPaths, path) : el;
}

const startsWith = (path: readonly PropertyKey[], prefix: string[]) => prefix.every((p, i) => String(path[i]) === p);

/**
 * Diagnostics for a zod parse of an API body, with the API path mapped to the Terraform attribute by
 * `toAttribute` (default: each segment in snake_case). Issues under an unknown value are dropped.
 */
export function zodDiagnostics(
  schema: z.ZodType,
  body: unknown,
  unknownPaths: string[][],
  toAttribute: (apiPath: string[]) => string[] = (p) => p.map(snake),
): Diagnostic[] {
  const res = schema.safeParse(body);
  if (res.success) return [];
  const out: Diagnostic[] = [];
  for (const issue of res.error.issues) {
    if (unknownPaths.some((u) => startsWith(issue.path, u) || startsWith(u, issue.path.map(String)))) continue;
    const apiPath = issue.path.map(String);
    const attribute = toAttribute(apiPath);
    const where = attribute.length ? attribute.join(".") : "configuration";
    const missing = issue.code === "invalid_type" && (issue as { input?: unknown }).input === undefined;
    // The runner's messages name API fields (rotationInterval); say them as Terraform does (rotation_interval).
    const message = issue.message.replace(/\b[a-z]+[A-Z][A-Za-z0-9]*\b/g, snake);
    out.push(error(missing ? `Missing ${where}` : `Invalid ${where}`, missing ? `${where} is required.` : message, attribute.length ? attribute : undefined));
  }
  return out;
}

/** A runner error as diagnostics; 422 details with a path point at the attribute. */
export function runnerDiagnostics(err: unknown, what: string, toAttribute: (apiPath: string[]) => string[] = (p) => p.map(snake)): Diagnostic[] {
  if (!(err instanceof RunnerApiError)) {
    const message = err instanceof Error ? err.message : String(err);
    return [error(`${what} failed`, message)];
  }
  const details = err.details;
  if (Array.isArray(details) && details.length && details.every((d) => d && typeof d === "object" && typeof (d as { path?: unknown }).path === "string")) {
    return (details as Array<{ path: string; message: string }>).map((d) => {
      const apiPath = d.path === "(body)" ? [] : d.path.split(".");
      const attribute = toAttribute(apiPath);
      return error(`${what}: invalid ${attribute.join(".") || "configuration"}`, `${d.message}\n(${err.message})`, attribute.length ? attribute : undefined);
    });
  }
  if (details && typeof details === "object" && "sql" in details) {
    const d = details as { missing?: unknown; sql?: unknown };
    const sql = Array.isArray(d.sql) ? d.sql.join("\n") : typeof d.sql === "string" ? d.sql : "";
    return [error(`${what} failed`, `${err.message}\nRun on the target database:\n${sql}`)];
  }
  return [error(`${what} failed`, err.message)];
}

export const hasErrors = (d: Diagnostic[]) => d.some((x) => x.severity === "ERROR");
