/**
 * The two resources and the data source: how a Terraform object becomes a runner API request and how a
 * runner answer becomes Terraform state. Planning is generic (plan.ts); validation uses the runner's schemas.
 */
import type { ApiConnection, ApiRotation, GeneratedCredentials, RunnerClient, UpdateRotationBody } from "../client";
import { createConnectionSchema, createRotationSchema } from "../../runner/schemas";
import { type Diagnostic, error, toApiBody, warning, zodDiagnostics } from "./diagnostics";
import type { DynamicDefaults } from "./plan";
import { connectionSchema, credentialsSchema, rotationSchema } from "./schema";
import { type ObjectValue, type ResourceSchema, type Value, UNKNOWN, conform, fillUnknowns, isUnknown, obj, sameValue, str } from "./values";

/** The runner id a resource's state holds (set by create or import; never unknown in a prior or current state). */
const idOf = (state: ObjectValue): string => {
  const id = str(state.id);
  if (!id) throw new Error("the resource's state has no id");
  return id;
};

export interface ManagedResource {
  schema: ResourceSchema;
  dynamicDefaults?: DynamicDefaults;
  validate(config: ObjectValue): Diagnostic[];
  /** `warnings` receives what worked, but less well (the runner's precheck warnings), shown by Terraform as warnings. */
  create(client: RunnerClient, planned: ObjectValue, warnings: Diagnostic[]): Promise<ObjectValue>;
  update(client: RunnerClient, prior: ObjectValue, planned: ObjectValue): Promise<ObjectValue>;
  delete(client: RunnerClient, prior: ObjectValue): Promise<void>;
  /** The current state, or null when the object is gone. `current` supplies what the runner never returns. */
  read(client: RunnerClient, current: ObjectValue): Promise<ObjectValue | null>;
  importState(client: RunnerClient, id: string): Promise<ObjectValue>;
  /** API path → attribute path, for the runner's validation errors. */
  attributeOf(apiPath: string[]): string[];
}

const snakeAll = (p: string[]) => p.map((s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
const isNotFound = (e: unknown) => (e as { status?: number }).status === 404;

// ---- pgrotate_postgres_connection

const CONNECTION_ONLY = ["id", "created_at", "updated_at"];
const CREDENTIAL_KEYS = ["host", "port", "database", "username", "password", "ssl_enabled", "ssl_reject_unauthorized", "ssl_certificate"];

function connectionBody(v: ObjectValue, unknownPaths: string[][] = []): Record<string, unknown> {
  const top = toApiBody(v, [...CONNECTION_ONLY, ...CREDENTIAL_KEYS], unknownPaths);
  const credentials = toApiBody(Object.fromEntries(CREDENTIAL_KEYS.map((k) => [k, v[k] ?? null])), [], unknownPaths, ["credentials"]);
  return { ...top, method: "username-and-password", credentials };
}

function connectionState(c: ApiConnection, password: Value): ObjectValue {
  return conform(connectionSchema.attributes, {
    id: c.id,
    name: c.name,
    description: c.description ?? null,
    host: c.credentials.host,
    port: c.credentials.port,
    database: c.credentials.database,
    username: c.credentials.username,
    password,
    ssl_enabled: c.credentials.sslEnabled,
    ssl_reject_unauthorized: c.credentials.sslRejectUnauthorized,
    ssl_certificate: c.credentials.sslCertificate ?? null,
    allowed_scopes: c.allowedScopes.map((x) => ({ project_id: x.projectId, environment: x.environment, secret_path: x.secretPath })),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  });
}

/** The state after apply: the planned values, with the unknown (computed) ones from the runner's answer. */
function afterApply(planned: ObjectValue, actual: ObjectValue): ObjectValue {
  return fillUnknowns(planned, actual) as ObjectValue;
}

const connectionAttr = (p: string[]) => snakeAll(p[0] === "credentials" ? p.slice(1) : p);

/** The runner stores "/app/" as "/app": a configured value with the trailing "/" would never match the state. */
function trailingSlash(attribute: string[], p: Value | undefined): Diagnostic[] {
  if (typeof p !== "string" || p.length < 2 || !p.endsWith("/")) return [];
  return [error(`Invalid ${attribute.join(".")}`, `Write ${attribute[attribute.length - 1]} without the trailing "/" (${JSON.stringify(p.replace(/\/+$/, ""))}).`, attribute)];
}

export const connectionResource: ManagedResource = {
  schema: connectionSchema,
  attributeOf: connectionAttr,
  validate(config) {
    const unknownPaths: string[][] = [];
    const body = connectionBody(config, unknownPaths);
    const ds = zodDiagnostics(createConnectionSchema, body, unknownPaths, connectionAttr);
    const scopes = Array.isArray(config.allowed_scopes) ? config.allowed_scopes : [];
    scopes.forEach((s, i) => {
      const at = ["allowed_scopes", String(i), "secret_path"];
      if (!ds.some((d) => d.attribute?.join(".") === at.join("."))) ds.push(...trailingSlash(at, obj(s)?.secret_path));
    });
    return ds;
  },
  async create(client, planned) {
    const c = await client.createConnection(connectionBody(planned) as never);
    return afterApply(planned, connectionState(c, planned.password));
  },
  async update(client, prior, planned) {
    const body = connectionBody(planned);
    if (planned.description === null && prior.description !== null) body.description = null;
    // Removing ssl_certificate from the configuration clears the stored CA (absent would keep it).
    if (planned.ssl_certificate === null && prior.ssl_certificate !== null) (body.credentials as Record<string, unknown>).sslCertificate = null;
    if (sameValue(prior.password, planned.password)) delete (body.credentials as Record<string, unknown>).password;
    const c = await client.updateConnection(idOf(prior), body);
    return afterApply(planned, connectionState(c, planned.password));
  },
  async delete(client, prior) {
    try {
      await client.deleteConnection(idOf(prior));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  },
  async read(client, current) {
    try {
      return connectionState(await client.getConnection(idOf(current)), current.password ?? null);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  },
  async importState(client, id) {
    return connectionState(await client.getConnection(id), null);
  },
};

// ---- pgrotate_postgres_credentials_rotation

const ROTATION_PROVIDER_ONLY = ["revoke_on_delete", "delete_secrets_on_delete"];
const ROTATION_COMPUTED = rotationSchema.attributes.filter((a) => a.computed && !a.optional).map((a) => a.name);

function rotationBody(v: ObjectValue, unknownPaths: string[][] = []): Record<string, unknown> {
  return toApiBody(v, [...ROTATION_COMPUTED, ...ROTATION_PROVIDER_ONLY], unknownPaths);
}

function rotationState(r: ApiRotation, creds: GeneratedCredentials | undefined, keep: ObjectValue): ObjectValue {
  const pr = r.parameters.passwordRequirements;
  const active = creds?.generatedCredentials[creds.activeIndex];
  const activeIndex = creds?.activeIndex ?? r.activeIndex;
  return conform(rotationSchema.attributes, {
    id: r.id,
    name: r.name,
    description: r.description ?? null,
    connection_id: r.connectionId,
    project_id: r.projectId,
    environment: r.environment.slug,
    secret_path: r.folder.path,
    is_auto_rotation_enabled: r.isAutoRotationEnabled,
    rotation_interval: r.rotationInterval,
    drift_repair: r.driftRepair,
    rotation_window: r.rotationWindow
      ? {
          weekdays: [...r.rotationWindow.weekdays],
          start_time: r.rotationWindow.startTime,
          end_time: r.rotationWindow.endTime,
          blackouts: r.rotationWindow.blackouts.map((b) => ({ from: b.from, to: b.to, reason: b.reason ?? null })),
        }
      : null,
    max_hold_hours: r.maxHoldHours,
    rotate_at_utc: r.rotateAtUtc ? { hours: r.rotateAtUtc.hours, minutes: r.rotateAtUtc.minutes } : null,
    rotate_at: r.rotateAtUtc ? null : { hours: r.rotateAt.hours, minutes: r.rotateAt.minutes },
    time_zone: r.rotateAtUtc ? null : r.timeZone,
    parameters: {
      username1: r.parameters.username1,
      username2: r.parameters.username2,
      password_requirements: pr
        ? { length: pr.length, required: { ...pr.required }, allowed_symbols: pr.allowedSymbols ?? null }
        : null,
    },
    secrets_mapping: { username: r.secretsMapping.username, password: r.secretsMapping.password },
    revoke_on_delete: keep.revoke_on_delete ?? false,
    delete_secrets_on_delete: keep.delete_secrets_on_delete ?? true,
    active_index: activeIndex,
    active_username: active?.username ?? null,
    rotation_status: r.rotationStatus,
    last_rotation_message: r.lastRotationMessage ?? null,
    last_rotation_attempted_at: r.lastRotationAttemptedAt,
    last_rotated_at: r.lastRotatedAt,
    next_rotation_at: r.nextRotationAt,
    is_last_rotation_manual: r.isLastRotationManual,
    secrets: active ? { [r.secretsMapping.username]: active.username, [r.secretsMapping.password]: active.password } : null,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  });
}

async function readRotation(client: RunnerClient, id: string, keep: ObjectValue): Promise<ObjectValue | null> {
  const r = await client.findRotation(id);
  if (!r) return null;
  return rotationState(r, await client.generatedCredentials(id), keep);
}

/** The PATCH body: only what changed, in the API's terms. */
function rotationPatch(prior: ObjectValue, planned: ObjectValue): UpdateRotationBody {
  const body: Record<string, unknown> = {};
  const changed = (k: string) => !sameValue(prior[k], planned[k]);
  if (changed("name")) body.name = planned.name;
  if (changed("description")) body.description = planned.description ?? null;
  if (changed("is_auto_rotation_enabled")) body.isAutoRotationEnabled = planned.is_auto_rotation_enabled;
  if (changed("rotation_interval")) body.rotationInterval = planned.rotation_interval;
  if (changed("drift_repair")) body.driftRepair = planned.drift_repair;
  if (changed("rotation_window")) body.rotationWindow = obj(planned.rotation_window) ? toApiBody(obj(planned.rotation_window)!) : null;
  if (changed("max_hold_hours")) body.maxHoldHours = planned.max_hold_hours;
  if (changed("rotate_at_utc") || changed("rotate_at") || changed("time_zone")) {
    if (planned.rotate_at_utc) body.rotateAtUtc = toApiBody(obj(planned.rotate_at_utc) ?? {});
    else {
      body.rotateAt = toApiBody(obj(planned.rotate_at) ?? {});
      body.timeZone = planned.time_zone;
    }
  }
  const pp = obj(prior.parameters);
  const np = obj(planned.parameters);
  if (!sameValue(pp?.password_requirements, np?.password_requirements)) {
    const req = obj(np?.password_requirements);
    body.parameters = { passwordRequirements: req ? toApiBody(req) : null };
  }
  if (changed("secrets_mapping")) body.secretsMapping = toApiBody(obj(planned.secrets_mapping) ?? {});
  return body;
}

export const rotationResource: ManagedResource = {
  schema: rotationSchema,
  attributeOf: snakeAll,
  dynamicDefaults: {
    // 00:00 UTC unless a local time is configured; unknown while rotate_at is.
    rotate_at_utc: (p) => (p.rotate_at === null ? { hours: 0, minutes: 0 } : isUnknown(p.rotate_at) ? UNKNOWN : null),
  },
  validate(config) {
    const unknownPaths: string[][] = [];
    const body = rotationBody(config, unknownPaths);
    const ds = zodDiagnostics(createRotationSchema, body, unknownPaths, snakeAll);
    if (!ds.some((d) => d.attribute?.[0] === "secret_path")) ds.push(...trailingSlash(["secret_path"], config.secret_path));
    return ds;
  },
  async create(client, planned, warnings) {
    const answer = await client.createRotationChecked(rotationBody(planned) as never);
    const r = answer.secretRotation;
    for (const w of answer.warnings ?? []) warnings.push(warning(`pgrotate: rotation ${r.name} created with a warning`, w));
    return afterApply(planned, rotationState(r, await client.generatedCredentials(r.id), planned));
  },
  async update(client, prior, planned) {
    const id = idOf(prior);
    const patch = rotationPatch(prior, planned);
    const r = Object.keys(patch).length ? await client.updateRotation(id, patch) : await client.getRotation(id);
    return afterApply(planned, rotationState(r, await client.generatedCredentials(id), planned));
  },
  async delete(client, prior) {
    try {
      await client.deleteRotation(idOf(prior), {
        revokeGeneratedCredentials: prior.revoke_on_delete === true,
        deleteSecrets: prior.delete_secrets_on_delete !== false,
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  },
  read: (client, current) => readRotation(client, idOf(current), current),
  async importState(client, id) {
    const state = await readRotation(client, id, {});
    if (!state) throw Object.assign(new Error(`No rotation with id ${id} on the runner`), { status: 404 });
    return state;
  },
};

export const managedResources: Record<string, ManagedResource> = {
  pgrotate_postgres_connection: connectionResource,
  pgrotate_postgres_credentials_rotation: rotationResource,
};

// ---- data source pgrotate_postgres_credentials

export const credentialsDataSource = {
  schema: credentialsSchema,
  validate(config: ObjectValue): Diagnostic[] {
    const id = config.rotation_id;
    if (typeof id === "string" && !id.trim()) return [error("Invalid rotation_id", "rotation_id must not be empty.", ["rotation_id"])];
    return [];
  },
  async read(client: RunnerClient, config: ObjectValue): Promise<ObjectValue> {
    const id = str(config.rotation_id) ?? "";
    const creds = await client.generatedCredentials(id);
    const active = creds.generatedCredentials[creds.activeIndex];
    return conform(credentialsSchema.attributes, { rotation_id: id, username: active.username, password: active.password, active_index: creds.activeIndex });
  },
};
