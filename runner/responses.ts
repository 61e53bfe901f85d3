/**
 * Response schemas of the runner API (Infisical's field names). The presenters (api/present.ts) return exactly
 * these types, the OpenAPI document (api/openapi/) is generated from them, and the tests validate the runner's
 * real answers against that document: the three cannot drift apart. Nothing secret is part of these shapes
 * but the ones that exist to hand a secret out (generated credentials, raw secrets, a created token's secret).
 */
import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "./errors";
import { DIFFERENCE_KINDS } from "./postgres/pair-check";
import { passwordRequirementsSchema, ROTATION_STATUSES, rotationWindowSchema, timeOfDaySchema } from "./schemas";

const timestamp = z.iso.datetime().meta({ description: "A time in UTC (ISO 8601)", example: "2026-11-25T00:00:00.000Z" });
const uuid = z.uuid();
const permission = z.enum(["read", "manage"]).meta({ description: "`read`: rotations and secrets in scope; `manage`: also change, rotate, delete and read generated credentials" });

const managedBy = z
  .enum(["pulumi", "terraform"])
  .nullable()
  .meta({ description: "pgrotate extension: the IaC provider that created or last updated it (sent as X-Pgrotate-Managed-By), else null" });

export const connectionSchema = z
  .object({
    id: uuid,
    name: z.string(),
    description: z.string().nullable(),
    orgId: uuid.meta({ description: "pgrotate has one tenant: the same organization id for every connection" }),
    projectId: z.null().meta({ description: "Connections belong to no project" }),
    gatewayId: z.null(),
    app: z.literal("postgres"),
    method: z.literal("username-and-password"),
    version: z.number().int().meta({ description: "Incremented by every change" }),
    isPlatformManagedCredentials: z.literal(false),
    credentials: z
      .object({
        host: z.string(),
        port: z.number().int(),
        database: z.string(),
        username: z.string().meta({ description: "The connection role (its password is never returned)" }),
        sslEnabled: z.boolean(),
        sslRejectUnauthorized: z.boolean(),
        sslCertificate: z.string().optional().meta({ description: "PEM CA the target is verified with; absent = the system trust store" }),
      })
      .meta({ description: "Where and as whom the runner connects; never the password" }),
    managedBy,
    allowedScopes: z
      .array(
        z
          .object({
            projectId: z.string(),
            environment: z.string().nullable().meta({ description: "null = every environment" }),
            secretPath: z.string().nullable().meta({ description: "A folder and its subfolders; null = every path" }),
          })
          .meta({ id: "AllowedScopeEntry" }),
      )
      .meta({
        description:
          "pgrotate extension: the scopes whose tokens may use this connection for rotations in their folders; empty = unscoped tokens only. " +
          "A scoped token sees only the connections granted somewhere in its scope.",
      }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "AppConnection", description: "A PostgreSQL connection the runner rotates through" });

const timeOfDay = timeOfDaySchema.meta({ id: "TimeOfDay", description: "A time of day, whole hours and minutes" });

export const rotationSchema = z
  .object({
    id: uuid,
    name: z.string(),
    description: z.string().nullable(),
    type: z.literal("postgres-credentials"),
    projectId: z.string(),
    connectionId: uuid,
    connection: z.object({ app: z.literal("postgres"), name: z.string(), id: uuid }),
    environment: z.object({ slug: z.string(), name: z.string(), id: uuid }),
    folderId: uuid,
    folder: z.object({ id: uuid, path: z.string() }),
    isAutoRotationEnabled: z.boolean(),
    rotationInterval: z.number().int().meta({ description: "Days between rotations" }),
    rotateAtUtc: timeOfDay.nullable().meta({ description: "Time of day in UTC; null when the rotation is scheduled with rotateAt + timeZone" }),
    rotateAt: timeOfDay,
    timeZone: z.string().meta({ description: "IANA time zone of rotateAt", example: "UTC" }),
    activeIndex: z.union([z.literal(0), z.literal(1)]).meta({ description: "Which user's credentials are active: 0 = username1, 1 = username2" }),
    rotationStatus: z.enum(ROTATION_STATUSES).meta({
      description:
        "drifted (pgrotate extension): a stored password no longer logs in and was not repaired (see driftRepair; lastRotationMessage says which user). " +
        "held (pgrotate extension): a scheduled rotation waits because someone still uses the user it would change (see heldSince, heldBy, maxHoldHours)",
    }),
    lastRotationAttemptedAt: timestamp.nullable(),
    lastRotatedAt: timestamp.nullable(),
    lastRotationJobId: uuid.nullable(),
    nextRotationAt: timestamp.nullable().meta({ description: "null when auto-rotation is off" }),
    isLastRotationManual: z.boolean(),
    lastRotationMessage: z.string().nullable().meta({ description: "The redacted reason of the last failure (at most 1024 characters)" }),
    parameters: z.object({
      username1: z.string(),
      username2: z.string(),
      passwordRequirements: passwordRequirementsSchema.optional(),
    }),
    secretsMapping: z.object({ username: z.string(), password: z.string() }).meta({ description: "Names of the secrets applications read" }),
    managedBy,
    driftRepair: z.enum(["reapply", "rotate", "off"]).meta({
      description: "pgrotate extension: when a stored password no longer logs in — reapply it on the user, run a fresh rotation, or only report (status drifted)",
    }),
    driftCheckedAt: timestamp.nullable().meta({ description: "pgrotate extension: when both stored passwords last logged in (checked daily, at start after a restore, and on POST …/check)" }),
    rotationWindow: rotationWindowSchema.nullable().meta({
      description: "pgrotate extension: when the rotation may run, in its timeZone; null: any time. nextRotationAt is already inside it",
    }),
    maxHoldHours: z.number().int().meta({ description: "pgrotate extension: the longest a scheduled rotation is held while someone still uses the user it would change (0 = never hold)" }),
    heldSince: timestamp.nullable().meta({ description: "pgrotate extension: when the current hold began; null when not held" }),
    heldBy: z.string().nullable().meta({ description: "pgrotate extension: who was still on the user at the last check (applications, addresses, counts); null when not held" }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "SecretRotation", description: "A PostgreSQL Credentials rotation (dual-user)" });

export const driftReportSchema = z
  .object({
    rotationId: uuid,
    result: z.enum(["ok", "repaired", "rotated", "drifted", "unreachable", "skipped"]).meta({
      description: "ok: both stored passwords log in; repaired: reapplied and proven; rotated: a fresh rotation ran; drifted: reported, not repaired; unreachable: the target did not answer; skipped: a rotation of it is unfinished",
    }),
    users: z.array(
      z.object({ username: z.string(), state: z.enum(["ok", "rejected", "dropped", "unknown"]), repaired: z.boolean() }),
    ),
    message: z.string().nullable(),
    checkedAt: timestamp,
  })
  .meta({ id: "DriftReport", description: "What a drift check found and did; never a password" });

export const usageSchema = z
  .object({
    checkedAt: timestamp,
    users: z.array(
      z.object({
        username: z.string(),
        active: z.boolean().meta({ description: "The user whose credentials the mapped secrets hold now" }),
        sessions: z.object({
          count: z.number().int().meta({ description: "Its sessions on the target (pgrotate's own left out)" }),
          hidden: z.number().int().meta({ description: "Of those, the sessions whose details the connection role cannot see (grant it pg_monitor)" }),
          clients: z.array(
            z.object({
              applicationName: z.string().nullable(),
              clientAddr: z.string().nullable().meta({ description: "null: a local socket, or hidden" }),
              count: z.number().int(),
              since: timestamp.nullable().meta({ description: "The earliest session's start; null when hidden" }),
              visible: z.boolean().meta({ description: "false: the connection role cannot see these sessions' details" }),
            }),
          ),
        }),
        consumers: z
          .array(z.object({ appName: z.string(), instanceId: z.string(), lastSeenAt: timestamp }))
          .meta({ description: "Registered consumers (pgrotate/pg pools) that reported using this user" }),
      }),
    ),
    error: z.string().optional().meta({ description: "Why who uses the users could not be read (the target did not answer); users is then empty" }),
  })
  .meta({ id: "RotationUsage", description: "pgrotate extension: who uses each of the rotation's two users, read on the target when asked (include=usage)" });

export const historyEntrySchema = z
  .object({
    id: z.string().meta({ description: "Increasing number, as text" }),
    jobId: uuid.nullable(),
    attempt: z.number().int(),
    trigger: z.string().meta({ description: "create, manual, scheduled, recovery or drift-check", example: "scheduled" }),
    result: z.enum(["success", "failed"]),
    targetIndex: z.number().int().min(0).max(1).nullable().meta({ description: "The user whose password the attempt changed" }),
    runnerId: z.string(),
    startedAt: timestamp,
    finishedAt: timestamp,
    durationMs: z.number().int(),
    message: z.string().nullable().meta({ description: "Redacted failure reason; for a success that ends a hold, who held it (and whether the hold ran out)" }),
    nextAttemptAt: timestamp.nullable(),
  })
  .meta({ id: "RotationAttempt", description: "One attempt of a rotation (newest first)" });

export const generatedCredentialsSchema = z
  .object({
    generatedCredentials: z
      .array(z.object({ username: z.string(), password: z.string() }))
      .min(1)
      .max(2)
      .meta({
        description:
          "username1's and username2's current credentials (a create that failed part-way and was kept: only the users whose password it set)",
      }),
    activeIndex: z.union([z.literal(0), z.literal(1)]),
    rotationId: uuid,
    type: z.literal("postgres-credentials"),
  })
  .meta({ id: "GeneratedCredentials" });

const scope = z
  .object({ projectId: z.string().nullable(), environment: z.string().nullable(), secretPath: z.string().nullable() })
  .meta({ id: "Scope", description: "What a token or identity may reach; null = any. A path covers its subfolders." });

export const consoleSessionSchema = z
  .object({
    kind: z.enum(["admin", "token", "identity"]),
    actor: z.string().meta({ description: 'As the audit log names it: "admin", "token:<id>" or "identity:<id>"', example: "admin" }),
    permission,
    scope,
    createdAt: timestamp.nullable().meta({ description: "When the session was signed in; null when the caller used a bearer token" }),
    expiresAt: timestamp.nullable().meta({ description: "The session's absolute end: 12 hours after sign-in, or its token's expiry if sooner" }),
    idleExpiresAt: timestamp.nullable().meta({ description: "When the session ends if it is not used before (1 hour after its last use)" }),
  })
  .meta({ id: "ConsoleSession", description: "Who is signed in to the web console, with that token's permission and scope (pgrotate extension)" });

export const tokenSchema = z
  .object({
    id: uuid,
    name: z.string(),
    identityId: uuid.nullable().meta({ description: "Set for an identity's access token" }),
    permission,
    scope,
    expiresAt: timestamp.nullable(),
    revokedAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "Token", description: "A scoped token (its secret is shown once, at creation)" });

export const identitySchema = z
  .object({
    id: uuid,
    name: z.string(),
    clientId: uuid,
    permission,
    scope,
    accessTokenTTL: z.number().int(),
    accessTokenMaxTTL: z.number().int(),
    revokedAt: timestamp.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "MachineIdentity", description: "A machine identity (universal auth); its client secret is shown once" });

export const auditLogSchema = z
  .object({
    id: z.string(),
    at: timestamp,
    actor: z.string().meta({ description: '"admin", "token:<id>", "identity:<id>" or "anonymous"' }),
    action: z.string().meta({ example: "rotation.rotate" }),
    resourceType: z.string().nullable(),
    resourceId: z.string().nullable(),
    projectId: z.string().nullable(),
    environment: z.string().nullable(),
    secretPath: z.string().nullable(),
    status: z.number().int().meta({ description: "HTTP status of the answer" }),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable().meta({ description: "Secret names, counts, options; never a value" }),
  })
  .meta({ id: "AuditLog" });

export const rawSecretSchema = z
  .object({
    id: uuid,
    _id: uuid,
    workspace: z.string().meta({ description: "The project id" }),
    environment: z.string(),
    secretPath: z.string(),
    secretKey: z.string(),
    secretValue: z.string(),
    secretComment: z.string(),
    secretValueHidden: z.literal(false),
    version: z.number().int(),
    type: z.literal("shared"),
    tags: z.array(z.string()).max(0),
    secretMetadata: z.array(z.unknown()).max(0),
    isRotatedSecret: z.boolean().meta({ description: "True while a rotation maps this secret" }),
    rotationId: uuid.nullable(),
    secretReminderNote: z.null(),
    secretReminderRepeatDays: z.null(),
    skipMultilineEncoding: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "RawSecret", description: "Infisical's raw secret: a mapped secret of a rotation, opened" });

/** A live consumer of a folder (GET /api/v1/consumers). */
export const consumerSchema = z
  .object({
    instanceId: z.string().meta({ description: "One running instance of the application" }),
    appName: z.string().meta({ description: "The application's name", example: "billing-app" }),
    usernames: z.array(z.string()).meta({ description: "The database users it logs in as and still holds connections of", example: ["app_user_1"] }),
    firstSeenAt: timestamp.meta({ description: "Its first heartbeat since it was last forgotten (the store's clock)" }),
    lastSeenAt: timestamp.meta({ description: "Its last heartbeat (the store's clock)" }),
    reportedBy: z.string().meta({ description: 'Who sent that heartbeat: "admin", "token:<id>" or "identity:<id>"' }),
  })
  .strict()
  .meta({ id: "Consumer" });

export const loginResultSchema = z
  .object({
    accessToken: z.string(),
    expiresIn: z.number().int().meta({ description: "Seconds" }),
    accessTokenMaxTTL: z.number().int(),
    tokenType: z.literal("Bearer"),
  })
  .meta({ id: "UniversalAuthLogin" });

const counts = {
  rotations: z.number().int(),
  failing: z.number().int().meta({ description: "Rotations whose last attempt failed" }),
  overdue: z.number().int().meta({ description: "Enabled rotations past due by more than max(60 s, 3 ticks), but for those of frozen projects" }),
  intents: z.number().int().meta({ description: "Rotations with a password change in flight" }),
  drifted: z.number().int().meta({ description: "Rotations whose stored password no longer logs in and was not repaired (status drifted)" }),
};

/** Whether the store's change notifications arrive (down: caches bypassed, the scheduler on its tick). */
const notifications = {
  notifications: z.enum(["live", "down"]).meta({ description: "The store listener: down means caches are bypassed (answers stay exact) and the scheduler relies on its tick" }),
  notificationsDownSince: timestamp.optional().meta({ description: "Since when the listener has been down" }),
};
export const readySchema = z.object({ status: z.literal("ready"), store: z.literal("ok"), ...counts, ...notifications }).meta({ id: "Ready" });
export const notReadySchema = z
  .object({ status: z.literal("not ready"), reason: z.string(), ...z.object({ ...counts, ...notifications }).partial().shape })
  .meta({ id: "NotReady" });
export const healthSchema = z.object({ status: z.literal("ok") }).meta({ id: "Health" });

// ---- the app side: pair check, server version, change feed

export const pairDifferenceSchema = z
  .object({
    kind: z.enum(DIFFERENCE_KINDS),
    object: z.string().meta({ description: "What differs", example: "table public.orders" }),
    detail: z.string().meta({ description: "Which user has what, in words" }),
    sql: z.string().meta({ description: "The statement(s) that remove this difference; run as a superuser (or the objects' owner)" }),
  })
  .meta({ id: "PairDifference" });

export const pairCheckReportSchema = z
  .object({
    interchangeable: z.boolean(),
    database: z.string().meta({ description: "The database checked (privileges and owned objects are per database)" }),
    groupRole: z.string().nullable().meta({ description: "The role owned objects move to: the one given, the one NOLOGIN role both users are members of, or a proposed name" }),
    serverVersionNum: z.number().int(),
    differences: z.array(pairDifferenceSchema).meta({ description: "Running every sql in order makes the pair interchangeable" }),
  })
  .meta({ id: "PairCheck", description: "Whether the two users of a pair are interchangeable, and what to run when they are not" });

export const pairCheckNotRunSchema = z
  .object({
    interchangeable: z.null(),
    differences: z.array(pairDifferenceSchema).max(0),
    error: z.string().meta({ description: "Why the check could not run (the rotation was created all the same)" }),
  })
  .meta({ id: "PairCheckNotRun" });

export const serverVersionSchema = z
  .object({ serverVersion: z.string().meta({ example: "17.6" }), serverVersionNum: z.number().int().meta({ example: 170006 }), major: z.number().int().meta({ example: 17 }) })
  .meta({ id: "ServerVersion" });

export const secretChangedSchema = z
  .object({
    id: z.string().meta({ description: "The change's number, as text (dedupe on it: a change may come twice around a reconnect)" }),
    type: z.literal("secret.changed"),
    rotationId: uuid.nullable(),
    secretKeys: z.array(z.string()).meta({ description: "The names of the secrets that changed; never a value" }),
    projectId: z.string(),
    environment: z.string(),
    secretPath: z.string(),
    occurredAt: timestamp,
  })
  .meta({ id: "SecretChanged", description: "The data of a `secret.changed` event of the change feed" });

// ---- encryption keys (admin): values per key id, and the rekey

export const rekeyProgressSchema = z
  .object({
    status: z.enum(["running", "finished", "failed", "stopped"]).meta({ description: "finished: every value is on the newest key; stopped: the runner stopped first (run it again)" }),
    keyId: z.string().meta({ description: "The key values are re-sealed with (the newest)", example: "3f9a1c2b" }),
    batchSize: z.number().int().meta({ description: "Values per transaction" }),
    startedAt: timestamp,
    finishedAt: timestamp.nullable(),
    resealed: z.number().int().meta({ description: "Values re-sealed with the newest key so far" }),
    unopenable: z.number().int().meta({ description: "Values that open with no key (left as they are; message names them)" }),
    remaining: z.number().int().nullable().meta({ description: "Values still on another key when it ended; null while running" }),
    message: z.string().nullable(),
  })
  .meta({ id: "RekeyProgress", description: "The last rekey this runner ran (it keeps running in the background)" });

export const keysSchema = z
  .object({
    newestKeyId: z.string().meta({ description: "The key that seals: the first of PGROTATE_ENCRYPTION_KEYS", example: "3f9a1c2b" }),
    keys: z
      .array(
        z.object({
          keyId: z.string().meta({ description: "8 hex characters derived from the key (never the key), or v1 for values sealed before key ids", example: "3f9a1c2b" }),
          status: z.enum(["newest", "older", "missing", "v1"]).meta({ description: "newest: seals; older: in the keyring, only opens; missing: not in this runner's keyring; v1: sealed before key ids" }),
          sealedValues: z.number().int(),
          byColumn: z.record(z.string(), z.number().int()).meta({ description: "Sealed values per store column", example: { "credentials.password_sealed": 2, "secrets.value_sealed": 2 } }),
        }),
      )
      .meta({ description: "The keyring's keys (newest first), then any other key id a stored value names" }),
    notOnNewest: z.number().int().meta({ description: "Values a rekey would re-seal" }),
    rekey: rekeyProgressSchema.nullable().meta({ description: "This runner's last rekey; null when it ran none since it started" }),
  })
  .meta({ id: "EncryptionKeys", description: "The keyring (ids only) and how many stored values each key seals" });

// ---- errors: { statusCode, error, message, details? } with each code's details

const fieldIssues = z.array(z.object({ path: z.string(), message: z.string() })).meta({ id: "FieldIssues", description: "One entry per failing field" });

/** The `details` each error code may carry (absent for the others). */
const ERROR_DETAILS: Partial<Record<ErrorCode, z.ZodType>> = {
  ValidationError: fieldIssues,
  PrecheckFailed: z
    .object({ missing: z.array(z.string()), sql: z.array(z.string()).meta({ description: "The statements to run as a superuser" }) })
    .optional(),
  GracePeriod: z.object({ reason: z.literal("grace-period"), allowedAt: timestamp }),
  OutsideRotationWindow: z.object({ nextOpening: timestamp.nullable().meta({ description: "When the rotation window opens next (null: never again)" }) }),
  ProjectFrozen: z.object({ reason: z.string().meta({ description: "Why the project is frozen" }), since: timestamp }),
  RetiringUserInUse: z.object({
    reason: z.literal("retiring-user-in-use"),
    username: z.string().meta({ description: "The user whose password the rotation would change" }),
    sessions: z.number().int().meta({ description: "Its sessions on the target (pgrotate's own left out)" }),
    hiddenSessions: z.number().int().meta({ description: "Of those, the sessions whose details the connection role cannot see (no pg_monitor)" }),
    applications: z.array(z.object({ applicationName: z.string(), count: z.number().int() })).meta({ description: "Sessions by application_name" }),
    consumers: z.array(z.string()).meta({ description: "App names of the registered consumers (pgrotate/pg pools) still using it" }),
  }),
  LeaseLost: z.object({ rotationId: uuid }),
  Conflict: z
    .union([
      z.object({ taken: z.array(z.string()).meta({ description: "Secret names already used in the folder" }) }),
      z
        .object({ username: z.string(), rotationId: uuid, rotationName: z.string() })
        .meta({ description: "The rotation that already rotates this database user on the same server" }),
    ])
    .optional(),
  RotationFailed: z
    .object({
      rotationId: uuid,
      changedUsers: z.array(z.string()).meta({ description: "The users whose password the failed create had already changed" }),
      rotationKept: z.literal(true),
    })
    .optional()
    .meta({ description: "A create that failed after it changed a password: the rotation is kept (status failed) with the passwords it set" }),
  StoreUnavailable: z
    .object({ rotationId: uuid, pendingCompletion: z.literal(true) })
    .optional()
    .meta({ description: "A create interrupted by the outage: the runner finishes it once the store answers" }),
};

const ERROR_DESCRIPTIONS: Record<ErrorCode, string> = {
  BadRequest: "Malformed JSON, a NUL character, bad percent-encoding or an unsupported body encoding",
  Unauthorized: "No token, or an invalid, expired or revoked one",
  Forbidden: "The token's permission or scope does not cover this",
  NotFound: "No such resource (or route)",
  Conflict: "A name is taken, the resource is in use or busy",
  PayloadTooLarge: "The body exceeds 64 kB",
  TooManyRequests: "Too many failed authentications from this address in a minute, or an event-stream cap (change feed, project events, rotation status) reached (with Retry-After)",
  ValidationError: "A field is invalid (details lists each)",
  PrecheckFailed: "The target refused: a missing right (details holds the SQL to grant it), a login or TLS failure",
  GracePeriod: "The rotation would change a password consumers may still hold (retry after allowedAt, or ?force=true)",
  OutsideRotationWindow: "A manual rotation outside the rotation's window (retry at nextOpening, or ?force=true)",
  ProjectFrozen: "A manual rotation in a frozen project (unfreeze it, or ?force=true)",
  RetiringUserInUse: "Someone still uses the user whose password the rotation would change (details names them); stop them or retry with ?force=true",
  LeaseLost: "Another runner took the rotation over while this one worked on it (a slow target or store): nothing more was done here; the other runner finishes it",
  TargetUnavailable: "The target database cannot be reached",
  RotationFailed: "The rotation failed; the active credentials are untouched",
  StoreUnavailable: "The runner's store is unavailable; retry shortly",
  Internal: "Unexpected; see the runner log",
};

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** One schema per code (each a component of the document: built once). */
const ERROR_SCHEMAS = new Map<ErrorCode, z.ZodType>(
  ERROR_CODES.map((code) => {
    const details = ERROR_DETAILS[code];
    const schema = z
      .object({
        statusCode: z.literal(ERROR_STATUS[code]),
        error: z.literal(code),
        message: z.string().meta({ description: "Written for people; never holds a secret" }),
        ...(details ? { details } : {}),
      })
      .meta({ id: `${code}Error`, description: ERROR_DESCRIPTIONS[code] });
    return [code, schema];
  }),
);

const byStatus = new Map<number, z.ZodType>();

/** The error body of one HTTP status: one shape per code that answers with it. */
export function errorSchemaFor(status: number): z.ZodType {
  let schema = byStatus.get(status);
  if (!schema) {
    const shapes = ERROR_CODES.filter((c) => ERROR_STATUS[c] === status).map((c) => ERROR_SCHEMAS.get(c)!);
    if (!shapes.length) throw new Error(`No error code answers ${status}`);
    schema = shapes.length === 1 ? shapes[0] : z.union(shapes);
    byStatus.set(status, schema);
  }
  return schema;
}

export const errorCodeDescription = (code: ErrorCode): string => ERROR_DESCRIPTIONS[code];

export type ApiConnection = z.infer<typeof connectionSchema>;
export type ApiRotation = z.infer<typeof rotationSchema>;
export type ApiHistoryEntry = z.infer<typeof historyEntrySchema>;
export type ApiUsage = z.infer<typeof usageSchema>;
export type DriftReportBody = z.infer<typeof driftReportSchema>;
export type ApiToken = z.infer<typeof tokenSchema>;
export type ApiIdentity = z.infer<typeof identitySchema>;
export type ApiAuditLog = z.infer<typeof auditLogSchema>;
export type ApiConsoleSession = z.infer<typeof consoleSessionSchema>;
export type RawSecret = z.infer<typeof rawSecretSchema>;
export type ApiConsumer = z.infer<typeof consumerSchema>;
export type GeneratedCredentials = z.infer<typeof generatedCredentialsSchema>;
export type LoginResult = z.infer<typeof loginResultSchema>;
export type Readiness = z.infer<typeof readySchema> | z.infer<typeof notReadySchema>;
export type PairCheckReport = z.infer<typeof pairCheckReportSchema>;
export type PairCheckOutcome = PairCheckReport | z.infer<typeof pairCheckNotRunSchema>;
export type ServerVersion = z.infer<typeof serverVersionSchema>;
export type SecretChangedEvent = z.infer<typeof secretChangedSchema>;
export type ApiKeys = z.infer<typeof keysSchema>;
export type ApiRekeyProgress = z.infer<typeof rekeyProgressSchema>;
