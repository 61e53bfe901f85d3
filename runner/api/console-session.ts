import { type RequestHandler, Router } from "express";
import { type AccessService, tokenHash } from "../auth/access";
import { audit } from "../auth/audit";
import type { ConsoleSession, ConsoleSessions } from "../auth/sessions";
import { AppError } from "../errors";
import { consoleSignInSchema } from "../schemas";
import { parse, principalOf, route } from "./http";
import { presentConsoleSession } from "./present";
import { clearSessionCookie, fromForeignOrigin, type OriginPolicy, readSessionCookie, secureRequest, setSessionCookie } from "./session-cookie";

/**
 * /api/v1/console/session — the web console's sign-in (POST, no token needed; failures count toward the
 * failed-authentication limit), who is signed in (GET) and sign-out (DELETE). Mounted before authentication;
 * GET and DELETE authenticate themselves.
 */
export function consoleSessionRoutes(d: { access: AccessService; sessions: ConsoleSessions; authenticate: RequestHandler } & OriginPolicy): Router {
  const r = Router();
  r.post("/", route(async (req, res) => {
    const body = parse(consoleSignInSchema, req.body, "sign-in");
    const method = body.token !== undefined ? "token" : "identity";
    audit(res, { action: "console.sign-in", resourceType: "console-session", details: method === "token" ? { method } : { method, clientId: body.clientId!.slice(0, 64) } });
    if (fromForeignOrigin(req, d)) throw new AppError("Forbidden", "Cross-origin sign-in refused: sign in from the console's own page");
    // An identity signs in like an app does (universal auth: 401 on a bad id or secret); the session then
    // stands for the access token that login issued, which the browser never sees.
    const token = body.token ?? (await d.access.login(body.clientId!, body.clientSecret!)).accessToken;
    const who = await d.access.identify(tokenHash(token));
    if (!who) throw new AppError("Unauthorized", "Invalid, expired or revoked token");
    res.locals.principal = who.principal;
    const { id, session } = await d.sessions.create(who);
    setSessionCookie(res, id, { secure: secureRequest(req, d), expiresAt: session.expiresAt, now: session.createdAt });
    res.json({ session: presentConsoleSession(who.principal, session) });
  }));
  r.get("/", d.authenticate, (_req, res) => {
    res.json({ session: presentConsoleSession(principalOf(res), res.locals.session as ConsoleSession | undefined) });
  });
  r.delete("/", d.authenticate, route(async (req, res) => {
    audit(res, { action: "console.sign-out", resourceType: "console-session" });
    const sid = res.locals.session ? readSessionCookie(req) : undefined;
    if (sid) await d.sessions.revoke(sid);
    clearSessionCookie(res, secureRequest(req, d));
    res.json({ signedOut: sid !== undefined });
  }));
  return r;
}
