import crypto from "node:crypto";
import { promisify } from "node:util";

const pbkdf2 = promisify(crypto.pbkdf2);

/** PostgreSQL's default `scram_iterations`. */
export const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores in pg_authid.rolpassword (RFC 5802/7677), computed here so
 * `ALTER ROLE ... PASSWORD` never carries the plaintext to the server or its logs.
 * Our passwords are printable ASCII, for which SASLprep is the identity.
 */
export function scramSha256Verifier(
  password: string,
  salt: Buffer = crypto.randomBytes(16),
  iterations = SCRAM_ITERATIONS,
): string {
  assertPrintable(password);
  return fromSalted(crypto.pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256"), salt, iterations);
}

/** The same verifier with PBKDF2 on libuv's thread pool, so it can run while the caller waits on I/O. */
export async function scramSha256VerifierAsync(password: string, salt: Buffer = crypto.randomBytes(16), iterations = SCRAM_ITERATIONS): Promise<string> {
  assertPrintable(password);
  return fromSalted(await pbkdf2(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256"), salt, iterations);
}

function assertPrintable(password: string): void {
  if (!/^[\x21-\x7e]+$/.test(password)) {
    throw new Error("SCRAM verifier: the password must be printable ASCII");
  }
}

function fromSalted(salted: Buffer, salt: Buffer, iterations: number): string {
  const clientKey = crypto.createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = crypto.createHash("sha256").update(clientKey).digest();
  const serverKey = crypto.createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** The legacy md5 verifier, used only when the server's password_encryption is md5. */
export function md5Verifier(password: string, username: string): string {
  return "md5" + crypto.createHash("md5").update(password + username, "utf8").digest("hex");
}

/** A verifier is inlined into ALTER ROLE (utility statements take no parameters): prove it is quote-free. */
export function assertVerifierIsLiteralSafe(verifier: string): void {
  if (!/^(SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+|md5[0-9a-f]{32})$/.test(verifier)) {
    throw new Error("Refusing to inline a malformed password verifier");
  }
}
