/**
 * Request schemas of the runner API (Infisical-compatible shapes). Shared with the IaC providers, whose
 * `check` validates with exactly these, and with the web console, whose forms do: keep this file browser-safe
 * (zod and Intl only; no Node API).
 */
import { z } from "zod";
import { isValidTimeZone } from "./rotation/schedule";
import { parseLocalDate, parseTimeOfDay, WEEKDAYS } from "./rotation/window";

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const slug = (what: string, max = 64) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .regex(SLUG, `${what} must be a slug: lowercase letters, digits and single hyphens (e.g. "my-rotation")`);

/** TextEncoder rather than Buffer: the web console validates with these schemas in the browser. */
const utf8 = new TextEncoder();

/** PostgreSQL identifiers are at most 63 bytes (NAMEDATALEN - 1); longer names are truncated by the server. */
export const pgIdentifier = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .refine((s) => utf8.encode(s).length <= 63, `${what} must be at most 63 bytes (PostgreSQL's identifier limit)`)
    .refine((s) => !s.includes("\0"), `${what} must not contain NUL`);

/**
 * Control characters but the ones that lay text out (tab, line feed, carriage return): C0, DEL and C1. A terminal
 * acts on them (ESC and the C1 CSI start escape sequences), so free text that people read refuses them.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** A description: free text (it may span lines) of at most 256 characters, without control characters. */
const descriptionSchema = z
  .string()
  .max(256, "description must be at most 256 characters")
  .refine((s) => !CONTROL_CHARACTER.test(s), "description must not contain control characters (such as ESC, which starts terminal escape sequences)")
  .nullish();

const secretKey = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(128, `${what} must be at most 128 characters`)
    .regex(/^[^:/\s]+$/, `${what} must not contain ':', '/' or whitespace`);

export const secretPathSchema = z
  .string()
  .max(256)
  .regex(/^\/(?:[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*)?\/?$/, 'secretPath must look like "/" or "/app/db"')
  .transform((p) => (p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p));

export const timeOfDaySchema = z
  .object({
    hours: z.number().int("hours must be a whole number").min(0).max(23),
    minutes: z.number().int("minutes must be a whole number").min(0).max(59),
  })
  .strict();

const PRINTABLE_SYMBOL = /^[!-/:-@[-`{-~]+$/;

export const passwordRequirementsSchema = z
  .object({
    length: z.number().int().min(1).max(250),
    required: z
      .object({
        digits: z.number().int().min(0),
        lowercase: z.number().int().min(0),
        uppercase: z.number().int().min(0),
        symbols: z.number().int().min(0),
      })
      .strict(),
    allowedSymbols: z
      .string()
      .min(1)
      .regex(PRINTABLE_SYMBOL, "allowedSymbols must hold printable ASCII symbols only (no letters, digits or spaces)")
      .optional(),
  })
  .strict()
  .refine(
    (r) => r.required.digits + r.required.lowercase + r.required.uppercase + r.required.symbols <= r.length,
    { message: "the required character counts add up to more than length", path: ["required"] },
  );

export const projectIdSchema = z.string().min(1, "projectId must not be empty").max(64, "projectId must be at most 64 characters").regex(/^[A-Za-z0-9_-]+$/, "projectId may hold letters, digits, '-' and '_'");

/** At most this many entries in a connection's allowedScopes. */
export const MAX_ALLOWED_SCOPES = 100;

/** One scope allowed to use a connection: a project, and optionally an environment and a folder with its subfolders. */
export const allowedScopeSchema = z
  .object({
    projectId: projectIdSchema,
    environment: slug("environment", 64).nullish().meta({ description: "null or absent = every environment" }),
    secretPath: secretPathSchema.nullish().meta({ description: 'A folder and its subfolders; null or absent = every path', example: "/team-a" }),
  })
  .strict()
  .meta({ id: "AllowedScope", description: "Tokens scoped inside it may use the connection for rotations in its folders" });

/** The same scope written twice (after "/app/" is read as "/app") is refused rather than silently merged. */
const scopeKey = (s: z.infer<typeof allowedScopeSchema>) => JSON.stringify([s.projectId, s.environment ?? null, s.secretPath ?? null]);

export const allowedScopesSchema = z
  .array(allowedScopeSchema)
  .max(MAX_ALLOWED_SCOPES, `allowedScopes must have at most ${MAX_ALLOWED_SCOPES} entries`)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((s, i) => {
      const first = seen.get(scopeKey(s));
      if (first === undefined) seen.set(scopeKey(s), i);
      else ctx.addIssue({ code: "custom", path: [i], message: `allowedScopes[${i}] repeats allowedScopes[${first}]` });
    });
  })
  .meta({
    description:
      "pgrotate extension: the scopes whose tokens may use this connection for rotations in their folders (a path covers its " +
      "subfolders). Empty (the default): only unscoped tokens may use it. Only an unscoped manage token may change it.",
  });

const credentialsShape = {
  host: z.string().min(1).max(255).meta({ description: "Host name or address, as the runner sees it" }),
  port: z.number().int().min(1).max(65535),
  database: z.string().min(1).max(63),
  username: pgIdentifier("username").meta({ description: "The connection role: it changes the two users' passwords" }),
  password: z.string().min(1).max(1024).meta({ description: "Stored sealed (AES-256-GCM); never returned" }),
  sslEnabled: z.boolean().optional().meta({ description: "TLS that verifies the server (no fallback to plaintext); default false" }),
  sslRejectUnauthorized: z.boolean().optional().meta({ description: "Default true" }),
  /** PEM CA certificate(s) to verify the server with; null or absent = the system trust store. */
  sslCertificate: z.string().max(65536).nullish().meta({ description: "PEM CA certificate(s) to verify the server with; null or absent = the system trust store" }),
};

export const createConnectionSchema = z
  .object({
    name: slug("name", 64),
    description: descriptionSchema,
    method: z.literal("username-and-password").default("username-and-password"),
    credentials: z.object(credentialsShape).strict(),
    projectId: z.string().optional(),
    isPlatformManagedCredentials: z.literal(false).optional(),
    allowedScopes: allowedScopesSchema.optional(),
  })
  .strict()
  .meta({ id: "CreateAppConnectionRequest", description: "Unknown fields are rejected (422)" });

export const updateConnectionSchema = z
  .object({
    name: slug("name", 64).optional(),
    description: descriptionSchema,
    method: z.literal("username-and-password").optional(),
    credentials: z
      .object({ ...credentialsShape, password: credentialsShape.password.optional() })
      .partial()
      .strict()
      .optional(),
    allowedScopes: allowedScopesSchema.optional().meta({ description: "Replaces the whole list; left out, the list is kept" }),
  })
  .strict()
  .meta({ id: "UpdateAppConnectionRequest", description: "A field left out keeps its value" });

/** Retirement hold (issue 25): the default and the largest maxHoldHours. */
export const DEFAULT_MAX_HOLD_HOURS = 24;
export const MAX_HOLD_HOURS = 720;
// ---- rotation windows (rotation/window.ts): when a rotation may run

/** At most this many blackout ranges in a rotation window. */
export const MAX_BLACKOUTS = 100;

const localDateSchema = (what: string) =>
  z.string().refine((s) => parseLocalDate(s) !== undefined, `${what} must be a calendar date "YYYY-MM-DD", such as "2026-12-20"`);
const windowTime = (what: string) =>
  z.string().refine((s) => parseTimeOfDay(s) !== undefined, `${what} must be a local time "HH:MM" from 00:00 to 23:59, such as "22:00"`);

export const blackoutSchema = z
  .object({
    from: localDateSchema("from").meta({ description: "First local date of the blackout (inclusive)", example: "2026-12-20" }),
    to: localDateSchema("to").meta({ description: "Last local date of the blackout (inclusive)", example: "2027-01-04" }),
    reason: z
      .string()
      .max(200, "reason must be at most 200 characters")
      .refine((s) => !CONTROL_CHARACTER.test(s), "reason must not contain control characters")
      .nullish()
      .meta({ description: "Why (shown to people)", example: "year-end release freeze" }),
  })
  .strict()
  .refine((b) => parseLocalDate(b.from) === undefined || parseLocalDate(b.to) === undefined || b.from <= b.to, {
    message: "a blackout's from must not be after its to",
    path: ["to"],
  });

export const rotationWindowSchema = z
  .object({
    weekdays: z
      .array(z.enum(WEEKDAYS, { error: `weekdays must be among ${WEEKDAYS.join(", ")}` }))
      .min(1, "weekdays must name at least one day: a window without weekdays never opens")
      .refine((d) => new Set(d).size === d.length, "weekdays must not repeat a day")
      .meta({ description: "The days a range starts on", example: ["mon", "tue", "wed", "thu", "fri"] }),
    startTime: windowTime("startTime").meta({ description: "Local time the range opens, in the rotation's timeZone", example: "22:00" }),
    endTime: windowTime("endTime").meta({
      description: "Local time the range closes (exclusive); not after startTime: it closes the next day (equal: a whole day)",
      example: "05:00",
    }),
    blackouts: z
      .array(blackoutSchema)
      .max(MAX_BLACKOUTS, `blackouts must have at most ${MAX_BLACKOUTS} entries`)
      .default([])
      .meta({ description: "Local date ranges when the window stays closed, whatever range they cut (a night range closes at their first midnight)" }),
  })
  .strict()
  .meta({
    id: "RotationWindow",
    description:
      "pgrotate extension: when the rotation may run, in its timeZone (UTC for rotateAtUtc). A scheduled rotation due outside " +
      "it waits for the next opening (nextRotationAt shows it); a manual one is refused (409 OutsideRotationWindow) unless forced.",
  });
export type RotationWindowInput = z.infer<typeof rotationWindowSchema>;

const rotationFields = {
  name: slug("name", 64),
  description: descriptionSchema,
  connectionId: z.uuid("connectionId must be a UUID").meta({ description: "The app connection that changes the passwords" }),
  projectId: projectIdSchema.default("default").meta({ description: "Project of the folder the secrets live in" }),
  environment: slug("environment", 64).default("dev"),
  secretPath: secretPathSchema.default("/").meta({ description: 'Folder of the secrets; default "/"', example: "/" }),
  isAutoRotationEnabled: z.boolean().default(true).meta({ description: "false: never scheduled (manual rotation still works)" }),
  rotationInterval: z
    .number({ error: "rotationInterval must be a number of days" })
    .int("rotationInterval must be a whole number of days")
    .min(1, "rotationInterval must be at least 1 day")
    .max(3650, "rotationInterval must be at most 3650 days")
    .meta({ description: "Whole days between rotations" }),
  rotateAtUtc: timeOfDaySchema.optional().meta({ description: "Time of day in UTC (default 00:00); or give rotateAt with timeZone" }),
  rotateAt: timeOfDaySchema.optional().meta({ description: "Local time of day in timeZone (with timeZone, instead of rotateAtUtc)" }),
  timeZone: z
    .string()
    .refine(isValidTimeZone, "timeZone must be an IANA time zone such as Europe/Berlin")
    // Stored in its canonical spelling ("utc" -> "UTC").
    .transform((tz) => new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone)
    .optional()
    .meta({ description: "IANA time zone of rotateAt", example: "Europe/Berlin" }),
  parameters: z
    .object({
      username1: pgIdentifier("parameters.username1").meta({ description: "The first login role (active after create)" }),
      username2: pgIdentifier("parameters.username2").meta({ description: "The second login role" }),
      passwordRequirements: passwordRequirementsSchema.optional().meta({ description: "Default: 48 alphanumeric characters" }),
    })
    .strict(),
  secretsMapping: z
    .object({ username: secretKey("secretsMapping.username"), password: secretKey("secretsMapping.password") })
    .strict(),
  driftRepair: z
    .enum(["reapply", "rotate", "off"], { error: 'driftRepair must be "reapply", "rotate" or "off"' })
    .default("reapply")
    .meta({ description: "pgrotate extension: when a stored password no longer logs in (drift), set it on the user again (reapply, default), run a fresh rotation (rotate), or only report it (off)" }),
  rotationWindow: rotationWindowSchema.nullable().default(null).meta({ description: "pgrotate extension: when the rotation may run; null or absent: any time" }),
  // ---- retirement hold (issue 25)
  maxHoldHours: z
    .number({ error: `maxHoldHours must be a whole number of hours from 0 to ${MAX_HOLD_HOURS}` })
    .int(`maxHoldHours must be a whole number of hours from 0 to ${MAX_HOLD_HOURS}`)
    .min(0, "maxHoldHours must be at least 0 (0 = never hold)")
    .max(MAX_HOLD_HOURS, `maxHoldHours must be at most ${MAX_HOLD_HOURS} (30 days)`)
    .default(DEFAULT_MAX_HOLD_HOURS)
    .meta({
      description: `pgrotate extension: while someone still uses the user about to get a new password (sessions on the target, registered consumers), a scheduled rotation is held (status held) and re-checked, at most this many hours; then it proceeds. 0 = never hold. Default ${DEFAULT_MAX_HOLD_HOURS}`,
    }),
};

function checkRotation(
  r: {
    rotateAtUtc?: unknown;
    rotateAt?: unknown;
    timeZone?: unknown;
    parameters?: { username1?: string; username2?: string; passwordRequirements?: unknown };
    secretsMapping?: { username: string; password: string };
  },
  ctx: z.RefinementCtx,
): void {
  if (r.parameters?.username1 !== undefined && r.parameters.username1 === r.parameters.username2) {
    ctx.addIssue({ code: "custom", path: ["parameters", "username2"], message: "username1 and username2 must differ" });
  }
  if (r.secretsMapping && r.secretsMapping.username === r.secretsMapping.password) {
    ctx.addIssue({ code: "custom", path: ["secretsMapping", "password"], message: "the two secret names must differ" });
  }
  if (r.rotateAtUtc !== undefined && (r.rotateAt !== undefined || r.timeZone !== undefined)) {
    ctx.addIssue({ code: "custom", path: ["rotateAt"], message: "give either rotateAtUtc or rotateAt with timeZone, not both" });
  }
  if ((r.rotateAt === undefined) !== (r.timeZone === undefined)) {
    ctx.addIssue({ code: "custom", path: [r.rotateAt === undefined ? "rotateAt" : "timeZone"], message: "rotateAt and timeZone go together" });
  }
}

export const createRotationSchema = z
  .object(rotationFields)
  .strict()
  .superRefine(checkRotation)
  .meta({ id: "CreateSecretRotationRequest", description: "Infisical's create body. Unknown fields are rejected (422) so a typo never passes silently." });

/** PATCH: what may change in place (the connection, usernames, project, environment and path may not). */
export const updateRotationSchema = z
  .object({
    name: rotationFields.name.optional(),
    description: rotationFields.description,
    isAutoRotationEnabled: z.boolean().optional(),
    rotationInterval: rotationFields.rotationInterval.optional(),
    rotateAtUtc: timeOfDaySchema.optional(),
    rotateAt: timeOfDaySchema.optional(),
    timeZone: rotationFields.timeZone,
    parameters: z.object({ passwordRequirements: passwordRequirementsSchema.nullable().optional() }).strict().optional(),
    secretsMapping: rotationFields.secretsMapping.optional(),
    driftRepair: rotationFields.driftRepair.unwrap().optional(),
    rotationWindow: rotationWindowSchema.nullable().optional().meta({ description: "null removes the window; left out, it is kept" }),
    maxHoldHours: rotationFields.maxHoldHours.unwrap().optional(),
  })
  .strict()
  .superRefine(checkRotation)
  .meta({ id: "UpdateSecretRotationRequest", description: "What may change in place; a field left out keeps its value" });

const bool = z.enum(["true", "false"]).transform((v) => v === "true");

export const deleteRotationQuerySchema = z.object({
  revokeGeneratedCredentials: bool.default(false).meta({ description: "Set unknown random passwords on both users (and prove the old ones fail)" }),
  deleteSecrets: bool.default(false).meta({ description: "Remove the mapped secrets (otherwise they stay readable)" }),
});

export const rotateQuerySchema = z.object({
  force: bool.default(false).meta({
    description:
      "Rotate within the grace period (10 minutes after the last rotation), outside the rotation window, in a frozen project, " +
      "and while someone still uses the user about to get a new password",
  }),
});

/** GET …/:id: `include=usage` also reads, on the target, who uses each of the two users (never on a plain GET). */
export const getRotationQuerySchema = z.object({
  include: z.enum(["usage"], { error: 'include must be "usage"' }).optional().meta({ description: "usage: also read who uses each user (sessions on the target, registered consumers); reads the target" }),
});

/** PUT /api/v1/projects/:projectId/freeze */
export const projectFreezeSchema = z
  .discriminatedUnion("frozen", [
    z
      .object({
        frozen: z.literal(true),
        reason: z
          .string({ error: "reason is required to freeze a project: say why (people read it)" })
          .trim()
          .min(1, "reason must not be empty: say why the project is frozen")
          .max(500, "reason must be at most 500 characters")
          .refine((s) => !CONTROL_CHARACTER.test(s), "reason must not contain control characters"),
      })
      .strict(),
    z.object({ frozen: z.literal(false) }).strict(),
  ], { error: "frozen must be true (with a reason) or false" })
  .meta({ id: "ProjectFreezeRequest", description: "Freeze (no scheduled rotation runs, manual ones need force) or unfreeze a project" });

export const byNameQuerySchema = z.object({
  projectId: rotationFields.projectId,
  environment: rotationFields.environment,
  secretPath: rotationFields.secretPath,
});

/** The values of `rotationStatus` (runner/responses.ts), which the list's `status` filter takes. */
export const ROTATION_STATUSES = ["success", "failed", "pending", "drifted", "held"] as const;
/** What the rotation list may be sorted by (a `-` in front: descending). */
export const ROTATION_SORT_FIELDS = ["name", "createdAt", "updatedAt", "lastRotatedAt", "lastRotationAttemptedAt", "nextRotationAt", "rotationStatus", "environment", "secretPath"] as const;
export type RotationSortField = (typeof ROTATION_SORT_FIELDS)[number];
const ROTATION_SORTS = ROTATION_SORT_FIELDS.flatMap((f) => [f, `-${f}`] as const);
export const ROTATION_LIST_MAX_LIMIT = 500;
export const ROTATION_LIST_DEFAULT_LIMIT = 100;
const whole = (what: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${what} must be a whole number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`);

/**
 * GET /api/v2/secret-rotations/postgres-credentials. Without any parameter but projectId the answer is
 * Infisical's (every rotation in scope, oldest first); any other one makes it a page with `totalCount`.
 * An empty parameter counts as absent.
 */
export const listRotationsQuerySchema = z.object({
  projectId: z.string().optional().meta({ description: "Only this project's rotations" }),
  offset: whole("offset", 0, 2_147_483_647).optional().meta({ description: "Rotations to skip (after filtering and sorting); default 0" }),
  limit: whole("limit", 1, ROTATION_LIST_MAX_LIMIT).optional().meta({
    description: `Rotations in the page, 1–${ROTATION_LIST_MAX_LIMIT}; default ${ROTATION_LIST_DEFAULT_LIMIT} once any paging, filter or sort parameter is given`,
  }),
  search: z.string().max(64, "search must be at most 64 characters").optional().meta({ description: "Only rotations whose name contains this text (case-insensitive)" }),
  environment: slug("environment", 64).optional().meta({ description: "Only rotations filing secrets in this environment" }),
  secretPath: secretPathSchema.optional().meta({ description: "Only rotations filing secrets in exactly this folder", example: "/" }),
  status: z.enum(ROTATION_STATUSES, { error: `status must be one of ${ROTATION_STATUSES.join(", ")}` }).optional().meta({ description: "Only rotations with this rotationStatus" }),
  sort: z.enum(ROTATION_SORTS, { error: `sort must be one of ${ROTATION_SORT_FIELDS.join(", ")}, each optionally with a leading - (descending)` }).optional().meta({
    description: "Order of the rotations: a field, with a leading `-` for descending (never-set times come last either way); ties by creation. Default: oldest first",
    example: "-nextRotationAt",
  }),
});
export type ListRotationsQuery = z.infer<typeof listRotationsQuerySchema>;
/** The list parameters that make the answer a page (everything but projectId). */
export const ROTATION_LIST_PAGE_PARAMS = ["offset", "limit", "search", "environment", "secretPath", "status", "sort"] as const;

/** Infisical's raw-secrets query: the extra parameters its clients send are accepted and ignored. */
export const rawSecretsQuerySchema = z.object({
  workspaceId: rotationFields.projectId,
  projectId: z.string().optional(),
  environment: rotationFields.environment,
  secretPath: rotationFields.secretPath,
  secretName: z.string().optional(),
  expandSecretReferences: z.string().optional(),
  includeImports: z.string().optional(),
  include_imports: z.string().optional(),
  recursive: z.string().optional(),
  tagSlugs: z.string().optional(),
  type: z.enum(["shared", "personal"]).optional(),
  version: z.string().optional(),
  viewSecretValue: z.string().optional(),
  workspaceSlug: z.string().optional(),
  projectSlug: z.string().optional(),
});

// ---- consumers: applications reporting which database users they use (pgrotate/pg pools)

/** An application's name as people read it: one line of 1–128 printable characters. */
export const appNameSchema = z
  .string()
  .min(1, "appName must not be empty")
  .max(128, "appName must be at most 128 characters")
  .regex(/^[^\p{C}]+$/u, "appName must be printable characters on one line (no control or format characters)")
  .refine((s) => s.trim() === s, "appName must not start or end with whitespace")
  .meta({ description: "The application's name, shown to whoever rotates its users", example: "billing-app" });

export const consumerInstanceIdSchema = z
  .string()
  .min(1, "instanceId must not be empty")
  .max(128, "instanceId must be at most 128 characters")
  .regex(/^[A-Za-z0-9._:-]+$/, "instanceId may hold letters, digits, '.', '_', ':' and '-'")
  .meta({ description: "One running instance of the application (pgrotate/pg: a random UUID per pool)", example: "3b0e1c5e-4f7a-4d61-9d0b-2f1f4c9a7e10" });

/** The folder fields of a consumer's body: named as in a raw-secrets query (the same rules; runner/api/secrets.ts folderOf). */
const consumerFolderFields = {
  workspaceId: z.string().optional().meta({ description: "The project (or `projectId`, `workspaceSlug`, `projectSlug`: a project's slug is its id); default `default`" }),
  projectId: z.string().optional(),
  workspaceSlug: z.string().optional(),
  projectSlug: z.string().optional(),
  environment: z.string().optional().meta({ description: "Default `dev`", example: "prod" }),
  secretPath: z.string().optional().meta({ description: 'Default "/"', example: "/" }),
};

/** POST /api/v1/consumers/heartbeat. Unknown fields are ignored: a newer pool's heartbeat still reaches an older runner. */
export const consumerHeartbeatSchema = z
  .object({
    instanceId: consumerInstanceIdSchema,
    appName: appNameSchema,
    ...consumerFolderFields,
    usernames: z
      .array(pgIdentifier("each username"), { error: "usernames must be a list of database user names" })
      .min(1, "usernames must name at least one user")
      .max(4, "usernames must name at most 4 users")
      .meta({ description: "The database users the instance logs in as and still holds connections of (both during a switch)", example: ["app_user_1"] }),
  })
  .meta({ id: "ConsumerHeartbeat" });
export type ConsumerHeartbeatInput = z.infer<typeof consumerHeartbeatSchema>;

export type CreateConnectionInput = z.infer<typeof createConnectionSchema>;
export type UpdateConnectionInput = z.infer<typeof updateConnectionSchema>;
export type CreateRotationInput = z.infer<typeof createRotationSchema>;
export type UpdateRotationInput = z.infer<typeof updateRotationSchema>;

// ---- access: scoped tokens and machine identities (admin only)

/** Omitted scope fields mean "any" (no defaults here: a token without projectId sees every project). */
const scopeFields = {
  projectId: projectIdSchema.optional(),
  environment: slug("environment", 64).optional(),
  secretPath: secretPathSchema.optional(),
  permission: z.enum(["read", "manage"], { error: 'permission must be "read" or "manage"' }),
};

export const createTokenSchema = z
  .object({
    name: slug("name", 64),
    ...scopeFields,
    /** Lifetime in seconds; omitted = until revoked. */
    expiresIn: z.number().int().min(60).max(10 * 365 * 86400).optional().meta({ description: "Lifetime in seconds; omitted = until revoked" }),
  })
  .strict()
  .meta({ id: "CreateTokenRequest", description: "Scope fields left out mean any" });

export const createIdentitySchema = z
  .object({
    name: slug("name", 64),
    ...scopeFields,
    accessTokenTTL: z.number().int().min(60).max(30 * 86400).default(7200),
    accessTokenMaxTTL: z.number().int().min(60).max(30 * 86400).default(7200),
  })
  .strict()
  .refine((i) => i.accessTokenTTL <= i.accessTokenMaxTTL, { message: "accessTokenTTL must not exceed accessTokenMaxTTL", path: ["accessTokenTTL"] })
  .meta({ id: "CreateMachineIdentityRequest", description: "Scope fields left out mean any; TTLs in seconds" });

export const universalAuthLoginSchema = z
  .object({
    clientId: z.string().min(1).max(100),
    clientSecret: z.string().min(1).max(200),
    /** Infisical's optional sub-organization; pgrotate has one tenant, so it is accepted and ignored. */
    subOrganizationName: z.string().max(256).optional(),
    /** Sent by External Secrets Operator's Infisical provider; pgrotate has one organization: accepted and ignored. */
    organizationSlug: z.string().max(256).optional(),
  })
  .strict()
  .meta({ id: "UniversalAuthLoginRequest" });

/** POST /api/v1/auth/token/renew and /revoke: Infisical's body, the access token itself (no bearer needed). */
export const accessTokenBodySchema = z
  .object({ accessToken: z.string().min(1, "accessToken must not be empty").max(512) })
  .strict()
  .meta({ id: "AccessTokenRequest" });

/** POST /api/v1/console/session: a token, or a machine identity's client id and secret. */
export const consoleSignInSchema = z
  .object({
    token: z.string().min(1, "Token must not be empty").max(512, "Token must be at most 512 characters").regex(/^\S+$/, "Token must not contain spaces").optional(),
    clientId: z.string().min(1, "Client ID must not be empty").max(100).optional(),
    clientSecret: z.string().min(1, "Client Secret must not be empty").max(200).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    const identity = b.clientId !== undefined || b.clientSecret !== undefined;
    if (b.token !== undefined && identity) ctx.addIssue({ code: "custom", path: ["token"], message: "give either a token or a client id and secret, not both" });
    else if (b.token === undefined && !identity) ctx.addIssue({ code: "custom", path: ["token"], message: "Token is required" });
    else if (identity && b.clientId === undefined) ctx.addIssue({ code: "custom", path: ["clientId"], message: "Client ID is required" });
    else if (identity && b.clientSecret === undefined) ctx.addIssue({ code: "custom", path: ["clientSecret"], message: "Client Secret is required" });
  });

export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).meta({ description: "Entries to return, newest first" }),
  offset: z.coerce.number().int().min(0).default(0),
  actor: z.string().max(100).optional(),
  action: z.string().max(200).optional(),
});

/** POST /api/v1/admin/keys/rekey */
export const rekeySchema = z
  .object({
    batchSize: z.number().int().min(1).max(10_000).default(500).meta({ description: "Values re-sealed per transaction" }),
  })
  .strict()
  .meta({ id: "RekeyRequest" });

export type CreateTokenInput = z.infer<typeof createTokenSchema>;
export type ConsoleSignInInput = z.infer<typeof consoleSignInSchema>;
export type CreateIdentityInput = z.infer<typeof createIdentitySchema>;

// ---- the app side: setup SQL and pair check

/** Options of setupSql() (`pgrotate setup-sql`). Role and database names are PostgreSQL identifiers. */
export const setupSqlSchema = z
  .object({
    database: pgIdentifier("database"),
    users: z.tuple([pgIdentifier("users[0]"), pgIdentifier("users[1]")], { error: "users must be two role names" }),
    /** The NOLOGIN group role that owns the objects; default "<database>_owner". */
    owner: pgIdentifier("owner").optional(),
    connectionRole: pgIdentifier("connectionRole").default("rotation_admin"),
    schema: pgIdentifier("schema").default("public"),
    /** Also grant pg_monitor to the connection role: it then sees who uses a user about to get a new password (sessions' application_name, client_addr). */
    grantMonitor: z.boolean().default(false),
    /** The server's major version (ADMIN OPTION and membership options changed in 16). */
    serverVersion: z.number().int("serverVersion must be a major version such as 17").min(10).max(99).default(17),
  })
  .strict()
  .superRefine((o, ctx) => {
    const [u1, u2] = o.users;
    if (u1 === u2) ctx.addIssue({ code: "custom", path: ["users", 1], message: "the two users must differ" });
    for (const [key, name] of [["owner", o.owner], ["connectionRole", o.connectionRole]] as const) {
      if (name !== undefined && (name === u1 || name === u2)) ctx.addIssue({ code: "custom", path: [key], message: `${key} must differ from the two users` });
    }
    if (o.owner !== undefined && o.owner === o.connectionRole) ctx.addIssue({ code: "custom", path: ["connectionRole"], message: "connectionRole must differ from owner" });
  });

/** POST /api/v1/app-connections/postgres/:connectionId/pair-check */
export const pairCheckSchema = z
  .object({
    username1: pgIdentifier("username1"),
    username2: pgIdentifier("username2"),
    /** The group role that should own the objects (default: the one NOLOGIN role both users are members of). */
    owner: pgIdentifier("owner").optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.username1 === b.username2) ctx.addIssue({ code: "custom", path: ["username2"], message: "username1 and username2 must differ" });
  });

export type SetupSqlOptions = z.input<typeof setupSqlSchema>;
export type PairCheckInput = z.infer<typeof pairCheckSchema>;
