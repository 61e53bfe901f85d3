import path from "node:path";
import { z } from "zod";
import type { FeedLimits } from "./api/events";
import { AppError, zodIssues } from "./errors";
import { encryptionKeysSchema } from "./crypto/keys-setting";
import { readSecretFile } from "./secret-file";
import { DEFAULT_CONSUMER_TIMEOUT_SECONDS } from "./services/consumers";

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
  PGROTATE_CONSUMER_TIMEOUT_SECONDS: z.coerce.number().int("must be a whole number of seconds").min(1).max(86400).default(DEFAULT_CONSUMER_TIMEOUT_SECONDS),
});

type VariableName = keyof typeof envSchema.shape;

interface VariableDoc {
  meaning: string;
  /** The default when the schema has none to show (what happens when the variable is unset). */
  unset?: string;
  /** The setting is a secret: `<NAME>_FILE` may name a file holding it instead. */
  fromFile?: true;
}

/**
 * What each variable of the schema means: `pgrotate serve --help` prints this table, and a test holds the table of
 * docs/configuration.md to it. A variable added to the schema does not compile without its line here.
 */
const VARIABLE_DOCS: Record<VariableName, VariableDoc> = {
  PGROTATE_HOST: { meaning: "bind address; 0.0.0.0 in a container" },
  PGROTATE_PORT: { meaning: "port to listen on; 0 = any free port" },
  PGROTATE_DATA_DIR: { meaning: "embedded store, generated key, token and runner id" },
  PGROTATE_DATABASE_URL: { meaning: "external PostgreSQL store (postgres:// URL)", unset: "embedded PostgreSQL in the data dir", fromFile: true },
  PGROTATE_ENCRYPTION_KEY: {
    meaning: "base64 of 32 bytes sealing every stored secret; required with an external store; make one with openssl rand -base64 32",
    unset: "generated into <data dir>/encryption.key",
    fromFile: true,
  },
  PGROTATE_ENCRYPTION_KEYS: {
    meaning: "the keyring instead of PGROTATE_ENCRYPTION_KEY: base64 keys of 32 bytes, comma- or newline-separated, newest first; the newest seals, every one opens (key rotation: pgrotate rekey)",
    unset: "PGROTATE_ENCRYPTION_KEY alone",
    fromFile: true,
  },
  PGROTATE_ADMIN_TOKEN: { meaning: "bearer token with every right (at least 24 characters)", unset: "generated into <data dir>/admin.token", fromFile: true },
  PGROTATE_TICK_SECONDS: { meaning: "scheduler tick, whole seconds" },
  PGROTATE_CONCURRENCY: { meaning: "rotations this runner runs at once" },
  PGROTATE_AUTH_FAILURES_PER_MINUTE: { meaning: "failed authentications per client address per minute before 429" },
  PGROTATE_LEASE_SECONDS: { meaning: "how long a claimed rotation belongs to a runner before others may take it over" },
  PGROTATE_WEBHOOK_URL: { meaning: "POST rotation events here (http or https)" },
  PGROTATE_WEBHOOK_SECRET: { meaning: "HMAC-SHA256 signing secret of the webhook, at least 16 characters; required with the URL", fromFile: true },
  PGROTATE_LOG_LEVEL: { meaning: `log level: ${LOG_LEVELS.join(", ")}` },
  PGROTATE_TLS_CERT_FILE: {
    meaning: "PEM certificate chain: the runner serves HTTPS (TLS 1.2+) and reads the pair again every 5 s; with PGROTATE_TLS_KEY_FILE",
    unset: "plain HTTP (TLS at a proxy)",
  },
  PGROTATE_TLS_KEY_FILE: { meaning: "PEM private key of PGROTATE_TLS_CERT_FILE", unset: "plain HTTP (TLS at a proxy)" },
  PGROTATE_PUBLIC_URL: { meaning: "where users open the web console behind a TLS-terminating proxy" },
  PGROTATE_CACHE_MAX_AGE_SECONDS: { meaning: "longest a cached token lookup or folder of secrets is served without reading the store (1-30)" },
  PGROTATE_FEED_MAX_STREAMS_PER_TOKEN: { meaning: "open event streams (change feed, project events, rotation status) one token may hold on this runner", unset: "10" },
  PGROTATE_FEED_MAX_STREAMS_PER_IDENTITY: { meaning: "open event streams one machine identity may hold on this runner", unset: "100" },
  PGROTATE_FEED_MAX_STREAMS: { meaning: "open event streams on this runner, of everyone together", unset: "1000" },
  PGROTATE_CONSUMER_TIMEOUT_SECONDS: {
    meaning: "a consumer (a pgrotate/pg pool reporting the users it uses) that has not reported for this long is forgotten; keep it above 2 of its heartbeats (default 30 s)",
  },
};

export interface ConfigVariable {
  name: string;
  meaning: string;
  default: string;
}

/** Every environment variable the runner reads, in the schema's order, each secret one followed by its `_FILE` form. */
export function configVariables(): ConfigVariable[] {
  return (Object.keys(envSchema.shape) as VariableName[]).flatMap((name) => {
    const doc = VARIABLE_DOCS[name];
    const field = envSchema.shape[name];
    const fallback = field instanceof z.ZodDefault ? String(field.def.defaultValue) : (doc.unset ?? "unset");
    const variable = { name, meaning: doc.meaning, default: fallback };
    if (!doc.fromFile) return [variable];
    return [variable, { name: `${name}_FILE`, meaning: `a file holding ${name} (one trailing newline ignored); not with ${name}`, default: "unset" }];
  });
}

const FROM_FILE = (Object.keys(VARIABLE_DOCS) as VariableName[]).filter((name) => VARIABLE_DOCS[name].fromFile);

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
  /** Event-stream caps (change feed, project events, rotation status, counted together) on this runner (unset: the defaults of api/events.ts). */
  feed?: Pick<FeedLimits, "maxStreamsPerToken" | "maxStreamsPerIdentity" | "maxStreams">;
  /** A consumer not heard from for this long is forgotten (unset: 90). */
  consumerTimeoutSeconds?: number;
  /** What loading found worth a warning (a secret file others may read): the runtime logs them once its logger exists. */
  warnings?: string[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankless: Record<string, string | undefined> = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const { problems, warnings, fromFile } = readFileSettings(blankless);
  const parsed = envSchema.safeParse(blankless);
  // Never echo values: a bad key or token must not end up in a log.
  const named = (name: string) => (fromFile.has(name) ? `${name} (read from ${name}_FILE)` : name);
  if (problems.length || !parsed.success) {
    const fields = [...problems, ...(parsed.success ? [] : zodIssues(parsed.error).map((i) => `${named(i.path)} ${i.message}`))];
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
      "Invalid configuration: PGROTATE_ENCRYPTION_KEY (or PGROTATE_ENCRYPTION_KEYS, or their _FILE forms) is required with an external store (PGROTATE_DATABASE_URL); " +
        "generate one with: openssl rand -base64 32",
    );
  }
  if ((e.PGROTATE_TLS_CERT_FILE === undefined) !== (e.PGROTATE_TLS_KEY_FILE === undefined)) {
    throw new AppError("BadRequest", "Invalid configuration: PGROTATE_TLS_CERT_FILE and PGROTATE_TLS_KEY_FILE go together (HTTPS needs both the certificate and its key)");
  }
  if (e.PGROTATE_WEBHOOK_URL && !e.PGROTATE_WEBHOOK_SECRET) {
    throw new AppError(
      "BadRequest",
      "Invalid configuration: PGROTATE_WEBHOOK_SECRET (or PGROTATE_WEBHOOK_SECRET_FILE) is required with PGROTATE_WEBHOOK_URL (events are signed)",
    );
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
    consumerTimeoutSeconds: e.PGROTATE_CONSUMER_TIMEOUT_SECONDS,
    warnings,
  };
}

/**
 * Puts the content of each `<NAME>_FILE` in `env` as `<NAME>`, where the schema validates it like the plain
 * variable. Both forms set, or a file that cannot be read, is a problem naming the variables and the path.
 */
function readFileSettings(env: Record<string, string | undefined>): { problems: string[]; warnings: string[]; fromFile: Set<string> } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const fromFile = new Set<string>();
  for (const name of FROM_FILE) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set; set only one`);
      continue;
    }
    const read = readSecretFile(`${name}_FILE`, file);
    if (!read.ok) {
      problems.push(read.problem);
      continue;
    }
    env[name] = read.value;
    fromFile.add(name);
    if (read.warning) warnings.push(read.warning);
  }
  return { problems, warnings, fromFile };
}

/** The secret values of a configuration, for the scrubber: none of them may ever show in a log line or an error. */
export function configSecrets(config: Config): string[] {
  const secrets = [config.adminToken, ...(config.encryptionKeys ?? []).map((k) => k.toString("base64")), config.webhook?.secret];
  if (config.databaseUrl) {
    secrets.push(config.databaseUrl);
    try {
      secrets.push(decodeURIComponent(new URL(config.databaseUrl).password));
    } catch {
      // Not a URL the WHATWG parser reads: pg will refuse it too, and the whole string is remembered above.
    }
  }
  return secrets.filter((s): s is string => Boolean(s));
}
