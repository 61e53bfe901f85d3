/**
 * Web console sessions. Signing in exchanges a token (or an identity's client id and secret) for a random
 * session id carried in an HttpOnly, SameSite=Strict cookie; the browser never holds the token. A session ends
 * 12 hours after sign-in, after 1 hour without use, at sign-out, and as soon as the token it stands for is
 * revoked or expires (or, for the admin, when the admin token changes). It carries that token's permission
 * and scope: it can never do more than the token.
 */
import crypto from "node:crypto";
import type { Pool } from "pg";
import * as store from "../store/sessions";
import type { AccessService } from "./access";
import { ADMIN, type Principal } from "./principal";

export const SESSION_MAX_MS = 12 * 3600_000;
export const SESSION_IDLE_MS = 3600_000;
/** last_seen_at is written at most this often (an idle session ends between IDLE - TOUCH and IDLE after its last use). */
const TOUCH_EVERY_MS = 60_000;

const sha256 = (s: string): Buffer => crypto.createHash("sha256").update(s, "utf8").digest();
/** 32 random bytes, base64url: 43 characters. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export interface ConsoleSession {
  principal: Principal;
  createdAt: Date;
  /** The absolute end: 12 h after sign-in, or the token's own expiry if sooner. */
  expiresAt: Date;
  /** When the session ends if it is not used before. */
  idleExpiresAt: Date;
}

export class ConsoleSessions {
  constructor(private readonly d: { pool: Pool; clock: () => Date; access: AccessService }) {}

  /** A new session for a principal that just proved its token; returns the id for the cookie (shown nowhere else). */
  async create(who: { principal: Principal; tokenId: string | null; tokenExpiresAt?: Date | null }): Promise<{ id: string; session: ConsoleSession }> {
    const now = this.d.clock();
    const id = crypto.randomBytes(32).toString("base64url");
    const expiresAt = new Date(now.getTime() + SESSION_MAX_MS);
    await store.pruneSessions(this.d.pool, now, SESSION_IDLE_MS);
    await store.insertSession(this.d.pool, {
      idHash: sha256(id),
      kind: who.principal.kind,
      tokenId: who.tokenId,
      adminHash: who.principal.kind === "admin" ? this.d.access.adminFingerprint : null,
      createdAt: now,
      expiresAt,
    });
    return {
      id,
      session: { principal: who.principal, createdAt: now, expiresAt: earliest(expiresAt, who.tokenExpiresAt), idleExpiresAt: new Date(now.getTime() + SESSION_IDLE_MS) },
    };
  }

  /**
   * The live session behind a cookie value, or undefined (unknown, signed out, expired, idle too long, or its
   * token revoked). `touch` false: the request does not count as use (the console's background refreshes).
   */
  async resolve(id: string, opts: { touch: boolean }): Promise<ConsoleSession | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    const idHash = sha256(id);
    const s = await store.findSession(this.d.pool, idHash);
    if (!s) return undefined;
    const now = this.d.clock();
    const idleEnd = s.lastSeenAt.getTime() + SESSION_IDLE_MS;
    const principal =
      s.kind === "admin" ? (this.d.access.isAdminFingerprint(s.adminHash) ? ADMIN : undefined) : s.token && this.d.access.principalOfToken(s.token);
    if (!principal || s.expiresAt <= now || idleEnd <= now.getTime()) {
      await store.deleteSession(this.d.pool, idHash);
      return undefined;
    }
    let lastSeen = s.lastSeenAt;
    if (opts.touch && now.getTime() - lastSeen.getTime() >= TOUCH_EVERY_MS) {
      await store.touchSession(this.d.pool, idHash, now);
      lastSeen = now;
    }
    return {
      principal,
      createdAt: s.createdAt,
      expiresAt: earliest(s.expiresAt, s.token?.expiresAt),
      idleExpiresAt: new Date(lastSeen.getTime() + SESSION_IDLE_MS),
    };
  }

  /** Sign-out: the session id stops working at once. */
  async revoke(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await store.deleteSession(this.d.pool, sha256(id));
  }
}

const earliest = (a: Date, b: Date | null | undefined): Date => (b && b < a ? b : a);
