/** pg's SCRAM client helpers (pg/lib/crypto/utils): the one the login check's memo wraps (see salted-memo.ts). */
declare module "pg/lib/crypto/utils" {
  export function deriveKey(password: string, salt: Uint8Array, iterations: number): Promise<ArrayBuffer>;
}
