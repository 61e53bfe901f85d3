/**
 * What the Pulumi dynamic providers do, run inside Pulumi's plugin host (see handlers.ts for how it is
 * loaded). Plain functions of (settings, inputs): check validates with the runner's own zod schemas, the
 * other methods talk to the runner through RunnerClient.
 *
 * Rules kept here: outputs never hold `undefined` (the host fails to encode it); no password or token is
 * ever part of an error message; `secrets` / `password` are the only outputs holding a secret, and the
 * resource classes mark both secret.
 */
import { log } from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { ZodType } from "zod";
import { createConnectionSchema, createRotationSchema, DEFAULT_MAX_HOLD_HOURS, secretPathSchema } from "../../runner/schemas";
import { type ApiConnection, type ApiRotation, RunnerApiError, RunnerClient } from "../client";
import { fetchForCaFile } from "../trust";

export type ResourceKind = "connection" | "rotation";

/** Resolved by `configure` from the stack config; empty fields fall back to the environment. */
export interface ProviderSettings {
  runnerUrl?: string;
  token?: string;
  /** PEM file of the CA that signed the runner's HTTPS certificate (pgrotate:caFile, or env PGROTATE_CA_FILE). */
  caFile?: string;
}

type Props = Record<string, unknown>;

/** The value the engine sends for an input that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const CONNECTION_KEYS = ["name", "description", "host", "port", "database", "username", "password", "sslEnabled", "sslRejectUnauthorized", "sslCertificate", "allowedScopes"] as const;
const CREDENTIAL_KEYS = new Set(["host", "port", "database", "username", "password", "sslEnabled", "sslRejectUnauthorized", "sslCertificate"]);

const ROTATION_BODY_KEYS = [
  "name", "description", "connectionId", "projectId", "environment", "secretPath", "isAutoRotationEnabled",
  "rotationInterval", "rotateAtUtc", "rotateAt", "timeZone", "parameters", "secretsMapping", "driftRepair", "rotationWindow", "maxHoldHours",
] as const;
/** Arguments of the resource that are not part of the runner's body. */
const ROTATION_LOCAL_KEYS = ["revokeOnDelete", "rotationTrigger", "forceRotation"] as const;
/** A change of any of these cannot be applied in place: the rotation is replaced. */
const ROTATION_REPLACE_KEYS = ["connectionId", "projectId", "environment", "secretPath"] as const;

const PROVIDER_KEY = "__provider";

// ---------------------------------------------------------------- settings and errors

export function clientFor(settings: ProviderSettings): RunnerClient {
  const url = settings.runnerUrl || process.env.PGROTATE_URL;
  const token = settings.token || process.env.PGROTATE_TOKEN;
  if (!url) throw new Error("No pgrotate runner URL: run `pulumi config set pgrotate:runnerUrl http://HOST:PORT` or set PGROTATE_URL");
  if (!token) throw new Error("No pgrotate runner token: run `pulumi config set --secret pgrotate:token …` or set PGROTATE_TOKEN");
  const caFile = settings.caFile || process.env.PGROTATE_CA_FILE;
  return new RunnerClient({ url, token, managedBy: "pulumi", fetch: fetchForCaFile(caFile, settings.caFile ? "pgrotate:caFile" : "PGROTATE_CA_FILE") });
}

/** The runner's message plus what it says to do (precheck SQL, failing fields). Never holds a secret. */
function explain(err: unknown): Error {
  if (!(err instanceof RunnerApiError)) return err instanceof Error ? err : new Error(String(err));
  const d = err.details as { sql?: unknown } | Array<{ path?: unknown; message?: unknown }> | undefined;
  let extra = "";
  const text = (v: unknown): string => (typeof v === "string" || typeof v === "number" ? String(v) : "");
  if (Array.isArray(d)) extra = d.map((i) => `${Array.isArray(i.path) ? i.path.join(".") : text(i.path)}: ${text(i.message)}`).join("; ");
  else if (d && typeof d === "object" && d.sql) extra = `run: ${Array.isArray(d.sql) ? d.sql.join(" ") : text(d.sql)}`;
  const e = new Error(extra && !err.message.includes(extra) ? `${err.message} (${extra})` : err.message);
  e.name = "RunnerApiError";
  return e;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explain(err);
  }
}

// ---------------------------------------------------------------- small pure helpers

const has = (o: Props, k: string) => o[k] !== undefined && o[k] !== null;

/** Copies the keys that are set (not undefined). */
function pick(o: Props, keys: readonly string[]): Props {
  const out: Props = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Removes every undefined value, deeply: the plugin host cannot encode one. */
export function defined<T>(v: T): T {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(defined) as T;
  if (v && typeof v === "object") {
    const out: Props = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = defined(x);
    return out as T;
  }
  return v;
}

/** JSON with sorted keys, so equal values compare equal whatever their key order. */
function stable(v: unknown): string {
  if (v === undefined) return "null";
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().filter((k) => (v as Props)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable((v as Props)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function valueAt(o: unknown, path: readonly PropertyKey[]): unknown {
  let cur = o;
  for (const p of path) {
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** True when the value at `path` or one of its parents is not known yet. */
function unknownAt(o: unknown, path: readonly PropertyKey[]): boolean {
  for (let i = 0; i <= path.length; i++) if (valueAt(o, path.slice(0, i)) === UNKNOWN) return true;
  return false;
}

// ---------------------------------------------------------------- check

/**
 * Validates `body` with a runner schema. Every issue becomes a failure naming its property path
 * (`parameters.username1`); issues on values not known yet (preview) are skipped.
 */
function schemaFailures(schema: ZodType, body: Props, rename: (path: string) => string = (p) => p): dynamic.CheckFailure[] {
  const parsed = schema.safeParse(body);
  if (parsed.success) return [];
  const failures: dynamic.CheckFailure[] = [];
  for (const issue of parsed.error.issues) {
    if (unknownAt(body, issue.path)) continue;
    const at = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) failures.push({ property: rename(at ? `${at}.${key}` : key), reason: `unknown property ${JSON.stringify(key)}` });
      continue;
    }
    const missing = issue.code === "invalid_type" && valueAt(body, issue.path) === undefined;
    const property = rename(at || "(resource)");
    failures.push({ property, reason: missing ? `${property} is required` : issue.message });
  }
  return failures;
}

function localFailures(news: Props): dynamic.CheckFailure[] {
  const failures: dynamic.CheckFailure[] = [];
  for (const k of ["revokeOnDelete", "forceRotation"]) {
    if (news[k] !== undefined && news[k] !== UNKNOWN && typeof news[k] !== "boolean") failures.push({ property: k, reason: `${k} must be true or false` });
  }
  const t = news.rotationTrigger;
  if (t !== undefined && t !== UNKNOWN && typeof t !== "string" && typeof t !== "number") failures.push({ property: "rotationTrigger", reason: "rotationTrigger must be a string or a number" });
  return failures;
}

function connectionBody(p: Props): Props {
  return defined({ name: p.name, description: p.description, method: "username-and-password", credentials: pick(p, [...CREDENTIAL_KEYS]), allowedScopes: p.allowedScopes });
}

function rotationBody(p: Props): Props {
  return pick(p, ROTATION_BODY_KEYS);
}

async function check(kind: ResourceKind, _olds: Props, news: Props): Promise<dynamic.CheckResult> {
  const inputs = { ...news };
  if (kind === "connection") {
    const extra = Object.keys(news).filter((k) => k !== PROVIDER_KEY && !(CONNECTION_KEYS as readonly string[]).includes(k) && news[k] !== undefined);
    const failures = [
      ...schemaFailures(createConnectionSchema, connectionBody(news), (p) => p.replace(/^credentials\.?/, "") || "credentials"),
      ...extra.map((k) => ({ property: k, reason: `unknown property ${JSON.stringify(k)}` })),
    ];
    return { inputs, failures };
  }
  const body: Props = { ...news };
  delete body[PROVIDER_KEY];
  for (const k of ROTATION_LOCAL_KEYS) delete body[k];
  return { inputs, failures: [...schemaFailures(createRotationSchema, defined(body)), ...localFailures(news)] };
}

// ---------------------------------------------------------------- canonical forms (diff, read)

function canonicalPath(p: unknown): unknown {
  if (typeof p !== "string") return p ?? "/";
  const r = secretPathSchema.safeParse(p);
  return r.success ? r.data : p;
}

/** A rotation's arguments with the runner's defaults applied, so "left out" equals "the default". */
function canonicalRotation(p: Props): Record<string, unknown> {
  const params = (p.parameters ?? {}) as Props;
  const byZone = has(p, "timeZone");
  return {
    name: p.name,
    description: p.description ?? null,
    connectionId: p.connectionId,
    projectId: p.projectId ?? "default",
    environment: p.environment ?? "dev",
    secretPath: canonicalPath(p.secretPath),
    isAutoRotationEnabled: p.isAutoRotationEnabled ?? true,
    rotationInterval: p.rotationInterval,
    schedule: byZone ? { rotateAt: p.rotateAt ?? null, timeZone: p.timeZone } : { rotateAtUtc: p.rotateAtUtc ?? p.rotateAt ?? { hours: 0, minutes: 0 } },
    username1: params.username1,
    username2: params.username2,
    passwordRequirements: params.passwordRequirements ?? null,
    secretsMapping: p.secretsMapping,
    driftRepair: p.driftRepair ?? "reapply",
    rotationWindow: canonicalWindow(p.rotationWindow),
    maxHoldHours: p.maxHoldHours ?? DEFAULT_MAX_HOLD_HOURS,
    revokeOnDelete: p.revokeOnDelete ?? false,
    forceRotation: p.forceRotation ?? false,
    rotationTrigger: p.rotationTrigger ?? null,
  };
}

/** A rotation window as the runner answers it: blackouts always there, each with its reason (null when none). Left out = null. */
function canonicalWindow(v: unknown): unknown {
  if (!v || typeof v !== "object") return v ?? null;
  const w = v as Props;
  const blackouts = Array.isArray(w.blackouts) ? w.blackouts : [];
  return {
    weekdays: w.weekdays,
    startTime: w.startTime,
    endTime: w.endTime,
    blackouts: blackouts.map((b: unknown) => (b && typeof b === "object" ? { from: (b as Props).from, to: (b as Props).to, reason: (b as Props).reason ?? null } : b)),
  };
}

/** allowedScopes as the runner stores them: every field, null for "any", paths without a trailing "/". Left out = []. */
function canonicalScopes(v: unknown): unknown {
  if (!Array.isArray(v)) return v ?? [];
  return v.map((x: unknown) => {
    if (!x || typeof x !== "object") return x;
    const s = x as Props;
    return { projectId: s.projectId, environment: s.environment ?? null, secretPath: s.secretPath === undefined || s.secretPath === null ? null : canonicalPath(s.secretPath) };
  });
}

function canonicalConnection(p: Props): Record<string, unknown> {
  return {
    name: p.name,
    description: p.description ?? null,
    host: p.host,
    port: p.port,
    database: p.database,
    username: p.username,
    password: p.password,
    sslEnabled: p.sslEnabled ?? false,
    sslRejectUnauthorized: p.sslRejectUnauthorized ?? true,
    sslCertificate: p.sslCertificate ?? null,
    allowedScopes: canonicalScopes(p.allowedScopes),
  };
}

/** Names of the canonical fields that differ. */
function changed(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return Object.keys(b).filter((k) => stable(a[k]) !== stable(b[k]));
}

async function diff(kind: ResourceKind, _id: string, olds: Props, news: Props): Promise<dynamic.DiffResult> {
  if (kind === "connection") {
    const c = changed(canonicalConnection(olds), canonicalConnection(news));
    return { changes: c.length > 0, replaces: [] };
  }
  const c = changed(canonicalRotation(olds), canonicalRotation(news));
  const replaces = new Set<string>();
  for (const k of c) {
    if ((ROTATION_REPLACE_KEYS as readonly string[]).includes(k)) replaces.add(k);
    if (k === "username1" || k === "username2") replaces.add("parameters");
  }
  // The rotation's name and secret names are unique in their folder: the old one must go first.
  return { changes: c.length > 0, replaces: [...replaces], deleteBeforeReplace: replaces.size > 0 };
}

// ---------------------------------------------------------------- outputs

function connectionOutputs(c: ApiConnection, password: unknown): Props {
  return defined({
    connectionId: c.id,
    name: c.name,
    description: c.description ?? null,
    host: c.credentials.host,
    port: c.credentials.port,
    database: c.credentials.database,
    username: c.credentials.username,
    password: typeof password === "string" ? password : "",
    sslEnabled: c.credentials.sslEnabled,
    sslRejectUnauthorized: c.credentials.sslRejectUnauthorized,
    sslCertificate: c.credentials.sslCertificate ?? null,
    allowedScopes: c.allowedScopes,
  });
}

/** The rotation as the runner has it, in the shape of the resource's arguments, plus the computed outputs. */
async function rotationOutputs(client: RunnerClient, r: ApiRotation, local: Props): Promise<Props> {
  const creds = await client.generatedCredentials(r.id);
  const active = creds.generatedCredentials[creds.activeIndex];
  if (!active) throw new Error(`pgrotate runner returned no active credentials for rotation ${r.id}`);
  const schedule = r.rotateAtUtc ? { rotateAtUtc: r.rotateAtUtc } : { rotateAt: r.rotateAt, timeZone: r.timeZone };
  return defined({
    name: r.name,
    description: r.description ?? null,
    connectionId: r.connectionId,
    projectId: r.projectId,
    environment: r.environment.slug,
    secretPath: r.folder.path,
    isAutoRotationEnabled: r.isAutoRotationEnabled,
    rotationInterval: r.rotationInterval,
    ...schedule,
    parameters: r.parameters,
    secretsMapping: r.secretsMapping,
    driftRepair: r.driftRepair,
    rotationWindow: r.rotationWindow,
    maxHoldHours: r.maxHoldHours,
    ...pick(local, ROTATION_LOCAL_KEYS),
    rotationId: r.id,
    activeIndex: creds.activeIndex,
    activeUsername: active.username,
    nextRotationAt: r.nextRotationAt ?? null,
    lastRotatedAt: r.lastRotatedAt ?? null,
    rotationStatus: r.rotationStatus,
    secrets: { [r.secretsMapping.username]: active.username, [r.secretsMapping.password]: active.password },
  });
}

// ---------------------------------------------------------------- create, read, update, delete

async function create(kind: ResourceKind, settings: ProviderSettings, inputs: Props): Promise<dynamic.CreateResult> {
  const client = clientFor(settings);
  if (kind === "connection") {
    const c = await call(() => client.createConnection(connectionBody(inputs) as never));
    return { id: c.id, outs: connectionOutputs(c, inputs.password) };
  }
  const { secretRotation: r, warnings = [] } = await call(() => client.createRotationChecked(defined(rotationBody(inputs)) as never));
  // The precheck's warnings (e.g. the connection role lacks pg_monitor): shown by `pulumi up`, never a failure.
  for (const w of warnings) await log.warn(`pgrotate: ${w}`);
  try {
    return { id: r.id, outs: await rotationOutputs(client, r, inputs) };
  } catch (err) {
    // All or nothing: a rotation Pulumi does not record must not stay behind.
    await client.deleteRotation(r.id, { deleteSecrets: true }).catch(() => undefined);
    throw explain(err);
  }
}

async function read(kind: ResourceKind, settings: ProviderSettings, id: string, props: Props): Promise<dynamic.ReadResult> {
  const client = clientFor(settings);
  const gone: dynamic.ReadResult = { id: "", props: {} };
  if (kind === "connection") {
    try {
      const c = await client.getConnection(id);
      return { id, props: connectionOutputs(c, props.password) };
    } catch (err) {
      if (err instanceof RunnerApiError && err.status === 404) return gone;
      throw explain(err);
    }
  }
  const r = await call(() => client.findRotation(id));
  if (!r) return gone;
  return { id, props: await call(() => rotationOutputs(client, r, props)) };
}

/** The PATCH body for what changed between the old outputs and the new arguments. */
function rotationPatch(olds: Props, news: Props): Props | undefined {
  const a = canonicalRotation(olds);
  const b = canonicalRotation(news);
  const patch: Props = {};
  for (const k of changed(a, b)) {
    switch (k) {
      case "name":
      case "isAutoRotationEnabled":
      case "rotationInterval":
      case "secretsMapping":
      case "driftRepair":
      case "rotationWindow":
      case "maxHoldHours":
        patch[k] = b[k];
        break;
      case "description":
        patch.description = b.description;
        break;
      case "schedule":
        Object.assign(patch, b.schedule);
        break;
      case "passwordRequirements":
        patch.parameters = { passwordRequirements: b.passwordRequirements };
        break;
      default:
        break; // local arguments (revokeOnDelete, forceRotation, rotationTrigger) and replace keys
    }
  }
  return Object.keys(patch).length ? patch : undefined;
}

async function update(kind: ResourceKind, settings: ProviderSettings, id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult> {
  const client = clientFor(settings);
  if (kind === "connection") {
    const a = canonicalConnection(olds);
    const b = canonicalConnection(news);
    const patch: Props = {};
    const credentials: Props = {};
    for (const k of changed(a, b)) {
      // A credential left out goes back to the runner's default: sslCertificate by an explicit null (clears
      // the CA); the others are never null in the canonical form.
      if (CREDENTIAL_KEYS.has(k)) {
        if (b[k] !== null || k === "sslCertificate") credentials[k] = b[k];
      } else patch[k] = b[k];
    }
    if (Object.keys(credentials).length) patch.credentials = credentials;
    const c = await call(() => (Object.keys(patch).length ? client.updateConnection(id, patch as never) : client.getConnection(id)));
    return { outs: connectionOutputs(c, news.password) };
  }
  const patch = rotationPatch(olds, news);
  if (patch) await call(() => client.updateRotation(id, patch as never));
  const trigger = news.rotationTrigger;
  if (trigger !== undefined && trigger !== null && stable(trigger) !== stable(olds.rotationTrigger ?? null)) {
    try {
      await client.rotate(id, { force: news.forceRotation === true });
    } catch (err) {
      const e = explain(err);
      const forceable = ["GracePeriod", "OutsideRotationWindow", "ProjectFrozen"];
      if (err instanceof RunnerApiError && err.code !== undefined && forceable.includes(err.code)) e.message += " (set forceRotation: true on the resource to rotate anyway)";
      throw e;
    }
  }
  const r = await call(() => client.getRotation(id));
  return { outs: await call(() => rotationOutputs(client, r, news)) };
}

async function remove(kind: ResourceKind, settings: ProviderSettings, id: string, props: Props): Promise<void> {
  const client = clientFor(settings);
  try {
    if (kind === "connection") await client.deleteConnection(id);
    // The mapped secrets belong to the resource: they go with it (a new rotation may then take the names).
    else await client.deleteRotation(id, { revokeGeneratedCredentials: props.revokeOnDelete === true, deleteSecrets: true });
  } catch (err) {
    if (err instanceof RunnerApiError && err.status === 404) return; // already gone
    throw explain(err);
  }
}

export interface PulumiRuntime {
  check(kind: ResourceKind, olds: Props, news: Props): Promise<dynamic.CheckResult>;
  diff(kind: ResourceKind, id: string, olds: Props, news: Props): Promise<dynamic.DiffResult>;
  create(kind: ResourceKind, settings: ProviderSettings, inputs: Props): Promise<dynamic.CreateResult>;
  read(kind: ResourceKind, settings: ProviderSettings, id: string, props: Props): Promise<dynamic.ReadResult>;
  update(kind: ResourceKind, settings: ProviderSettings, id: string, olds: Props, news: Props): Promise<dynamic.UpdateResult>;
  delete(kind: ResourceKind, settings: ProviderSettings, id: string, props: Props): Promise<void>;
}

/** Loaded by the serialized providers as `require("pgrotate/provider").pulumiRuntime`. */
export const pulumiRuntime: PulumiRuntime = { check, diff, create, read, update, delete: remove };

