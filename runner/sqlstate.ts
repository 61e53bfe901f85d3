/**
 * The SQLSTATE codes pgrotate reacts to, named once (PostgreSQL's errcodes, Appendix A). Used on the store
 * and on targets alike; `sqlState(err)` reads the code of a pg error (undefined for anything else).
 */

/** 23505: a unique constraint (a name or secret key already taken). */
export const UNIQUE_VIOLATION = "23505";
/** 28P01: the password was wrong. */
export const INVALID_PASSWORD = "28P01";
/** 28000: the login was refused (no such role, no LOGIN, pg_hba). */
export const INVALID_AUTHORIZATION = "28000";
/** 42501: the role lacks a right (e.g. ALTER ROLE without ADMIN OPTION on 16+). */
export const INSUFFICIENT_PRIVILEGE = "42501";
/** 3D000: the database does not exist. */
export const INVALID_CATALOG_NAME = "3D000";
/** 22021: a byte sequence that is not valid in the encoding (or NUL) reached a text column. */
export const CHARACTER_NOT_IN_REPERTOIRE = "22021";
/** 22P05: a character that cannot be translated to the server's encoding. */
export const UNTRANSLATABLE_CHARACTER = "22P05";

/** Class 22: data exceptions (a value the column cannot hold). */
export const isDataException = (code: string | undefined): boolean => code !== undefined && code.startsWith("22");
/** Class 08 (connection exception) and 57P01–57P03 (the server is shutting down or cannot accept connections). */
export const isConnectionLoss = (code: string | undefined): boolean => code !== undefined && /^(08|57P0)/.test(code);
/** A login was refused (28P01 or 28000). */
export const isLoginRefused = (code: string | undefined): boolean => code === INVALID_PASSWORD || code === INVALID_AUTHORIZATION;

/** The SQLSTATE of a pg error (five characters), else undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
