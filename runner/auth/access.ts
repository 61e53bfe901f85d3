/**
 * Scoped tokens and machine identities (Infisical's universal auth). Secrets are shown once and stored as
 * SHA-256 hashes (they are 256-bit random values, so a fast hash is enough); lookups are constant-time by hash.
 */
import crypto from "node:crypto";
import type { Pool } from "pg";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import { sqlState, UNIQUE_VIOLATION } from "../sqlstate";
import type { CreateIdentityInput, CreateTokenInput } from "../schemas";
import * as store from "../store/access";
import type { IdentityRecord, TokenRecord } from "../store/access";
import type { StoreEvents } from "../store/events";
import { ADMIN, type Principal, type Scope } from "./principal";
import { nowMs } from "../clock";

/**
 * One-shot SHA-256 in hex (crypto.hash: no Hash object per call). Hex is its cheap output: measured on Node 20,
 * 0.27 µs per token in hex against 1.1 µs for its "buffer" output and 1.5 µs for createHash().digest().
 */
export const tokenHashHex = (s: string): string => crypto.hash("sha256", s);
const sha256 = (s: string): Buffer => Buffer.from(tokenHashHex(s), "hex");
/** How a bearer token is looked up (and stored): its SHA-256. */
export const tokenHash = sha256;
const secret = (prefix: string): string => prefix + crypto.randomBytes(32).toString("base64url");

export class AccessService {
  private readonly adminHash: Buffer;
  /**
   * Resolved tokens by hash; flushed by every revocation (any runner, via NOTIFY), bypassed while not live, and
   * each entry served for at most `maxAgeMs` (then looked up again), even when no notification arrives.
   */
  private readonly cache = new Map<string, { principal: Principal; /** When the entry stops serving: the token's expiry or its age bound. */ expiresMs: number }>();
  /** Bumped by every flush: a lookup that raced a revocation does not store its result. */
  private epoch = 0;

  constructor(private readonly d: { pool: Pool; clock: () => Date; adminToken: string; events?: StoreEvents; maxAgeMs: number }) {
    this.adminHash = sha256(d.adminToken);
    d.events?.on("pgrotate_access", () => this.flush());
    d.events?.onReset(() => this.flush());
  }

  /**
   * Synchronous: the principal of the admin token or of a live cached token that has not expired, else
   * undefined (unknown here: resolve() asks the store). The hot read path and the failed-auth limiter use it.
   */
  cached(h: Buffer, hex?: string): Principal | undefined {
    if (crypto.timingSafeEqual(h, this.adminHash)) return ADMIN;
    return this.liveHit(hex ?? h.toString("hex"))?.principal;
  }

  /**
   * True while `principal`, which cached() returned for the token hashed `hex`, still stands for it: the admin,
   * or the same live cache entry, not expired. The hot read path's memo asks it on every hit (no Buffer, no
   * comparison with the admin's hash: the memo's own key is the hash cached() checked).
   */
  stillCached(hex: string, principal: Principal): boolean {
    return principal === ADMIN || this.liveHit(hex)?.principal === principal;
  }

  /** The cache entry of a token hash while the cache is live and the token has not expired. */
  private liveHit(hex: string): { principal: Principal; expiresMs: number } | undefined {
    const hit = this.d.events?.live ? this.cache.get(hex) : undefined;
    return hit && hit.expiresMs > nowMs(this.d.clock) ? hit : undefined;
  }

  /** The principal behind a bearer token, or undefined when it is unknown, revoked or expired. */
  async resolve(h: Buffer): Promise<Principal | undefined> {
    const known = this.cached(h);
    if (known) return known;
    const key = h.toString("hex");
    const epoch = this.epoch;
    const principal = await this.lookup(h);
    if (principal && this.d.events?.live && epoch === this.epoch) {
      if (this.cache.size > 10_000) this.cache.clear();
      const aged = nowMs(this.d.clock) + this.d.maxAgeMs;
      this.cache.set(key, { principal: principal.principal, expiresMs: Math.min(aged, principal.expiresAt ? principal.expiresAt.getTime() : Infinity) });
      return principal.principal;
    }
    return principal?.principal;
  }

  private flush(): void {
    this.epoch++;
    this.cache.clear();
  }

  private async lookup(h: Buffer): Promise<{ principal: Principal; expiresAt: Date | null } | undefined> {
    const t = await store.findTokenByHash(this.d.pool, h);
    const principal = t && this.principalOfToken(t);
    return principal && { principal, expiresAt: t.expiresAt };
  }

  /** The principal a looked-up token stands for, or undefined when it (or its identity) is revoked or expired. */
  principalOfToken(t: store.TokenLookup): Principal | undefined {
    if (t.revokedAt || t.identityRevokedAt || (t.expiresAt && t.expiresAt <= this.d.clock())) return undefined;
    const kind = t.identityId ? "identity" : "token";
    const id = t.identityId ?? t.id;
    return { kind, id, actor: `${kind}:${id}`, permission: t.permission, scope: t.scope };
  }

  /**
   * Like resolve, but straight from the store and with the id of the token row behind the principal (null for
   * the admin): a console session refers to that row, so revoking the token ends the session.
   */
  async identify(h: Buffer): Promise<{ principal: Principal; tokenId: string | null; tokenExpiresAt: Date | null } | undefined> {
    if (crypto.timingSafeEqual(h, this.adminHash)) return { principal: ADMIN, tokenId: null, tokenExpiresAt: null };
    const t = await store.findTokenByHash(this.d.pool, h);
    const principal = t && this.principalOfToken(t);
    return principal && { principal, tokenId: t.id, tokenExpiresAt: t.expiresAt };
  }

  /** A fingerprint of the admin token (never the token, nor its lookup hash): admin sessions end when it changes. */
  get adminFingerprint(): Buffer {
    return sha256(this.adminHash.toString("hex"));
  }

  /** True when `fingerprint` is the current admin token's (constant time). */
  isAdminFingerprint(fingerprint: Buffer | null): boolean {
    const mine = this.adminFingerprint;
    return !!fingerprint && fingerprint.length === mine.length && crypto.timingSafeEqual(fingerprint, mine);
  }

  /** A new scoped token; its secret is returned once and stored only as a hash. */
  async createToken(input: CreateTokenInput): Promise<{ token: TokenRecord; secret: string }> {
    const value = secret("pgr_tok_");
    const now = this.d.clock();
    const token = await store.insertToken(this.d.pool, {
      id: newId(),
      createdAt: now,
      name: input.name,
      hash: sha256(value),
      identityId: null,
      scope: scopeOf(input),
      permission: input.permission,
      expiresAt: input.expiresIn ? new Date(now.getTime() + input.expiresIn * 1000) : null,
    });
    return { token, secret: value };
  }

  listTokens(): Promise<TokenRecord[]> {
    return store.listTokens(this.d.pool);
  }

  async revokeToken(id: string): Promise<TokenRecord> {
    const revoked = await store.revokeToken(this.d.pool, id, this.d.clock());
    this.flush();
    if (!revoked) throw notFound("Token", id);
    return revoked;
  }

  /** A new machine identity; its client secret is returned once and stored only as a hash. */
  async createIdentity(input: CreateIdentityInput): Promise<{ identity: IdentityRecord; clientId: string; clientSecret: string }> {
    const clientSecret = secret("pgr_cs_");
    try {
      const identity = await store.insertIdentity(this.d.pool, {
        id: newId(),
        name: input.name,
        clientId: newId(),
        clientSecretHash: sha256(clientSecret),
        scope: scopeOf(input),
        permission: input.permission,
        accessTokenTTL: input.accessTokenTTL,
        accessTokenMaxTTL: input.accessTokenMaxTTL,
      });
      return { identity, clientId: identity.clientId, clientSecret };
    } catch (err) {
      if (sqlState(err) === UNIQUE_VIOLATION) throw new AppError("Conflict", `A machine identity named ${JSON.stringify(input.name)} already exists`);
      throw err;
    }
  }

  listIdentities(): Promise<IdentityRecord[]> {
    return store.listIdentities(this.d.pool);
  }

  /** Revokes the identity and, with it, every access token it was issued. */
  async revokeIdentity(id: string): Promise<IdentityRecord> {
    const revoked = await store.revokeIdentity(this.d.pool, id, this.d.clock());
    this.flush();
    if (!revoked) throw notFound("Machine identity", id);
    return revoked;
  }

  /**
   * Infisical's token renewal (`POST /api/v1/auth/token/renew {accessToken}`, no bearer: go-sdk, the operator and
   * the agent renew before expiry): a live login token gets `accessTokenTTL` more, never beyond `accessTokenMaxTTL`
   * after its login. A token that is unknown, revoked, expired or at its max TTL is 401, so the client logs in again.
   */
  async renew(accessToken: string) {
    const t = await store.findLoginToken(this.d.pool, sha256(accessToken));
    const now = this.d.clock();
    if (!t || !this.principalOfToken(t)) throw new AppError("Unauthorized", "Invalid, revoked or expired access token: log in again");
    const maxUntil = t.createdAt.getTime() + t.accessTokenMaxTTL * 1000;
    if (now.getTime() >= maxUntil) {
      throw new AppError("Unauthorized", `The access token reached its max TTL (${t.accessTokenMaxTTL} s after login): log in again`);
    }
    // Never shortened by a renewal; never beyond the max TTL.
    const expiresAt = new Date(Math.max(Math.min(now.getTime() + t.accessTokenTTL * 1000, maxUntil), t.expiresAt?.getTime() ?? 0));
    if (!(await store.extendToken(this.d.pool, t.id, expiresAt, now))) throw new AppError("Unauthorized", "Invalid, revoked or expired access token: log in again");
    this.flush();
    return { accessToken, expiresIn: Math.floor((expiresAt.getTime() - now.getTime()) / 1000), accessTokenMaxTTL: t.accessTokenMaxTTL, tokenType: "Bearer" as const };
  }

  /**
   * Infisical's `POST /api/v1/auth/token/revoke {accessToken}` (ESO after each reconcile, the agent at shutdown):
   * the login token ends at once, on every runner. Revoking one already revoked or expired is a success; a value
   * that is no login token of this store is 401.
   */
  async revokeAccessToken(accessToken: string): Promise<void> {
    const t = await store.findLoginToken(this.d.pool, sha256(accessToken));
    if (!t) throw new AppError("Unauthorized", "Invalid access token");
    await store.revokeLoginToken(this.d.pool, t.id, this.d.clock());
    this.flush();
  }

  /** Infisical's universal-auth login: client id + secret -> a short-lived access token with the identity's scope. */
  async login(clientId: string, clientSecret: string) {
    const invalid = new AppError("Unauthorized", "Invalid client id or client secret");
    if (!/^[0-9a-f-]{36}$/i.test(clientId)) throw invalid;
    const identity = await store.findIdentityByClientId(this.d.pool, clientId);
    if (!identity || identity.revokedAt || !crypto.timingSafeEqual(sha256(clientSecret), identity.clientSecretHash)) throw invalid;
    const accessToken = secret("pgr_at_");
    const now = this.d.clock();
    await store.insertToken(this.d.pool, {
      id: newId(),
      createdAt: now,
      name: `login:${identity.name}`,
      hash: sha256(accessToken),
      identityId: identity.id,
      scope: identity.scope,
      permission: identity.permission,
      expiresAt: new Date(now.getTime() + identity.accessTokenTTL * 1000),
    });
    await store.pruneExpiredTokens(this.d.pool, identity.id, now);
    return { accessToken, expiresIn: identity.accessTokenTTL, accessTokenMaxTTL: identity.accessTokenMaxTTL, tokenType: "Bearer" as const };
  }
}

/** Omitted scope fields mean "any". */
const scopeOf = (i: { projectId?: string; environment?: string; secretPath?: string }): Scope => ({
  projectId: i.projectId ?? null,
  environment: i.environment ?? null,
  secretPath: i.secretPath ?? null,
});
