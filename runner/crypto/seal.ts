import crypto from "node:crypto";
import { AppError } from "../errors";

/** Format of a sealed value: version(1) | iv(12) | tag(16) | ciphertext. */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with a random IV per value and associated data naming the record and field, so a sealed
 * value copied to another row or field does not open.
 */
export class Sealer {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new AppError("BadRequest", "The encryption key must be 32 bytes");
    this.key = Buffer.from(key);
  }

  seal(plaintext: string, aad: string): Buffer {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, aad: string): string {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new AppError("Internal", `A sealed value (${aad}) has an unknown format`);
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, iv);
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        "utf8",
      );
    } catch (cause) {
      throw new AppError(
        "Internal",
        `A sealed value (${aad}) does not open with this encryption key: wrong PGROTATE_ENCRYPTION_KEY or tampered data`,
        { cause },
      );
    }
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
