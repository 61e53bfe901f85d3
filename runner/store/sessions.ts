/** Web console sessions in the store: the SHA-256 of each session id, never the id itself. */
import type { Pool } from "pg";
import { type TokenLookup, TOKEN_LOOKUP_COLUMNS, TOKEN_LOOKUP_FROM, type TokenLookupRow, toTokenLookup } from "./access";

export type SessionKind = "admin" | "token" | "identity";

export interface NewSession {
  idHash: Buffer;
  kind: SessionKind;
  /** The access token the session stands for (null for the admin). */
  tokenId: string | null;
  /** Fingerprint of the admin token (admin sessions only). */
  adminHash: Buffer | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface SessionRecord {
  kind: SessionKind;
  adminHash: Buffer | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** The session's token as a bearer lookup sees it; undefined for the admin. */
  token?: TokenLookup;
}

export async function insertSession(q: Pool, s: NewSession): Promise<void> {
  await q.query(
    `INSERT INTO console_sessions (id_hash, principal_kind, token_id, admin_hash, created_at, last_seen_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $5, $6)`,
    [s.idHash, s.kind, s.tokenId, s.adminHash, s.createdAt, s.expiresAt],
  );
}

type SessionRow = Partial<TokenLookupRow> & {
  principal_kind: SessionKind;
  admin_hash: Buffer | null;
  s_created_at: Date;
  last_seen_at: Date;
  s_expires_at: Date;
};

/** The session and, in the same statement, the token it stands for (with its identity's revocation). */
export async function findSession(q: Pool, idHash: Buffer): Promise<SessionRecord | undefined> {
  const { rows } = await q.query<SessionRow>(
    `SELECT s.principal_kind, s.admin_hash, s.created_at AS s_created_at, s.last_seen_at, s.expires_at AS s_expires_at, ${TOKEN_LOOKUP_COLUMNS}
     FROM console_sessions s LEFT JOIN (${TOKEN_LOOKUP_FROM}) ON t.id = s.token_id
     WHERE s.id_hash = $1`,
    [idHash],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    kind: r.principal_kind,
    adminHash: r.admin_hash,
    createdAt: r.s_created_at,
    lastSeenAt: r.last_seen_at,
    expiresAt: r.s_expires_at,
    token: r.id ? toTokenLookup(r as TokenLookupRow) : undefined,
  };
}

export async function touchSession(q: Pool, idHash: Buffer, at: Date): Promise<void> {
  await q.query("UPDATE console_sessions SET last_seen_at = greatest(last_seen_at, $2) WHERE id_hash = $1", [idHash, at]);
}

export async function deleteSession(q: Pool, idHash: Buffer): Promise<boolean> {
  return ((await q.query("DELETE FROM console_sessions WHERE id_hash = $1", [idHash])).rowCount ?? 0) > 0;
}

/** Sessions past their absolute or idle end are useless; pruned at each sign-in so the table stays bounded. */
export async function pruneSessions(q: Pool, now: Date, idleMs: number): Promise<void> {
  await q.query("DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $1::timestamptz - make_interval(secs => $2)", [
    now,
    idleMs / 1000,
  ]);
}
