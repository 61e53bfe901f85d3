/**
 * The console's session cookie and the same-origin rule for requests that carry it (CSRF): a cookie is sent by
 * the browser whatever page made the request, so a state-changing request authenticated by it must come from
 * the runner's own origin.
 */
import type { Request, Response } from "express";

/** Over plain HTTP (e.g. http://127.0.0.1:8080). */
export const SESSION_COOKIE = "pgrotate_session";
/** Over HTTPS: the __Host- prefix makes the browser refuse it unless Secure, Path=/ and without Domain. */
export const SECURE_SESSION_COOKIE = "__Host-pgrotate_session";

/** Methods that change state; GET and HEAD never do in this API. */
export const isStateChanging = (method: string): boolean => method !== "GET" && method !== "HEAD" && method !== "OPTIONS";

/** The session id from the request's Cookie header (either name), or undefined. */
export function readSessionCookie(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === SESSION_COOKIE || name === SECURE_SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface OriginPolicy {
  /** The origin users open the console at behind a TLS-terminating proxy (PGROTATE_PUBLIC_URL), if set. */
  publicOrigin?: string;
}

/** The origin this request was addressed to (scheme from the socket: the runner trusts no proxy header). */
function ownOrigin(req: Request): string | undefined {
  const host = req.headers.host;
  return host ? `${req.protocol}://${host}`.toLowerCase() : undefined;
}

/** Whether the session cookie must be Secure: the request came over HTTPS, or the public URL is https. */
export const secureRequest = (req: Request, p: OriginPolicy): boolean => req.secure || (p.publicOrigin?.startsWith("https:") ?? false);

/** The origin the browser says the request comes from: Origin, or absent that, the Referer's origin. */
function claimedOrigin(req: Request): string | undefined {
  const origin = req.headers.origin;
  if (typeof origin === "string") return origin.toLowerCase();
  const referer = req.headers.referer;
  if (typeof referer !== "string") return undefined;
  try {
    return new URL(referer).origin.toLowerCase();
  } catch {
    return undefined;
  }
}

/** True when the request says it comes from the runner's own origin (or the configured public one). */
export function fromOwnOrigin(req: Request, p: OriginPolicy): boolean {
  const claimed = claimedOrigin(req);
  if (!claimed || claimed === "null") return false;
  return claimed === ownOrigin(req) || claimed === p.publicOrigin;
}

/** Sign-in is refused only when a browser says it comes from another origin (curl sends no Origin). */
export function fromForeignOrigin(req: Request, p: OriginPolicy): boolean {
  return claimedOrigin(req) !== undefined && !fromOwnOrigin(req, p);
}

export function setSessionCookie(res: Response, id: string, opts: { secure: boolean; expiresAt: Date; now: Date }): void {
  const maxAge = Math.max(0, Math.floor((opts.expiresAt.getTime() - opts.now.getTime()) / 1000));
  const name = opts.secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
  res.append("Set-Cookie", `${name}=${id}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${opts.secure ? "; Secure" : ""}`);
}

/** Tells the browser to forget the cookie. */
export function clearSessionCookie(res: Response, secure: boolean): void {
  res.append("Set-Cookie", `${secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`);
}
