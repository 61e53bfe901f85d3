/**
 * PGROTATE_ENCRYPTION_KEYS: the keyring, base64 keys of 32 bytes separated by commas or newlines, newest (the one
 * that seals) first (or PGROTATE_ENCRYPTION_KEYS_FILE, read like every secret setting's file: config.ts). Messages
 * name an entry by its place in the list, never by its value.
 */
import { z } from "zod";
import { keyIdOf } from "./seal";

export const encryptionKeysSchema = z.string().transform((text, ctx) => {
  const entries = text.split(/[\s,]+/).filter(Boolean);
  if (!entries.length) {
    ctx.addIssue({ code: "custom", message: "holds no key (base64 keys of 32 bytes, comma- or newline-separated, newest first)" });
    return z.NEVER;
  }
  const keys = entries.map((entry) => Buffer.from(entry, "base64"));
  const bad = keys.flatMap((key, i) => (key.length === 32 ? [] : [i + 1]));
  if (bad.length) {
    ctx.addIssue({ code: "custom", message: `entr${bad.length > 1 ? "ies" : "y"} ${bad.map((n) => `#${n}`).join(", ")} must be base64 of exactly 32 bytes` });
    return z.NEVER;
  }
  const ids = keys.map(keyIdOf);
  const twice = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (twice >= 0) {
    ctx.addIssue({ code: "custom", message: `entry #${twice + 1} is the same key as entry #${ids.indexOf(ids[twice]) + 1} (key ${ids[twice]})` });
    return z.NEVER;
  }
  return keys;
});
