/** pg's SCRAM client helpers (pg/lib/crypto/utils), which pg-scram.ts replaces in the runner's process. */
declare module "pg/lib/crypto/utils" {
  export function deriveKey(password: string, salt: Uint8Array, iterations: number): Promise<ArrayBuffer | Buffer>;
  export function hmacSha256(key: ArrayBuffer | Uint8Array, msg: string): Promise<ArrayBuffer | Buffer>;
  export function sha256(data: ArrayBuffer | Uint8Array): Promise<ArrayBuffer | Buffer>;
}
