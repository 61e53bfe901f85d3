/**
 * PGROTATE_ENCRYPTION_KEYS: the keyring, base64 keys of 32 bytes separated by commas or newlines, newest (the one
 * that seals) first; or PGROTATE_ENCRYPTION_KEYS_FILE, a file holding the same text. Messages name an entry by its
 * place in the list, never by its value.
 */
import fs from "node:fs";
import { z } from "zod";
import { AppError } from "../errors";
import { keyIdOf } from "./seal";

const VARIABLE = "PGROTATE_ENCRYPTION_KEYS";
const FILE_VARIABLE = `${VARIABLE}_FILE`;

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

/**
 * The environment with PGROTATE_ENCRYPTION_KEYS read from PGROTATE_ENCRYPTION_KEYS_FILE when that is set (the
 * container-secret and systemd-credential convention). Both set, or a file that cannot be read, stops the start.
 */
export function keysFromFile(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const file = env[FILE_VARIABLE];
  if (file === undefined) return env;
  if (env[VARIABLE] !== undefined) {
    throw new AppError("BadRequest", `Invalid configuration: ${VARIABLE} and ${FILE_VARIABLE} are both set; keep one`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new AppError("BadRequest", `Invalid configuration: ${FILE_VARIABLE}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const { [FILE_VARIABLE]: _read, ...rest } = env;
  return { ...rest, [VARIABLE]: text };
}
