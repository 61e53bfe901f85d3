import crypto from "node:crypto";

export const newId = (): string => crypto.randomUUID();

/** A stable UUID-shaped id derived from its parts (environment and folder ids of the Infisical shapes). */
export function derivedId(...parts: string[]): string {
  const h = crypto.createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);
