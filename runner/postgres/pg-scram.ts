/**
 * The SCRAM-SHA-256 client arithmetic of every pg login this process makes (the login check of each rotation,
 * store and target pool connections), done with node:crypto. pg 8 does it with WebCrypto: five HMAC/SHA-256
 * steps, each an importKey and a promise through the thread pool, ≈ 0.5 ms of latency and 0.45 ms of CPU per
 * login on our 2-core machine against ≈ 0.015 ms here. Same functions, same bytes (test: primitives.test.ts).
 *
 * And one PBKDF2 per new password instead of two: the verifier a rotation sets (scram.ts) and the login that
 * proves it derive SaltedPassword = PBKDF2(password, salt, iterations) for the same salt, since the server answers
 * the login with the salt and count of the verifier just stored. RFC 5802 §5.1 lets a client keep SaltedPassword
 * for a known salt and count; the memo below hands the login the one derived for the verifier (≈ 0.8 ms of CPU
 * on the critical path). Each entry is used once or dropped after ENTRY_MS, is keyed by the random salt, and
 * answers only the very password it was derived from; the server still checks the proof.
 */
import crypto from "node:crypto";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import type * as PgScramUtils from "pg/lib/crypto/utils";

/**
 * pg's module object itself (`import * as` would copy it, and the replacement must reach pg's SCRAM client), or
 * undefined if a later pg moved it: then pg keeps its own arithmetic and only this speed-up is lost.
 */
function pgScramModule(): typeof PgScramUtils | undefined {
  try {
    const m = createRequire(__filename)("pg/lib/crypto/utils") as Partial<typeof PgScramUtils>;
    return typeof m.deriveKey === "function" && typeof m.hmacSha256 === "function" && typeof m.sha256 === "function" ? (m as typeof PgScramUtils) : undefined;
  } catch {
    return undefined;
  }
}

const pbkdf2 = promisify(crypto.pbkdf2);

/** A login follows its ALTER ROLE within milliseconds; an entry nobody used (a revoke's discarded password) goes soon. */
const ENTRY_MS = 10_000;

interface Entry {
  password: string;
  salted: Buffer;
  timer: NodeJS.Timeout;
}

const entries = new Map<string, Entry>();
let hits = 0;
let installed = false;
/** pg's helpers were found and replaced (else nothing would ever read an entry: none is kept). */
let active = false;

const bytes = (b: ArrayBuffer | Uint8Array) => (b instanceof Uint8Array ? b : new Uint8Array(b));
const keyOf = (salt: Uint8Array, iterations: number) => `${iterations}:${Buffer.from(salt.buffer, salt.byteOffset, salt.byteLength).toString("base64")}`;

/** Puts node:crypto and the memo under pg's SCRAM client, once per process. */
export function installPgScram(): void {
  if (installed) return;
  installed = true;
  const pgScram = pgScramModule();
  if (!pgScram) return;
  active = true;
  pgScram.hmacSha256 = (key, msg) => Promise.resolve(crypto.createHmac("sha256", bytes(key)).update(msg, "utf8").digest());
  pgScram.sha256 = (data) => Promise.resolve(crypto.createHash("sha256").update(bytes(data)).digest());
  pgScram.deriveKey = (password, salt, iterations) => {
    const key = keyOf(salt, iterations);
    const e = entries.get(key);
    if (!e || e.password !== password) return pbkdf2(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
    forget(key);
    hits++;
    return Promise.resolve(e.salted);
  };
}

function forget(key: string): void {
  const e = entries.get(key);
  if (!e) return;
  clearTimeout(e.timer);
  entries.delete(key);
}

/** Keeps the SaltedPassword just derived for a verifier, for the login that proves that verifier. */
export function rememberSalted(password: string, salt: Buffer, iterations: number, salted: Buffer): void {
  installPgScram();
  if (!active) return;
  const key = keyOf(salt, iterations);
  forget(key);
  const kept = Buffer.from(salted);
  const timer = setTimeout(() => {
    kept.fill(0);
    entries.delete(key);
  }, ENTRY_MS);
  timer.unref();
  entries.set(key, { password, salted: kept, timer });
}

/** How many logins used a remembered SaltedPassword (tests and the benchmark's diagnostics). */
export function saltedMemoHits(): number {
  return hits;
}

/** Entries waiting for their login. */
export function saltedMemoSize(): number {
  return entries.size;
}
