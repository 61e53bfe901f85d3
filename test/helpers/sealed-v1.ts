/**
 * Values in the sealed format of before keyrings (version 1: version | iv | tag | ciphertext, no key id), exactly
 * as runner/crypto/seal.ts wrote them until key ids: a store of that time, without checking out old code.
 */
import crypto from "node:crypto";

export function sealV1(key: Buffer, plaintext: string, aad: string): Buffer {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
}
