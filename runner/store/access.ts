/** Scoped tokens and machine identities in the store (hashes only, never a secret). */
import type { Pool } from "pg";
import type { Permission, Scope } from "../auth/principal";

export interface TokenRecord {
  id: string;
  name: string;
  identityId: string | null;
  permission: Permission;
  scope: Scope;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface IdentityRecord {
  id: string;
  name: string;
  clientId: string;
  clientSecretHash: Buffer;
  permission: Permission;
  scope: Scope;
  accessTokenTTL: number;
  accessTokenMaxTTL: number;
  revokedAt: Date | null;
  createdAt: Date;
}

interface ScopeRow {
  project_id: string | null;
  environment: string | null;
  secret_path: string | null;
}
export interface TokenRow extends ScopeRow {
  id: string;
  name: string;
  identity_id: string | null;
  permission: Permission;
  expires_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
}
interface IdentityRow extends ScopeRow {
  id: string;
  name: string;
  client_id: string;
  client_secret_hash: Buffer;
  permission: Permission;
  access_token_ttl: number;
  access_token_max_ttl: number;
  revoked_at: Date | null;
  created_at: Date;
}

const scopeOf = (r: ScopeRow): Scope => ({ projectId: r.project_id, environment: r.environment, secretPath: r.secret_path });

const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  identityId: r.identity_id,
  permission: r.permission,
  scope: scopeOf(r),
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  createdAt: r.created_at,
});

const toIdentity = (r: IdentityRow): IdentityRecord => ({
  id: r.id,
  name: r.name,
  clientId: r.client_id,
  clientSecretHash: r.client_secret_hash,
  permission: r.permission,
  scope: scopeOf(r),
  accessTokenTTL: r.access_token_ttl,
  accessTokenMaxTTL: r.access_token_max_ttl,
  revokedAt: r.revoked_at,
  createdAt: r.created_at,
});

const TOKEN_COLUMNS = "id, name, identity_id, project_id, environment, secret_path, permission, expires_at, revoked_at, created_at";
const IDENTITY_COLUMNS =
  "id, name, client_id, client_secret_hash, project_id, environment, secret_path, permission, access_token_ttl, access_token_max_ttl, revoked_at, created_at";

/** A token as a bearer lookup sees it: its own state and whether its identity (if any) was revoked. */
export interface TokenLookup extends TokenRecord {
  identityRevokedAt: Date | null;
}

/** The select list of a token lookup over `access_tokens t LEFT JOIN machine_identities i` (TOKEN_LOOKUP_FROM). */
export const TOKEN_LOOKUP_COLUMNS = `${TOKEN_COLUMNS.split(", ").map((c) => `t.${c}`).join(", ")}, i.revoked_at AS identity_revoked_at`;
export const TOKEN_LOOKUP_FROM = "access_tokens t LEFT JOIN machine_identities i ON i.id = t.identity_id";
export type TokenLookupRow = TokenRow & { identity_revoked_at: Date | null };
export const toTokenLookup = (r: TokenLookupRow): TokenLookup => ({ ...toToken(r), identityRevokedAt: r.identity_revoked_at });

export async function findTokenByHash(q: Pool, hash: Buffer): Promise<TokenLookup | undefined> {
  const { rows } = await q.query<TokenLookupRow>(`SELECT ${TOKEN_LOOKUP_COLUMNS} FROM ${TOKEN_LOOKUP_FROM} WHERE t.token_hash = $1`, [hash]);
  return rows[0] ? toTokenLookup(rows[0]) : undefined;
}

export interface NewToken {
  id: string;
  name: string;
  hash: Buffer;
  identityId: string | null;
  scope: Scope;
  permission: Permission;
  expiresAt: Date | null;
  /** When it was made, on the runner's clock like expiresAt (a login: its max TTL counts from here). */
  createdAt: Date;
}

export async function insertToken(q: Pool, t: NewToken): Promise<TokenRecord> {
  const { rows } = await q.query<TokenRow>(
    `INSERT INTO access_tokens (id, name, token_hash, identity_id, project_id, environment, secret_path, permission, expires_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${TOKEN_COLUMNS}`,
    [t.id, t.name, t.hash, t.identityId, t.scope.projectId, t.scope.environment, t.scope.secretPath, t.permission, t.expiresAt, t.createdAt],
  );
  return toToken(rows[0]);
}

/** Tokens created by an admin (an identity's login tokens are not listed). */
export async function listTokens(q: Pool): Promise<TokenRecord[]> {
  const { rows } = await q.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM access_tokens WHERE identity_id IS NULL ORDER BY created_at, id`);
  return rows.map(toToken);
}

/** Revokes an admin-created token (idempotent: the first revocation time stays). Undefined when there is none. */
export async function revokeToken(q: Pool, id: string, at: Date): Promise<TokenRecord | undefined> {
  const { rows } = await q.query<TokenRow>(
    `UPDATE access_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 AND identity_id IS NULL RETURNING ${TOKEN_COLUMNS}`,
    [id, at],
  );
  return rows[0] ? toToken(rows[0]) : undefined;
}

/** A machine identity's login token by its hash, with the identity's TTLs (renewal, revocation by the token). */
export async function findLoginToken(q: Pool, hash: Buffer): Promise<(TokenLookup & { accessTokenTTL: number; accessTokenMaxTTL: number }) | undefined> {
  const { rows } = await q.query<TokenLookupRow & { access_token_ttl: number; access_token_max_ttl: number }>(
    `SELECT ${TOKEN_LOOKUP_COLUMNS}, i.access_token_ttl, i.access_token_max_ttl FROM ${TOKEN_LOOKUP_FROM} WHERE t.token_hash = $1 AND t.identity_id IS NOT NULL`,
    [hash],
  );
  const r = rows[0];
  return r && { ...toTokenLookup(r), accessTokenTTL: r.access_token_ttl, accessTokenMaxTTL: r.access_token_max_ttl };
}

/** Moves a live login token's expiry (renewal); false when it was revoked or expired meanwhile. */
export async function extendToken(q: Pool, id: string, until: Date, now: Date): Promise<boolean> {
  const { rowCount } = await q.query("UPDATE access_tokens SET expires_at = $2 WHERE id = $1 AND revoked_at IS NULL AND expires_at > $3", [id, until, now]);
  return rowCount === 1;
}

/** Revokes one login token (idempotent: the first revocation time stays). */
export async function revokeLoginToken(q: Pool, id: string, at: Date): Promise<void> {
  await q.query("UPDATE access_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1", [id, at]);
}

/** Expired login tokens are useless: an identity's are pruned at each login so the table stays bounded. */
export async function pruneExpiredTokens(q: Pool, identityId: string, now: Date): Promise<void> {
  await q.query("DELETE FROM access_tokens WHERE identity_id = $1 AND expires_at < $2", [identityId, now]);
}

export interface NewIdentity {
  id: string;
  name: string;
  clientId: string;
  clientSecretHash: Buffer;
  scope: Scope;
  permission: Permission;
  accessTokenTTL: number;
  accessTokenMaxTTL: number;
}

export async function insertIdentity(q: Pool, i: NewIdentity): Promise<IdentityRecord> {
  const { rows } = await q.query<IdentityRow>(
    `INSERT INTO machine_identities (id, name, client_id, client_secret_hash, project_id, environment, secret_path, permission,
       access_token_ttl, access_token_max_ttl)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${IDENTITY_COLUMNS}`,
    [i.id, i.name, i.clientId, i.clientSecretHash, i.scope.projectId, i.scope.environment, i.scope.secretPath, i.permission,
      i.accessTokenTTL, i.accessTokenMaxTTL],
  );
  return toIdentity(rows[0]);
}

export async function listIdentities(q: Pool): Promise<IdentityRecord[]> {
  const { rows } = await q.query<IdentityRow>(`SELECT ${IDENTITY_COLUMNS} FROM machine_identities ORDER BY created_at, id`);
  return rows.map(toIdentity);
}

export async function findIdentityByClientId(q: Pool, clientId: string): Promise<IdentityRecord | undefined> {
  const { rows } = await q.query<IdentityRow>(`SELECT ${IDENTITY_COLUMNS} FROM machine_identities WHERE client_id = $1`, [clientId]);
  return rows[0] ? toIdentity(rows[0]) : undefined;
}

/** Revokes the identity (its access tokens stop working with it: lookups join the identity). */
export async function revokeIdentity(q: Pool, id: string, at: Date): Promise<IdentityRecord | undefined> {
  const { rows } = await q.query<IdentityRow>(
    `UPDATE machine_identities SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1 RETURNING ${IDENTITY_COLUMNS}`,
    [id, at],
  );
  return rows[0] ? toIdentity(rows[0]) : undefined;
}
