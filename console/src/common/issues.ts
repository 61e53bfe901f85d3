/** Field errors keyed by path ("parameters.username1"), from the runner's zod schemas or its 422 details. */
import { RunnerApiError } from "../../../provider/client";

export interface Issue {
  path: ReadonlyArray<PropertyKey> | string;
  message: string;
}

const key = (path: Issue["path"]): string => (typeof path === "string" ? path : path.map(String).join("."));

/** The first message per path. */
export function fieldErrors(issues: readonly Issue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) {
    const k = key(i.path) || "(body)";
    out[k] ??= i.message;
  }
  return out;
}

/** The per-field issues of a runner ValidationError (422), or undefined for any other error. */
export function validationIssues(err: unknown): Issue[] | undefined {
  if (!(err instanceof RunnerApiError) || err.code !== "ValidationError" || !Array.isArray(err.details)) return undefined;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return (err.details as Array<{ path?: unknown; message?: unknown }>).map((d) => ({ path: text(d.path), message: text(d.message) }));
}
