/**
 * Scoped tokens and machine identities (Infisical's universal auth). Secrets are shown once and stored as
 * SHA-256 hashes (they are 256-bit random values, so a fast hash is enough); lookups are constant-time by hash.
 */
import crypto from "node:crypto";
import type { Pool } from "pg";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import type { CreateIdentityInput, CreateTokenInput } from "../schemas";
import type { StoreEvents } from "../store/events";
import { ADMIN, type Permission, type Principal } from "./principal";

const sha256 = (s: string): Buffer => crypto.createHash("sha256").update(s, "utf8").digest();
/** How a bearer token is looked up (and stored): its SHA-256. */
export const tokenHash = sha256;
const secret = (prefix: string): string => prefix + crypto.randomBytes(32).toString("base64url");

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const scopeOf = (r: Row) => ({ projectId: r.project_id ?? null, environment: r.environment ?? null, secretPath: r.secret_path ?? null });

function presentToken(r: Row) {
  return {
    id: r.id,
    name: r.name,
    identityId: r.identity_id ?? null,
    permission: r.permission as Permission,
    scope: scopeOf(r),
    expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
    revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
  };
}

function presentIdentity(r: Row) {
  return {
    id: r.id,
    name: r.name,
    clientId: r.client_id,
    permission: r.permission as Permission,
    scope: scopeOf(r),
    accessTokenTTL: r.access_token_ttl,
    accessTokenMaxTTL: r.access_token_max_ttl,
    revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
  };
}

export class AccessService {
  private readonly adminHash: Buffer;
  /** Resolved tokens by hash; flushed by every revocation (any runner, via NOTIFY) and bypassed while not live. */
  private readonly cache = new Map<string, { principal: Principal; expiresAt: Date | null }>();
  /** Bumped by every flush: a lookup that raced a revocation does not store its result. */
  private epoch = 0;

  constructor(private readonly d: { pool: Pool; clock: () => Date; adminToken: string; events?: StoreEvents }) {
    this.adminHash = sha256(d.adminToken);
    d.events?.on("pgrotate_access", () => this.flush());
    d.events?.onReset(() => this.flush());
  }

  /**
   * Synchronous: the principal of the admin token or of a live cached token that has not expired, else
   * undefined (unknown here: resolve() asks the store). The hot read path and the failed-auth limiter use it.
   */
  cached(h: Buffer): Principal | undefined {
    if (crypto.timingSafeEqual(h, this.adminHash)) return ADMIN;
    const hit = this.d.events?.live ? this.cache.get(h.toString("hex")) : undefined;
    return hit && (!hit.expiresAt || hit.expiresAt > this.d.clock()) ? hit.principal : undefined;
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
      this.cache.set(key, principal);
      return principal.principal;
    }
    return principal?.principal;
  }

  private flush(): void {
    this.epoch++;
    this.cache.clear();
  }

  private async lookup(h: Buffer): Promise<{ principal: Principal; expiresAt: Date | null } | undefined> {
    const { rows } = await this.d.pool.query(
      `SELECT t.*, i.revoked_at AS identity_revoked_at FROM access_tokens t LEFT JOIN machine_identities i ON i.id = t.identity_id
       WHERE t.token_hash = $1`,
      [h],
    );
    const r = rows[0];
    const now = this.d.clock();
    if (!r || r.revoked_at || r.identity_revoked_at || (r.expires_at && r.expires_at <= now)) return undefined;
    const kind = r.identity_id ? "identity" : "token";
    const id = r.identity_id ?? r.id;
    return { principal: { kind, id, actor: `${kind}:${id}`, permission: r.permission, scope: scopeOf(r) }, expiresAt: r.expires_at ?? null };
  }

  async createToken(input: CreateTokenInput) {
    const value = secret("pgr_tok_");
    const { rows } = await this.d.pool.query(
      `INSERT INTO access_tokens (id, name, token_hash, project_id, environment, secret_path, permission, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [newId(), input.name, sha256(value), input.projectId ?? null, input.environment ?? null, input.secretPath ?? null, input.permission,
        input.expiresIn ? new Date(this.d.clock().getTime() + input.expiresIn * 1000) : null],
    );
    return { token: presentToken(rows[0]), secret: value };
  }

  async listTokens() {
    const { rows } = await this.d.pool.query("SELECT * FROM access_tokens WHERE identity_id IS NULL ORDER BY created_at, id");
    return rows.map(presentToken);
  }

  async revokeToken(id: string) {
    const { rows } = await this.d.pool.query(
      "UPDATE access_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 AND identity_id IS NULL RETURNING *",
      [id, this.d.clock()],
    );
    this.flush();
    if (!rows[0]) throw notFound("Token", id);
    return presentToken(rows[0]);
  }

  async createIdentity(input: CreateIdentityInput) {
    const clientSecret = secret("pgr_cs_");
    try {
      const { rows } = await this.d.pool.query(
        `INSERT INTO machine_identities (id, name, client_id, client_secret_hash, project_id, environment, secret_path, permission,
           access_token_ttl, access_token_max_ttl)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [newId(), input.name, newId(), sha256(clientSecret), input.projectId ?? null, input.environment ?? null, input.secretPath ?? null,
          input.permission, input.accessTokenTTL, input.accessTokenMaxTTL],
      );
      return { identity: presentIdentity(rows[0]), clientId: rows[0].client_id as string, clientSecret };
    } catch (err) {
      if ((err as { code?: string }).code === "23505") throw new AppError("Conflict", `A machine identity named ${JSON.stringify(input.name)} already exists`);
      throw err;
    }
  }

  async listIdentities() {
    const { rows } = await this.d.pool.query("SELECT * FROM machine_identities ORDER BY created_at, id");
    return rows.map(presentIdentity);
  }

  /** Revokes the identity and, with it, every access token it was issued. */
  async revokeIdentity(id: string) {
    const { rows } = await this.d.pool.query(
      "UPDATE machine_identities SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING *",
      [id, this.d.clock()],
    );
    this.flush();
    if (!rows[0]) throw notFound("Machine identity", id);
    return presentIdentity(rows[0]);
  }

  /** Infisical's universal-auth login: client id + secret -> a short-lived access token with the identity's scope. */
  async login(clientId: string, clientSecret: string) {
    const invalid = new AppError("Unauthorized", "Invalid client id or client secret");
    if (!/^[0-9a-f-]{36}$/i.test(clientId)) throw invalid;
    const { rows } = await this.d.pool.query("SELECT * FROM machine_identities WHERE client_id = $1", [clientId]);
    const r = rows[0];
    const given = sha256(clientSecret);
    if (!r || r.revoked_at || !crypto.timingSafeEqual(given, r.client_secret_hash)) throw invalid;
    const accessToken = secret("pgr_at_");
    const now = this.d.clock();
    await this.d.pool.query(
      `INSERT INTO access_tokens (id, name, token_hash, identity_id, project_id, environment, secret_path, permission, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [newId(), `login:${r.name}`, sha256(accessToken), r.id, r.project_id, r.environment, r.secret_path, r.permission,
        new Date(now.getTime() + r.access_token_ttl * 1000)],
    );
    // Expired login tokens are useless: prune this identity's so the table does not grow without bound.
    await this.d.pool.query("DELETE FROM access_tokens WHERE identity_id = $1 AND expires_at < $2", [r.id, now]);
    return { accessToken, expiresIn: r.access_token_ttl as number, accessTokenMaxTTL: r.access_token_max_ttl as number, tokenType: "Bearer" as const };
  }
}
