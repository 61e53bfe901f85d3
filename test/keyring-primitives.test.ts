/** The keyring's pure parts: the sealed formats, key ids, and the PGROTATE_ENCRYPTION_KEYS setting. */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../runner/config";
import { keyIdOf, Sealer, sealedKeyId, V1_KEY_ID } from "../runner/crypto/seal";
import { sealV1 } from "./helpers/sealed-v1";

const A = crypto.randomBytes(32);
const B = crypto.randomBytes(32);
const b64 = (k: Buffer) => k.toString("base64");

describe("Sealed values record the id of their key", () => {
  test("A key's id is 8 hex characters derived from the key: the same key gives the same id, another key another", () => {
    expect(keyIdOf(A)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyIdOf(Buffer.from(A))).toBe(keyIdOf(A));
    expect(keyIdOf(B)).not.toBe(keyIdOf(A));
    // Not a prefix of the key in any encoding.
    for (const form of [A.toString("hex"), b64(A)]) expect(form).not.toContain(keyIdOf(A));
  });

  test("The newest key seals (format 2 with its id); every key of the keyring opens what names it", () => {
    const ring = new Sealer([B, A]);
    expect(ring.keyIds).toEqual([keyIdOf(B), keyIdOf(A)]);
    const sealed = ring.seal("pw-1", "credential:x:0");
    expect(sealed[0]).toBe(2);
    expect(sealedKeyId(sealed)).toBe(keyIdOf(B));
    expect(ring.open(sealed, "credential:x:0")).toBe("pw-1");
    const underA = new Sealer(A).seal("pw-2", "secret:y");
    expect(sealedKeyId(underA)).toBe(keyIdOf(A));
    expect(ring.open(underA, "secret:y")).toBe("pw-2");
  });

  test("A value sealed with a key the keyring lacks is refused naming that key id and the record, never a key", () => {
    const sealed = new Sealer(A).seal("pw", "credential:r1:1");
    let message = "";
    try {
      new Sealer(B).open(sealed, "credential:r1:1");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`sealed with key ${keyIdOf(A)}, which is not among the encryption keys`);
    expect(message).toContain("credential:r1:1");
    for (const form of [b64(A), b64(B), A.toString("hex")]) expect(message).not.toContain(form);
  });

  test("A version 1 value (no key id) opens with the first key that opens it and reads as v1", () => {
    const v1 = sealV1(A, "old-pw", "intent:r:0");
    expect(sealedKeyId(v1)).toBe(V1_KEY_ID);
    expect(new Sealer([B, A]).open(v1, "intent:r:0")).toBe("old-pw");
    expect(() => new Sealer([B]).open(v1, "intent:r:0")).toThrow(/intent:r:0\) does not open with any encryption key/);
  });

  test("Tampered bytes, another record's associated data or an unknown format are refused", () => {
    const ring = new Sealer([B, A]);
    const sealed = ring.seal("pw", "secret:s");
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => ring.open(tampered, "secret:s")).toThrow(/does not open with its key .*: tampered data/);
    expect(() => ring.open(sealed, "secret:t")).toThrow(/does not open/);
    const future = Buffer.from(sealed);
    future[0] = 3;
    expect(sealedKeyId(future)).toBeUndefined();
    expect(() => ring.open(future, "secret:s")).toThrow(/unknown format/);
  });

  test("A keyring holding the same key twice, or none, is refused", () => {
    expect(() => new Sealer([A, B, A])).toThrow(/same encryption key twice/);
    expect(() => new Sealer([])).toThrow(/no encryption key/);
  });
});

describe("PGROTATE_ENCRYPTION_KEYS", () => {
  const base = { PGROTATE_DATA_DIR: os.tmpdir() };
  const failure = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
    } catch (err) {
      return (err as Error).message;
    }
    return "loaded";
  };

  test("Comma- or newline-separated keys, newest first, make the keyring; PGROTATE_ENCRYPTION_KEY alone is a keyring of one", () => {
    expect(loadConfig({ ...base, PGROTATE_ENCRYPTION_KEYS: `${b64(B)}, ${b64(A)}` }).encryptionKeys).toEqual([B, A]);
    expect(loadConfig({ ...base, PGROTATE_ENCRYPTION_KEYS: `${b64(B)}\n${b64(A)}\n` }).encryptionKeys).toEqual([B, A]);
    expect(loadConfig({ ...base, PGROTATE_ENCRYPTION_KEY: b64(A) }).encryptionKeys).toEqual([A]);
    expect(loadConfig(base).encryptionKeys).toBeUndefined(); // the data dir's generated key
  });

  test("Both variables set, a bad entry or the same key twice stop the start with a message that holds no key", () => {
    const both = failure({ PGROTATE_ENCRYPTION_KEY: b64(A), PGROTATE_ENCRYPTION_KEYS: b64(B) });
    expect(both).toMatch(/PGROTATE_ENCRYPTION_KEY and PGROTATE_ENCRYPTION_KEYS are both set/);
    const bad = failure({ PGROTATE_ENCRYPTION_KEYS: `${b64(B)},${b64(A).slice(0, 20)}` });
    expect(bad).toMatch(/PGROTATE_ENCRYPTION_KEYS entry #2 must be base64 of exactly 32 bytes/);
    const twice = failure({ PGROTATE_ENCRYPTION_KEYS: `${b64(B)},${b64(A)},${b64(B)}` });
    expect(twice).toMatch(new RegExp(`entry #3 is the same key as entry #1 \\(key ${keyIdOf(B)}\\)`));
    expect(failure({ PGROTATE_ENCRYPTION_KEYS: " , " })).toMatch(/PGROTATE_ENCRYPTION_KEYS holds no key/);
    for (const m of [both, bad, twice]) for (const k of [A, B]) expect(m).not.toContain(b64(k).slice(0, 16));
  });

  test("An external store needs a key from either variable", () => {
    const url = "postgres://u@localhost/db";
    expect(failure({ PGROTATE_DATABASE_URL: url })).toMatch(/PGROTATE_ENCRYPTION_KEY \(or PGROTATE_ENCRYPTION_KEYS, or their _FILE forms\) is required with an external store/);
    expect(loadConfig({ ...base, PGROTATE_DATABASE_URL: url, PGROTATE_ENCRYPTION_KEYS: b64(A) }).encryptionKeys).toEqual([A]);
  });

  test("PGROTATE_ENCRYPTION_KEYS_FILE holds the keyring (a trailing newline ignored); with the variable too, or unreadable, it stops the start", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-keys-"));
    try {
      const file = path.join(dir, "keys");
      fs.writeFileSync(file, `${b64(B)}\n${b64(A)}\n`, { mode: 0o600 });
      expect(loadConfig({ ...base, PGROTATE_ENCRYPTION_KEYS_FILE: file }).encryptionKeys).toEqual([B, A]);
      expect(failure({ PGROTATE_ENCRYPTION_KEYS_FILE: file, PGROTATE_ENCRYPTION_KEYS: b64(A) })).toMatch(/PGROTATE_ENCRYPTION_KEYS and PGROTATE_ENCRYPTION_KEYS_FILE are both set/);
      const missing = failure({ PGROTATE_ENCRYPTION_KEYS_FILE: path.join(dir, "nope") });
      expect(missing).toMatch(/PGROTATE_ENCRYPTION_KEYS_FILE: cannot read .*nope \(ENOENT\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
