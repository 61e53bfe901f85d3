/**
 * Values in the sealed format of before keyrings (version 1: version | iv | tag | ciphertext, no key id), exactly
 * as runner/crypto/seal.ts wrote them until key ids: a store of that time, without checking out old code.
 */
import crypto from "node:crypto";
import type { Pool } from "pg";
import type { Sealer } from "../../runner/crypto/seal";
import { SEALED_COLUMNS } from "../../runner/store/sealed";

export function sealV1(key: Buffer, plaintext: string, aad: string): Buffer {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]);
}

/** Rewrites every sealed value of a store in the version 1 format with `key` (opened with `sealer`); returns how many. */
export async function rewriteStoreAsV1(pool: Pool, sealer: Sealer, key: Buffer, opts: { except?: string[] } = {}): Promise<number> {
  let n = 0;
  for (const c of SEALED_COLUMNS) {
    if (opts.except?.includes(c.name)) continue;
    const keys = c.key.map((k) => k.name).join(", ");
    const { rows } = await pool.query<Record<string, unknown>>(`SELECT ${keys}, ${c.column} AS sealed FROM ${c.table}${c.where ? ` WHERE ${c.where}` : ""}`);
    for (const row of rows) {
      const key_ = c.key.map((k) => row[k.name]);
      const aad = c.aad(key_);
      const where = c.key.map((k, i) => `${k.name} = $${i + 2}`).join(" AND ");
      await pool.query(`UPDATE ${c.table} SET ${c.column} = $1 WHERE ${where}`, [sealV1(key, sealer.open(row.sealed as Buffer, aad), aad), ...key_]);
      n++;
    }
  }
  return n;
}
