/**
 * The one HTTP helper of the tests: a call to a runner's API with a bearer token, its status, JSON body and text.
 * Every answer is checked against the API reference (GET /openapi.json): a status or body it does not document
 * fails the test that received it.
 */
import { assertDocumented } from "./openapi";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
  /** How long the call took. */
  ms: number;
  headers: Headers;
}

export interface CallOptions {
  /** Bearer token; null sends none. */
  token: string | null;
  /** A body sent as is instead of JSON.stringify(body). */
  rawBody?: string;
  contentType?: string;
  /** More request headers (e.g. X-Pgrotate-Managed-By). */
  headers?: Record<string, string>;
  /** The fetch to use (a runner serving HTTPS with a private CA: provider/trust.ts fetchTrusting). */
  fetch?: typeof fetch;
}

/** Calls `baseUrl + path`; a body that is not JSON reads as undefined (the text is still there). */
export async function apiCall<T = any>(baseUrl: string, method: string, path: string, body: unknown, o: CallOptions): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== null) headers.authorization = `Bearer ${o.token}`;
  const payload = body !== undefined ? JSON.stringify(body) : o.rawBody;
  if (payload !== undefined) headers["content-type"] = o.contentType ?? "application/json";
  const t0 = Date.now();
  const res = await (o.fetch ?? fetch)(baseUrl + path, { method, headers, body: payload });
  const text = await res.text();
  let parsed: T | undefined;
  try {
    parsed = text ? (JSON.parse(text) as T) : undefined;
  } catch {
    parsed = undefined;
  }
  const ms = Date.now() - t0;
  assertDocumented(method, path, res.status, parsed, res.headers.get("content-type"));
  return { status: res.status, body: parsed as T, text, ms, headers: res.headers };
}

/** A caller bound to one runner and token: `api(method, path, body?)`. */
export const apiOf =
  (baseUrl: () => string, token: () => string) =>
  <T = any>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> =>
    apiCall<T>(baseUrl(), method, path, body, { token: token() });
