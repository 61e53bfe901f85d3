import path from "node:path";
import { z } from "zod";
import type { FeedLimits } from "./api/events";
import { AppError, zodIssues } from "./errors";
import { encryptionKeysSchema, keysFromFile } from "./crypto/keys-setting";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const envSchema = z.object({
  PGROTATE_HOST: z.string().min(1).default("127.0.0.1"),
  PGROTATE_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PGROTATE_DATA_DIR: z.string().min(1).default("./.pgrotate"),
  PGROTATE_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  PGROTATE_ENCRYPTION_KEY: z
    .string()
    .refine((s) => Buffer.from(s, "base64").length === 32, "must be base64 of exactly 32 bytes")
    .optional(),
  PGROTATE_ENCRYPTION_KEYS: encryptionKeysSchema.optional(),
  PGROTATE_ADMIN_TOKEN: z.string().min(24, "must be at least 24 characters").optional(),
  PGROTATE_TICK_SECONDS: z.coerce.number().int("must be a whole number of seconds").min(1).max(3600).default(1),
  PGROTATE_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  PGROTATE_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100000).default(30),
  PGROTATE_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(120),
  PGROTATE_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  PGROTATE_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  PGROTATE_LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  PGROTATE_PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  PGROTATE_TLS_CERT_FILE: z.string().min(1).optional(),
  PGROTATE_TLS_KEY_FILE: z.string().min(1).optional(),
  PGROTATE_CACHE_MAX_AGE_SECONDS: z.coerce.number().int("must be a whole number of seconds").min(1).max(30).default(30),
  PGROTATE_FEED_MAX_STREAMS_PER_TOKEN: z.coerce.number().int().min(1).max(1_000_000).optional(),
  PGROTATE_FEED_MAX_STREAMS_PER_IDENTITY: z.coerce.number().int().min(1).max(1_000_000).optional(),
  PGROTATE_FEED_MAX_STREAMS: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

/** The one configuration object of the runner, validated once at start. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  /**
   * The keyring, newest (the key that seals) first: PGROTATE_ENCRYPTION_KEYS, or PGROTATE_ENCRYPTION_KEY as a keyring
   * of one; unset: the data dir's generated key.
   */
  encryptionKeys?: Buffer[];
  adminToken?: string;
  tickSeconds: number;
  /** Rotations run at once by this runner's scheduler. */
  concurrency: number;
  /** How long a claimed or running rotation is owned before another runner may take it over. */
  leaseSeconds: number;
  webhook?: { url: string; secret: string };
  /** Failed authentications per client IP per minute before 429. */
  authFailuresPerMinute: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /**
   * The URL users open the web console at when a TLS-terminating proxy sits in front of the runner: its origin
   * may send state-changing requests with the session cookie, and https makes the cookie Secure.
   */
  publicUrl?: string;
  /** Serve HTTPS with this certificate (chain) and key, both PEM files, read again when they change. */
  tls?: { certFile: string; keyFile: string };
  /**
   * The longest a cached token lookup or folder of secrets is served without reading the store again, even when
   * no change notification arrived (the bound on staleness if the store listener dies unnoticed).
   */
  cacheMaxAgeSeconds: number;
  /** Change-feed stream caps on this runner (unset: the defaults of api/events.ts). */
  feed?: Pick<FeedLimits, "maxStreamsPerToken" | "maxStreamsPerIdentity" | "maxStreams">;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankless = keysFromFile(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  const parsed = envSchema.safeParse(blankless);
  if (!parsed.success) {
    // Never echo values: a bad key or token must not end up in a log.
    const fields = zodIssues(parsed.error).map((i) => `${i.path} ${i.message}`);
    throw new AppError("BadRequest", `Invalid configuration: ${fields.join("; ")}`, { details: fields });
  }
  const e = parsed.data;
  if (e.PGROTATE_ENCRYPTION_KEY && e.PGROTATE_ENCRYPTION_KEYS) {
    throw new AppError(
      "BadRequest",
      "Invalid configuration: PGROTATE_ENCRYPTION_KEY and PGROTATE_ENCRYPTION_KEYS are both set; keep one: PGROTATE_ENCRYPTION_KEYS " +
        "(the keyring, newest first, with the key of PGROTATE_ENCRYPTION_KEY among them) or PGROTATE_ENCRYPTION_KEY (one key)",
    );
  }
  if (e.PGROTATE_DATABASE_URL && !e.PGROTATE_ENCRYPTION_KEY && !e.PGROTATE_ENCRYPTION_KEYS) {
    throw new AppError(
      "BadRequest",
      "Invalid configuration: PGROTATE_ENCRYPTION_KEY (or PGROTATE_ENCRYPTION_KEYS) is required with an external store (PGROTATE_DATABASE_URL); " +
        "generate one with: openssl rand -base64 32",
    );
  }
  if ((e.PGROTATE_TLS_CERT_FILE === undefined) !== (e.PGROTATE_TLS_KEY_FILE === undefined)) {
    throw new AppError("BadRequest", "Invalid configuration: PGROTATE_TLS_CERT_FILE and PGROTATE_TLS_KEY_FILE go together (HTTPS needs both the certificate and its key)");
  }
  if (e.PGROTATE_WEBHOOK_URL && !e.PGROTATE_WEBHOOK_SECRET) {
    throw new AppError("BadRequest", "Invalid configuration: PGROTATE_WEBHOOK_SECRET is required with PGROTATE_WEBHOOK_URL (events are signed)");
  }
  return {
    host: e.PGROTATE_HOST,
    port: e.PGROTATE_PORT,
    dataDir: path.resolve(e.PGROTATE_DATA_DIR),
    databaseUrl: e.PGROTATE_DATABASE_URL,
    encryptionKeys: e.PGROTATE_ENCRYPTION_KEYS ?? (e.PGROTATE_ENCRYPTION_KEY ? [Buffer.from(e.PGROTATE_ENCRYPTION_KEY, "base64")] : undefined),
    adminToken: e.PGROTATE_ADMIN_TOKEN,
    tickSeconds: e.PGROTATE_TICK_SECONDS,
    concurrency: e.PGROTATE_CONCURRENCY,
    leaseSeconds: e.PGROTATE_LEASE_SECONDS,
    authFailuresPerMinute: e.PGROTATE_AUTH_FAILURES_PER_MINUTE,
    webhook: e.PGROTATE_WEBHOOK_URL ? { url: e.PGROTATE_WEBHOOK_URL, secret: e.PGROTATE_WEBHOOK_SECRET! } : undefined,
    logLevel: e.PGROTATE_LOG_LEVEL,
    publicUrl: e.PGROTATE_PUBLIC_URL,
    cacheMaxAgeSeconds: e.PGROTATE_CACHE_MAX_AGE_SECONDS,
    tls: e.PGROTATE_TLS_CERT_FILE && e.PGROTATE_TLS_KEY_FILE ? { certFile: path.resolve(e.PGROTATE_TLS_CERT_FILE), keyFile: path.resolve(e.PGROTATE_TLS_KEY_FILE) } : undefined,
    feed: {
      maxStreamsPerToken: e.PGROTATE_FEED_MAX_STREAMS_PER_TOKEN,
      maxStreamsPerIdentity: e.PGROTATE_FEED_MAX_STREAMS_PER_IDENTITY,
      maxStreams: e.PGROTATE_FEED_MAX_STREAMS,
    },
  };
}
