import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { ZodType } from "zod";
import { type AccessService, tokenHashHex } from "../auth/access";
import type { Principal } from "../auth/principal";
import type { ConsoleSessions } from "../auth/sessions";
import { AppError, type ErrorBody, fromZod } from "../errors";
import { isUuid } from "../ids";
import type { ManagedBy } from "../store/rows";
import { CHARACTER_NOT_IN_REPERTOIRE, isConnectionLoss, sqlState, UNTRANSLATABLE_CHARACTER } from "../sqlstate";
import type { Logger } from "../logger";
import { clearSessionCookie, fromOwnOrigin, isStateChanging, type OriginPolicy, readSessionCookie, secureRequest } from "./session-cookie";

/** When each request the Express app handles arrived (performance.now(); set by createApp), for read latency. */
const arrivals = new WeakMap<IncomingMessage, number>();
export const markArrival = (req: IncomingMessage, at: number): void => void arrivals.set(req, at);
/** Milliseconds since the request arrived (since now, for a request createApp did not see). */
export const sinceArrival = (req: IncomingMessage): number => performance.now() - (arrivals.get(req) ?? performance.now());

/** Wraps an async handler so a rejection reaches the error middleware (Express 5 does, this keeps types). */
export const route =
  (fn: (req: Request, res: Response) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

export function parse<T>(schema: ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw fromZod(r.error, what);
  return r.data;
}

/** The header the Pulumi and Terraform providers send on create and update (pgrotate extension). */
export const MANAGED_BY_HEADER = "x-pgrotate-managed-by";
const MANAGED_BY = ["pulumi", "terraform"] as const;

/** The IaC tool named by X-Pgrotate-Managed-By (undefined without the header; 422 on another value). */
export function managedByOf(req: Request): { managedBy?: ManagedBy } {
  const v = req.headers[MANAGED_BY_HEADER];
  if (v === undefined) return {};
  const found = MANAGED_BY.find((m) => m === v);
  if (!found) {
    const message = `must be ${MANAGED_BY.join(" or ")}`;
    throw new AppError("ValidationError", `Invalid header X-Pgrotate-Managed-By: ${message}`, { details: [{ path: "headers.x-pgrotate-managed-by", message }] });
  }
  return { managedBy: found };
}

/** Path ids are UUIDs; anything else cannot exist (404, not a database cast error). */
export function idParam(req: Request, name: string, what: string): string {
  const id = String(req.params[name]);
  if (!isUuid(id)) throw new AppError("NotFound", `${what} ${JSON.stringify(id.slice(0, 80))} was not found`);
  return id.toLowerCase();
}

const hashes = new WeakMap<Request, Buffer | null>();

/** SHA-256 of the request's bearer token (null when there is none), computed once per request. */
export function bearerHash(req: Request): Buffer | null {
  let h = hashes.get(req);
  if (h === undefined) {
    h = authorizationHash(req.headers.authorization);
    hashes.set(req, h);
  }
  return h;
}

/** SHA-256 (hex) of the token in an `Authorization: Bearer <token>` header value; null when it holds none. */
export function authorizationHex(header: string | undefined): string | null {
  const m = typeof header === "string" ? /^Bearer\s+(\S{1,512})\s*$/i.exec(header) : null;
  return m ? tokenHashHex(m[1]) : null;
}

/** SHA-256 of the token in an `Authorization: Bearer <token>` header value; null when it holds none. */
export function authorizationHash(header: string | undefined): Buffer | null {
  const hex = authorizationHex(header);
  return hex === null ? null : Buffer.from(hex, "hex");
}

/**
 * A bearer token this runner knows to be valid (its cached principal): such a call cannot be a guess, so it passes
 * the failed-authentication limiter, and only such a call is answered by the fast read.
 */
export const knownValid = (access: AccessService, h: Buffer | null, hex?: string): boolean => h !== null && access.cached(h, hex) !== undefined;

/** The console's sessions and where the console is served (for the same-origin rule). */
export interface SessionAuth extends OriginPolicy {
  sessions: ConsoleSessions;
}

/** The console's background refreshes send this header: they do not count as use of the session (idle timeout). */
export const BACKGROUND_HEADER = "x-pgrotate-background";

/**
 * Resolves the bearer token (admin, scoped token or identity access token) — or, without one, the console's
 * session cookie — into res.locals.principal. With the cookie, a state-changing request must come from the
 * runner's own origin (403 otherwise): the browser attaches the cookie whichever page sends the request.
 */
export function authenticate(access: AccessService, sessionAuth?: SessionAuth): RequestHandler {
  return function authenticate(req, res, next) {
    const h = bearerHash(req);
    const sid = h ? undefined : sessionAuth && readSessionCookie(req);
    if (sid && sessionAuth) {
      sessionAuth.sessions.resolve(sid, { touch: req.headers[BACKGROUND_HEADER] !== "1" }).then((session) => {
        if (!session) {
          clearSessionCookie(res, secureRequest(req, sessionAuth));
          return next(new AppError("Unauthorized", "Your console session has expired or was signed out; sign in again"));
        }
        res.locals.principal = session.principal;
        res.locals.session = session;
        if (isStateChanging(req.method) && !fromOwnOrigin(req, sessionAuth)) {
          return next(new AppError("Forbidden", "Cross-origin request refused: a request made with the console's session cookie must come from the console's own origin"));
        }
        next();
      }, next);
      return;
    }
    if (!h) return next(new AppError("Unauthorized", "Missing bearer token: send Authorization: Bearer <token>"));
    access.resolve(h).then((principal) => {
      if (!principal) return next(new AppError("Unauthorized", "Invalid, expired or revoked token"));
      res.locals.principal = principal;
      next();
    }, next);
  };
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new AppError("Unauthorized", "Not authenticated");
  return p;
}

/** The one error envelope: { statusCode, error, message, details? }; never a stack, never a secret. */
export function errorHandler(logger: Logger, scrub: (s: string) => string) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = toAppError(err);
    if (e.statusCode >= 500) logger.error({ err, method: req.method, path: req.path }, "request failed");
    else logger.debug({ code: e.code, method: req.method, path: req.path, message: e.message }, "request rejected");
    const body: ErrorBody = { statusCode: e.statusCode, error: e.code, message: scrub(e.message) };
    if (e.details !== undefined) body.details = e.details;
    if (res.headersSent) return;
    if (e.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(Math.max(1, Math.ceil(e.retryAfterSeconds))));
    res.status(e.statusCode).json(body);
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number } | null;
  // body-parser errors
  if (e?.type === "entity.parse.failed") return new AppError("BadRequest", "Malformed JSON body");
  if (e?.type === "entity.too.large") return new AppError("PayloadTooLarge", "Request body is too large (limit 64 kB)");
  if (e?.type === "encoding.unsupported" || e?.type === "charset.unsupported") return new AppError("BadRequest", "Unsupported body encoding");
  if (isStoreOutage(err)) return new AppError("StoreUnavailable", "The pgrotate store is unavailable; retry shortly");
  // Backstop for text PostgreSQL cannot store (NUL, bad encoding): the input was bad, not the server.
  const code = sqlState(err);
  if (code === CHARACTER_NOT_IN_REPERTOIRE || code === UNTRANSLATABLE_CHARACTER) return new AppError("BadRequest", "The request holds characters PostgreSQL text cannot store");
  const status = e?.status ?? e?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return new AppError("BadRequest", "Bad request");
  return new AppError("Internal", "Internal error; see the runner log");
}

/** True when a NUL character is anywhere in the value (strings, arrays, object keys and values). */
export function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === "string") return v.includes("\u0000");
  if (depth > 32 || v === null || typeof v !== "object") return false;
  if (Array.isArray(v)) return v.some((x) => hasNul(x, depth + 1));
  return Object.entries(v).some(([k, x]) => k.includes("\u0000") || hasNul(x, depth + 1));
}

/** PostgreSQL text cannot hold NUL: refuse it in the path, query or body before anything reads them. */
export const rejectNul: RequestHandler = function rejectNul(req, _res, next) {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(new AppError("BadRequest", "The request path is not valid percent-encoding"));
  }
  if (hasNul(path) || hasNul(req.query) || hasNul(req.body)) {
    return next(new AppError("BadRequest", "The request contains a NUL character (\\u0000), which no field accepts"));
  }
  next();
};

export const notFoundHandler: RequestHandler = (req, _res, next) =>
  next(new AppError("NotFound", `No route ${req.method} ${req.path.slice(0, 200)}`));

/**
 * A raw connection failure reaching the error handler comes from the store: target failures are already
 * AppErrors (postgres/target.ts). Network errors, server shutdown (57P01–57P03) and connection exceptions (08xxx).
 */
const NETWORK_ERRORS = ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH"];

export function isStoreOutage(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : "";
  if (isConnectionLoss(sqlState(err)) || (typeof code === "string" && NETWORK_ERRORS.includes(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}
