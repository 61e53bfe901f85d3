/** The runner's refusal of fields (a 422's details), each an issue with the path of the field it names. */
import { RunnerApiError } from "../../../provider/client";

export interface Issue {
  path: ReadonlyArray<PropertyKey> | string;
  message: string;
}

/** "parameters.username1" from ["parameters", "username1"] (a path as a field's name). */
export const pathOf = (path: Issue["path"]): string => (typeof path === "string" ? path : path.map(String).join("."));

/** The per-field issues of a runner ValidationError (422), or undefined for any other error. */
export function validationIssues(err: unknown): Issue[] | undefined {
  if (!(err instanceof RunnerApiError) || err.code !== "ValidationError" || !Array.isArray(err.details)) return undefined;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return (err.details as Array<{ path?: unknown; message?: unknown }>).map((d) => ({ path: text(d.path), message: text(d.message) }));
}
