import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * The data directory holds the embedded store and the generated key, token and runner id. The directory is
 * 0755 (the embedded server's `postgres` user must traverse it); every secret file in it is 0600.
 */
export function ensureDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/** Reads a secret file, or creates it (0600, exclusive) with a generated value. Never logs the value. */
export function readOrCreateSecret(file: string, generate: () => string): { value: string; created: boolean } {
  try {
    return { value: fs.readFileSync(file, "utf8").trim(), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const value = generate();
  try {
    fs.writeFileSync(file, value + "\n", { mode: 0o600, flag: "wx" });
    return { value, created: true };
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return { value: fs.readFileSync(file, "utf8").trim(), created: false };
    throw err;
  }
}

export const dataFiles = (dir: string) => ({
  encryptionKey: path.join(dir, "encryption.key"),
  adminToken: path.join(dir, "admin.token"),
  runnerId: path.join(dir, "runner.id"),
  /** How far each store's rotation history had counted when this runner last saw it (store/restored.ts). */
  storeMarks: path.join(dir, "store-marks.json"),
  storePassword: path.join(dir, "store.password"),
  storeCluster: path.join(dir, "pg"),
  storeLog: path.join(dir, "postgres.log"),
});

export const generators = {
  key: () => crypto.randomBytes(32).toString("base64"),
  token: () => "pgr_" + crypto.randomBytes(32).toString("base64url"),
  runnerId: () => "runner-" + crypto.randomBytes(6).toString("hex"),
  storePassword: () => crypto.randomBytes(24).toString("base64url"),
};
