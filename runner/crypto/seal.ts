import crypto from "node:crypto";
import { AppError } from "../errors";

/**
 * Formats of a sealed value:
 * - version 2: version(1) | key id(4) | iv(12) | tag(16) | ciphertext — what every seal writes;
 * - version 1: version(1) | iv(12) | tag(16) | ciphertext — written before keyrings, with the one key there was.
 */
const V1 = 1;
const V2 = 2;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_LABEL = "pgrotate encryption key id\0";

/** What a sealed value's key id reads as when it is version 1 (no key id: sealed before keyrings). */
export const V1_KEY_ID = "v1";

/**
 * A key's id: the first 8 hex characters of SHA-256 over a fixed label and the key. It names a key in messages,
 * metrics and every sealed value without anyone having to name keys, and reveals nothing of the key (32 bits of a
 * hash of 256 random bits).
 */
export function keyIdOf(key: Buffer): string {
  return crypto.createHash("sha256").update(KEY_ID_LABEL).update(key).digest().subarray(0, KEY_ID_BYTES).toString("hex");
}

/** The key id a sealed value records ("v1" for the format without one); undefined for a format this runner does not know. */
export function sealedKeyId(sealed: Buffer): string | undefined {
  if (sealed[0] === V2 && sealed.length >= 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES) return sealed.subarray(1, 1 + KEY_ID_BYTES).toString("hex");
  if (sealed[0] === V1 && sealed.length >= 1 + IV_BYTES + TAG_BYTES) return V1_KEY_ID;
  return undefined;
}

interface RingKey {
  id: string;
  key: Buffer;
}

/**
 * AES-256-GCM with a random IV per value and associated data naming the record and field, so a sealed value
 * copied to another row or field does not open. A keyring, newest first: the newest key seals (and its id is
 * written into the value), every key opens the values that name it; a version 1 value opens with the first key
 * that opens it.
 */
export class Sealer {
  private readonly ring: readonly RingKey[];
  private readonly byId: ReadonlyMap<string, RingKey>;

  constructor(keys: Buffer | readonly Buffer[]) {
    const list = Buffer.isBuffer(keys) ? [keys] : keys;
    if (!list.length) throw new AppError("BadRequest", "The keyring holds no encryption key");
    this.ring = list.map((key, i) => {
      if (key.length !== 32) throw new AppError("BadRequest", `The encryption key${list.length > 1 ? ` #${i + 1}` : ""} must be 32 bytes`);
      return { id: keyIdOf(key), key: Buffer.from(key) };
    });
    this.byId = new Map(this.ring.map((k) => [k.id, k]));
    if (this.byId.size !== this.ring.length) throw new AppError("BadRequest", "The keyring holds the same encryption key twice");
  }

  /** The key ids, newest (the one that seals) first. */
  get keyIds(): string[] {
    return this.ring.map((k) => k.id);
  }

  get newestKeyId(): string {
    return this.ring[0].id;
  }

  seal(plaintext: string, aad: string): Buffer {
    const { id, key } = this.ring[0];
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.from([V2]), Buffer.from(id, "hex"), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, aad: string): string {
    const id = sealedKeyId(sealed);
    if (id === undefined) throw new AppError("Internal", `A sealed value (${aad}) has an unknown format`);
    if (id === V1_KEY_ID) {
      for (const { key } of this.ring) {
        const opened = decrypt(key, sealed.subarray(1), aad);
        if (opened !== undefined) return opened;
      }
      throw new AppError(
        "Internal",
        `A sealed value (${aad}) does not open with any encryption key: wrong PGROTATE_ENCRYPTION_KEYS / PGROTATE_ENCRYPTION_KEY or tampered data`,
      );
    }
    const ring = this.byId.get(id);
    if (!ring) {
      throw new AppError("Internal", `A sealed value (${aad}) does not open: it is sealed with key ${id}, which is not among the encryption keys (PGROTATE_ENCRYPTION_KEYS)`);
    }
    const opened = decrypt(ring.key, sealed.subarray(1 + KEY_ID_BYTES), aad);
    if (opened === undefined) throw new AppError("Internal", `A sealed value (${aad}) does not open with its key ${id}: tampered data`);
    return opened;
  }
}

/** iv | tag | ciphertext opened with one key; undefined when it does not open (wrong key, associated data or bytes). */
function decrypt(key: Buffer, rest: Buffer, aad: string): string | undefined {
  const decipher = crypto.createDecipheriv("aes-256-gcm", key, rest.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(rest.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(rest.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

/** Associated data for each sealed field: the record kind, its id and the field. */
export const aad = {
  connectionPassword: (connectionId: string) => `connection:${connectionId}:password`,
  credential: (rotationId: string, index: number) => `credential:${rotationId}:${index}`,
  intent: (rotationId: string, index: number) => `intent:${rotationId}:${index}`,
  secret: (secretId: string) => `secret:${secretId}`,
  keyCheck: () => "meta:key-check",
};
