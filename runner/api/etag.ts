/**
 * Validators for secret reads: every answer carries a strong `ETag` made from its bytes — so it changes exactly
 * when a value, a key or the set of keys changes — and a request whose `If-None-Match` holds it is answered 304
 * with no body. Infisical's agent rewrites its file only when the tag changes; operators skip unchanged folders.
 */
import crypto from "node:crypto";
import type { Request, Response } from "express";
import { JSON_TYPE } from "./headers";

/** The answer's tag: a quoted digest of its exact bytes (never of a secret alone: the key set counts too). */
export const etagOf = (body: Buffer): string => `"${crypto.hash("sha256", body, "base64url").slice(0, 32)}"`;

/** RFC 9110 §13.1.2: `If-None-Match` matches when it is `*` or lists the tag (weak comparison). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/** Sends `payload` as JSON with its ETag, or 304 (the same headers, no body) when the client already has it. */
export function sendWithEtag(req: Request, res: Response, payload: unknown): void {
  const body = Buffer.from(JSON.stringify(payload));
  const etag = etagOf(body);
  res.setHeader("ETag", etag);
  if (noneMatch(req.headers["if-none-match"], etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader("Content-Type", JSON_TYPE);
  res.send(body);
}
