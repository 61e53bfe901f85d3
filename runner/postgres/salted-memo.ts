/**
 * One PBKDF2 per new password instead of two. The verifier a rotation sets (scram.ts) and the SCRAM login that
 * proves it (pg's client) both derive SaltedPassword = PBKDF2(password, salt, iterations) for the same salt:
 * the server answers the login with the salt and count of the verifier just stored. RFC 5802 §5.1 lets a client
 * keep SaltedPassword for a known salt and count; this memo hands pg's SCRAM client the one derived for the
 * verifier, so the login check costs no second 4096-round PBKDF2 (≈ 0.8 ms of CPU on the critical path).
 *
 * Each entry is used once (or dropped after ENTRY_MS), is keyed by the random salt, and is returned only for
 * the very password it was derived from; any other login derives as before. The server still checks the
 * proof, so the check proves the password exactly as a fresh derivation would.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself: `import * as` copies it, and the wrap below must reach pg's SCRAM client
import pgScram = require("pg/lib/crypto/utils");

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

const keyOf = (salt: Uint8Array, iterations: number) => `${iterations}:${Buffer.from(salt.buffer, salt.byteOffset, salt.byteLength).toString("base64")}`;

/** Wraps pg's deriveKey once per process; unknown salts and other passwords go to pg's own derivation. */
function install(): void {
  if (installed) return;
  installed = true;
  const derive = pgScram.deriveKey;
  pgScram.deriveKey = (password, salt, iterations) => {
    const key = keyOf(salt, iterations);
    const e = entries.get(key);
    if (!e || e.password !== password) return derive(password, salt, iterations);
    forget(key);
    hits++;
    const out = new ArrayBuffer(e.salted.length);
    new Uint8Array(out).set(e.salted);
    e.salted.fill(0);
    return Promise.resolve(out);
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
  install();
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

/** Entries waiting for their login (tests: none stays behind a rotation). */
export function saltedMemoSize(): number {
  return entries.size;
}
