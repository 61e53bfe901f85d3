import helmet from "helmet";

/** The headers helmet() sets with its defaults, captured once (they do not vary per request here). */
function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: unknown) => void (headers[k] = String(v)),
    removeHeader: (k: string) => void delete headers[k],
    getHeader: (k: string) => headers[k],
  };
  helmet()({} as never, res as never, () => undefined);
  return headers;
}

/** Security headers of every API response (helmet's defaults + no-store), set in one call. Never mutated. */
export const API_HEADERS: Map<string, string> = new Map(Object.entries({ ...helmetHeaders(), "Cache-Control": "no-store" }));

/** The Content-Type Express's res.json() sets. */
export const JSON_TYPE = "application/json; charset=utf-8";
