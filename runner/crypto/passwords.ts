import crypto from "node:crypto";

export interface PasswordRequirements {
  length: number;
  required: { digits: number; lowercase: number; uppercase: number; symbols: number };
  allowedSymbols?: string;
}

export const LOWER = "abcdefghijklmnopqrstuvwxyz";
export const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const DIGITS = "0123456789";
/** Infisical's default symbol set. */
export const DEFAULT_SYMBOLS = "-_.~!*";
export const DEFAULT_LENGTH = 48;

/**
 * A password from `crypto.randomInt`: the required count of each class first, the rest drawn from every
 * enabled class, then a Fisher-Yates shuffle. Without requirements: 48 alphanumeric characters.
 * Symbols are only used when some are required.
 */
export function generatePassword(req?: PasswordRequirements): string {
  if (!req) return draw(LOWER + UPPER + DIGITS, DEFAULT_LENGTH);
  const symbols = req.allowedSymbols ?? DEFAULT_SYMBOLS;
  const classes: Array<[string, number]> = [
    [LOWER, req.required.lowercase],
    [UPPER, req.required.uppercase],
    [DIGITS, req.required.digits],
    [symbols, req.required.symbols],
  ];
  const chars: string[] = [];
  for (const [set, count] of classes) chars.push(...draw(set, count));
  let pool = LOWER + UPPER + DIGITS;
  if (req.required.symbols > 0) pool += symbols;
  chars.push(...draw(pool, req.length - chars.length));
  for (let i = chars.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join("");
}

function draw(set: string, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += set[crypto.randomInt(set.length)];
  return out;
}
