/**
 * The runner's own HTTPS (PGROTATE_TLS_CERT_FILE and PGROTATE_TLS_KEY_FILE): TLS 1.2 or later, and the
 * certificate and key read again when either file changes — checked every few seconds, which also sees a
 * Kubernetes secret's symlink swap or a renewal by certbot — so new connections get the new certificate while open
 * ones keep theirs. A pair that does not load (a key that is not the certificate's, a half-written file) is
 * refused with a warning and the one in use stays. The certificate's end of validity feeds the expiry metric.
 */
import crypto from "node:crypto";
import fs from "node:fs/promises";
import type { Server } from "node:https";
import tls from "node:tls";
import { AppError } from "./errors";
import type { Logger } from "./logger";

export const TLS_MIN_VERSION = "TLSv1.2";
/** How often the files are looked at for a change. */
export const TLS_RELOAD_MS = 5000;

export interface TlsPair {
  cert: string;
  key: string;
  /** The (first) certificate's notAfter. */
  expiresAt: Date;
}

/** Reads and checks a certificate (chain) and its key; throws an AppError naming the file at fault, never its content. */
export async function readTlsPair(files: { certFile: string; keyFile: string }): Promise<TlsPair> {
  const read = async (file: string, what: string) => {
    try {
      return await fs.readFile(file, "utf8");
    } catch (err) {
      throw new AppError("BadRequest", `Cannot read the TLS ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
    }
  };
  const [cert, key] = await Promise.all([read(files.certFile, "certificate (PGROTATE_TLS_CERT_FILE)"), read(files.keyFile, "key (PGROTATE_TLS_KEY_FILE)")]);
  let expiresAt: Date;
  try {
    expiresAt = new Date(new crypto.X509Certificate(cert).validTo);
  } catch {
    throw new AppError("BadRequest", `${files.certFile} (PGROTATE_TLS_CERT_FILE) holds no PEM certificate`);
  }
  try {
    tls.createSecureContext({ cert, key, minVersion: TLS_MIN_VERSION });
  } catch (err) {
    throw new AppError("BadRequest", `The TLS key ${files.keyFile} does not load with the certificate ${files.certFile} (${(err as { code?: string }).code ?? "invalid"})`);
  }
  return { cert, key, expiresAt };
}

const fingerprint = (p: { cert: string; key: string }) => crypto.createHash("sha256").update(p.cert).update("\0").update(p.key).digest("hex");

/**
 * Serves the pair on `server` and looks at the files every `intervalMs`; a changed pair that loads replaces it for
 * new connections. Returns the pair in use (its expiry read by the metric) and a stop function.
 */
export function keepTlsFresh(
  server: Server,
  files: { certFile: string; keyFile: string },
  first: TlsPair,
  d: { logger: Logger; intervalMs?: number },
): { current: () => TlsPair; stop: () => void } {
  let current = first;
  let seen = fingerprint(first);
  let refused: string | undefined;
  const timer = setInterval(() => {
    void readTlsPair(files).then(
      (next) => {
        const f = fingerprint(next);
        if (f === seen) return;
        server.setSecureContext({ cert: next.cert, key: next.key, minVersion: TLS_MIN_VERSION });
        current = next;
        seen = f;
        refused = undefined;
        d.logger.info({ expiresAt: next.expiresAt.toISOString() }, "TLS certificate reloaded: new connections get it");
      },
      (err: unknown) => {
        const why = err instanceof Error ? err.message : String(err);
        if (why === refused) return;
        refused = why;
        d.logger.warn({ why }, "the TLS files changed but do not load; the certificate in use stays");
      },
    );
  }, d.intervalMs ?? TLS_RELOAD_MS);
  timer.unref();
  return { current: () => current, stop: () => clearInterval(timer) };
}
