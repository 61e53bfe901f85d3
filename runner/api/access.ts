import { Router } from "express";
import type { AccessService } from "../auth/access";
import { audit, type AuditWriter } from "../auth/audit";
import { requireAdmin } from "../auth/principal";
import { accessTokenBodySchema, auditQuerySchema, createIdentitySchema, createTokenSchema, universalAuthLoginSchema } from "../schemas";
import { idParam, parse, principalOf, route } from "./http";
import { presentAudit, presentIdentity, presentToken } from "./present";

/** /api/v1/auth/universal-auth: login (no token needed; failed attempts are rate limited). Mounted before authentication. */
export function loginRoutes(access: AccessService): Router {
  const r = Router();
  r.post("/login", route(async (req, res) => {
    const body = parse(universalAuthLoginSchema, req.body, "login");
    audit(res, { action: "auth.universal-auth.login", resourceType: "machine-identity", details: { clientId: body.clientId.slice(0, 64) } });
    res.json(await access.login(body.clientId, body.clientSecret));
  }));
  return r;
}

/**
 * /api/v1/auth/token: Infisical's renew and revoke of a login's access token, named in the body (no bearer). Mounted
 * before authentication; their 401s do not count toward the failed-login limit (a client renewing an expired
 * token must still be able to log in; a 256-bit token cannot be guessed).
 */
export function tokenRoutes(access: AccessService): Router {
  const r = Router();
  r.post("/renew", route(async (req, res) => {
    const body = parse(accessTokenBodySchema, req.body, "renewal");
    audit(res, { action: "auth.token.renew", resourceType: "machine-identity" });
    res.json(await access.renew(body.accessToken));
  }));
  r.post("/revoke", route(async (req, res) => {
    const body = parse(accessTokenBodySchema, req.body, "revocation");
    audit(res, { action: "auth.token.revoke", resourceType: "machine-identity" });
    await access.revokeAccessToken(body.accessToken);
    res.json({ message: "Successfully revoked access token" });
  }));
  return r;
}

/** /api/v1/auth (tokens, identities) and /api/v1/audit-logs: admin only. Mounted under their prefixes so reads never walk them. */
export function accessRoutes(access: AccessService, writer: AuditWriter): { auth: Router; audit: Router } {
  const r = Router();
  const admin = (fn: Parameters<typeof route>[0]) =>
    route(async (req, res) => {
      requireAdmin(principalOf(res));
      await fn(req, res);
    });
  r.post("/tokens", admin(async (req, res) => {
    const created = await access.createToken(parse(createTokenSchema, req.body, "token"));
    audit(res, { action: "token.create", resourceType: "token", resourceId: created.token.id });
    res.json({ token: presentToken(created.token), secret: created.secret });
  }));
  r.get("/tokens", admin(async (_req, res) => {
    res.json({ tokens: (await access.listTokens()).map(presentToken) });
  }));
  r.delete("/tokens/:id", admin(async (req, res) => {
    audit(res, { action: "token.revoke", resourceType: "token" });
    res.json({ token: presentToken(await access.revokeToken(idParam(req, "id", "Token"))) });
  }));
  r.post("/identities", admin(async (req, res) => {
    const created = await access.createIdentity(parse(createIdentitySchema, req.body, "machine identity"));
    audit(res, { action: "identity.create", resourceType: "machine-identity", resourceId: created.identity.id });
    res.json({ identity: presentIdentity(created.identity), clientId: created.clientId, clientSecret: created.clientSecret });
  }));
  r.get("/identities", admin(async (_req, res) => {
    res.json({ identities: (await access.listIdentities()).map(presentIdentity) });
  }));
  r.delete("/identities/:id", admin(async (req, res) => {
    audit(res, { action: "identity.revoke", resourceType: "machine-identity" });
    res.json({ identity: presentIdentity(await access.revokeIdentity(idParam(req, "id", "Machine identity"))) });
  }));
  const a = Router();
  a.get("/", admin(async (req, res) => {
    const q = parse(auditQuerySchema, req.query, "query");
    res.json({ auditLogs: (await writer.list(q)).map(presentAudit) });
  }));
  return { auth: r, audit: a };
}
