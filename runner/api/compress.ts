/**
 * Compression of the Express app's answers: brotli or gzip, as the client's Accept-Encoding prefers, for answers of
 * 1 KB or more (a long rotation list shrinks ~10×). Never for:
 * - `text/event-stream`: the change feeds must reach the client event by event, never held in a compressor;
 * - answers that carry secret values (secret reads, generated credentials): compressing a secret next to text a
 *   caller chooses lets an observer of sizes guess it (BREACH). The hot secret read (api/fast-read.ts) answers
 *   before Express and is never compressed either.
 * A compressed answer's ETag becomes weak (`W/"…"`): its bytes differ from the uncompressed answer's, which the
 * strong tag names. If-None-Match compares weakly (api/etag.ts), so either form gets its 304.
 */
import compression from "compression";
import type { Request, RequestHandler, Response } from "express";
import onHeaders from "on-headers";

/** Paths whose answers hold secret values. */
const SECRET_VALUES = /^\/api\/v[34]\/secrets(?:\/|$)|\/generated-credentials$/;

export function shouldCompress(req: Request, res: Response): boolean {
  if (String(res.getHeader("Content-Type") ?? "").startsWith("text/event-stream")) return false;
  if (SECRET_VALUES.test(req.originalUrl.split("?")[0])) return false;
  return compression.filter(req, res);
}

/** Registered before compression, so its hook runs after compression's has set Content-Encoding. */
const weakEtagWhenEncoded: RequestHandler = (_req, res, next) => {
  onHeaders(res, function weakenEtag() {
    const tag = this.getHeader("ETag");
    if (this.getHeader("Content-Encoding") && typeof tag === "string" && !tag.startsWith("W/")) this.setHeader("ETag", `W/${tag}`);
  });
  next();
};

export const compress = (): RequestHandler[] => [weakEtagWhenEncoded, compression({ threshold: 1024, filter: shouldCompress })];
