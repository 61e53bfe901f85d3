import type { PasswordRequirements } from "../crypto/passwords";
import type { RotationWindow } from "../rotation/window";

/** A scope allowed to use a connection: a folder and its subfolders (null environment or path = any). */
export interface AllowedScope {
  projectId: string;
  environment: string | null;
  secretPath: string | null;
}

/** A stored connection. The password stays sealed until the engine needs it. */
export interface ConnectionRecord {
  id: string;
  name: string;
  description: string | null;
  method: "username-and-password";
  host: string;
  port: number;
  database: string;
  username: string;
  passwordSealed: Buffer;
  sslEnabled: boolean;
  sslRejectUnauthorized: boolean;
  sslCertificate: string | null;
  /** The server's identity (postgres/target.ts serverIdentity); null until known for connections stored before it. */
  serverId: string | null;
  /** The scopes whose tokens may use it (besides unscoped ones); empty = unscoped tokens only. */
  allowedScopes: AllowedScope[];
  version: number;
  managedBy: ManagedBy | null;
  createdAt: Date;
  updatedAt: Date;
}

/** held (migration 018): a scheduled rotation waits while someone still uses the retiring user. */
export type RotationStatus = "success" | "failed" | "pending" | "drifted" | "held";

/** What a drift check does when a stored password no longer logs in (migration 014). */
export type DriftRepair = "reapply" | "rotate" | "off";

/** The IaC tool that created or last updated a connection or rotation (X-Pgrotate-Managed-By). */
export type ManagedBy = "pulumi" | "terraform";

export interface RotationRecord {
  id: string;
  name: string;
  description: string | null;
  projectId: string;
  environment: string;
  secretPath: string;
  connectionId: string;
  connectionName: string;
  isAutoRotationEnabled: boolean;
  rotationInterval: number;
  rotateAt: { hours: number; minutes: number };
  timeZone: string;
  usesUtc: boolean;
  username1: string;
  username2: string;
  passwordRequirements: PasswordRequirements | null;
  secretKeyUsername: string;
  secretKeyPassword: string;
  rotationStatus: RotationStatus;
  activeIndex: 0 | 1;
  inactiveSince: Date | null;
  lastRotationAttemptedAt: Date | null;
  lastRotatedAt: Date | null;
  lastRotationJobId: string | null;
  lastRotationMessage: string | null;
  isLastRotationManual: boolean;
  nextRotationAt: Date | null;
  leaseOwner: string | null;
  /** The fencing token of the lease (a new one per acquisition); null when not leased. */
  leaseToken: string | null;
  leaseUntil: Date | null;
  retryAttempt: number;
  managedBy: ManagedBy | null;
  driftRepair: DriftRepair;
  /** When both stored passwords last logged in; null: check at the next pass. */
  driftCheckedAt: Date | null;
  /** When the rotation may run (rotation/window.ts, migration 017); null: any time. */
  rotationWindow: RotationWindow | null;
  /** The longest a scheduled rotation is held while someone uses the retiring user (0 = never hold; migration 018). */
  maxHoldHours: number;
  /** When the current hold began; null when not held. */
  heldSince: Date | null;
  /** Who was still on the retiring user at the last check (no secret); null when not held. */
  heldBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface IntentRecord {
  rotationId: string;
  targetIndex: 0 | 1;
  kind: "create" | "rotate";
  passwordSealed: Buffer;
  jobId: string;
  trigger: string;
  attempts: number;
  createdAt: Date;
}

export interface SecretRecord {
  id: string;
  projectId: string;
  environment: string;
  secretPath: string;
  key: string;
  valueSealed: Buffer;
  version: number;
  rotationId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns of each table as pg returns them (timestamps as Date, bytea as Buffer, jsonb parsed). */
export interface ConnectionRow {
  id: string;
  name: string;
  description: string | null;
  method: "username-and-password";
  host: string;
  port: number;
  database: string;
  username: string;
  password_sealed: Buffer;
  ssl_enabled: boolean;
  ssl_reject_unauthorized: boolean;
  ssl_certificate: string | null;
  server_id: string | null;
  allowed_scopes: AllowedScope[];
  version: number;
  managed_by: ManagedBy | null;
  created_at: Date;
  updated_at: Date;
}

export interface RotationRow {
  id: string;
  name: string;
  description: string | null;
  project_id: string;
  environment: string;
  secret_path: string;
  connection_id: string;
  is_auto_rotation_enabled: boolean;
  rotation_interval: number;
  rotate_at_hours: number;
  rotate_at_minutes: number;
  time_zone: string;
  uses_utc: boolean;
  username1: string;
  username2: string;
  password_requirements: PasswordRequirements | null;
  secret_key_username: string;
  secret_key_password: string;
  rotation_status: RotationStatus;
  active_index: 0 | 1;
  inactive_since: Date | null;
  last_rotation_attempted_at: Date | null;
  last_rotated_at: Date | null;
  last_rotation_job_id: string | null;
  last_rotation_message: string | null;
  is_last_rotation_manual: boolean;
  next_rotation_at: Date | null;
  lease_owner: string | null;
  lease_token: string | null;
  lease_until: Date | null;
  retry_attempt: number;
  managed_by: ManagedBy | null;
  drift_repair: DriftRepair;
  drift_checked_at: Date | null;
  rotation_window: RotationWindow | null;
  max_hold_hours: number;
  held_since: Date | null;
  held_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A rotation row as the queries return it: with its connection's name (joined). */
export type RotationWithConnectionRow = RotationRow & { connection_name: string };

export interface IntentRow {
  rotation_id: string;
  target_index: 0 | 1;
  kind: "create" | "rotate";
  password_sealed: Buffer;
  job_id: string;
  trigger: string;
  attempts: number;
  created_at: Date;
}

export interface SecretRow {
  id: string;
  project_id: string;
  environment: string;
  secret_path: string;
  key: string;
  value_sealed: Buffer;
  version: number;
  rotation_id: string | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The columns the mappers below read, named explicitly in prepared statements: a later migration that adds a
 * column then cannot change a prepared statement's result type under a running runner (PostgreSQL refuses
 * "cached plan must not change result type" until the connection is replaced). `AllOf` makes the compiler
 * check that each list names every column of its row type, so a column added to a row cannot be forgotten here.
 */
type AllOf<Row, List extends readonly (keyof Row)[]> = Exclude<keyof Row, List[number]> extends never ? List : never;

const CONNECTION_COLUMNS_LIST = ["id", "name", "description", "method", "host", "port", "database", "username", "password_sealed", "ssl_enabled",
  "ssl_reject_unauthorized", "ssl_certificate", "server_id", "allowed_scopes", "version", "managed_by", "created_at", "updated_at"] as const;
const ROTATION_COLUMNS_LIST = ["id", "name", "description", "project_id", "environment", "secret_path", "connection_id", "is_auto_rotation_enabled",
  "rotation_interval", "rotate_at_hours", "rotate_at_minutes", "time_zone", "uses_utc", "username1", "username2", "password_requirements",
  "secret_key_username", "secret_key_password", "rotation_status", "active_index", "inactive_since", "last_rotation_attempted_at",
  "last_rotated_at", "last_rotation_job_id", "last_rotation_message", "is_last_rotation_manual", "next_rotation_at", "lease_owner",
  "lease_token", "lease_until", "retry_attempt", "managed_by", "drift_repair", "drift_checked_at", "rotation_window", "max_hold_hours", "held_since",
  "held_by", "created_at", "updated_at"] as const;
const CONNECTION_COLUMNS: AllOf<ConnectionRow, typeof CONNECTION_COLUMNS_LIST> = CONNECTION_COLUMNS_LIST;
const ROTATION_COLUMNS: AllOf<RotationRow, typeof ROTATION_COLUMNS_LIST> = ROTATION_COLUMNS_LIST;

/** "a.col1, a.col2, …" for a select or RETURNING list. */
const columns = (alias: string, list: readonly string[]): string => list.map((c) => `${alias}.${c}`).join(", ");
export const connectionColumns = (alias: string): string => columns(alias, CONNECTION_COLUMNS);
export const rotationColumns = (alias: string): string => columns(alias, ROTATION_COLUMNS);
/** "a.col1 AS p_col1, …": a connection's columns beside a rotation's in one row (see fromPrefixed). */
export const prefixedConnectionColumns = (alias: string, prefix: string): string =>
  CONNECTION_COLUMNS.map((c) => `${alias}.${c} AS ${prefix}${c}`).join(", ");
/** The connection row of prefixedConnectionColumns. */
export const fromPrefixed = (row: Record<string, unknown>, prefix: string): ConnectionRow =>
  Object.fromEntries(CONNECTION_COLUMNS.map((c) => [c, row[`${prefix}${c}`]])) as unknown as ConnectionRow;

export const toConnection = (r: ConnectionRow): ConnectionRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  method: r.method,
  host: r.host,
  port: r.port,
  database: r.database,
  username: r.username,
  passwordSealed: r.password_sealed,
  sslEnabled: r.ssl_enabled,
  sslRejectUnauthorized: r.ssl_reject_unauthorized,
  sslCertificate: r.ssl_certificate,
  serverId: r.server_id,
  allowedScopes: r.allowed_scopes,
  version: r.version,
  managedBy: r.managed_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toRotation = (r: RotationWithConnectionRow): RotationRecord => ({
  id: r.id,
  name: r.name,
  description: r.description,
  projectId: r.project_id,
  environment: r.environment,
  secretPath: r.secret_path,
  connectionId: r.connection_id,
  connectionName: r.connection_name,
  isAutoRotationEnabled: r.is_auto_rotation_enabled,
  rotationInterval: r.rotation_interval,
  rotateAt: { hours: r.rotate_at_hours, minutes: r.rotate_at_minutes },
  timeZone: r.time_zone,
  usesUtc: r.uses_utc,
  username1: r.username1,
  username2: r.username2,
  passwordRequirements: r.password_requirements,
  secretKeyUsername: r.secret_key_username,
  secretKeyPassword: r.secret_key_password,
  rotationStatus: r.rotation_status,
  activeIndex: r.active_index,
  inactiveSince: r.inactive_since,
  lastRotationAttemptedAt: r.last_rotation_attempted_at,
  lastRotatedAt: r.last_rotated_at,
  lastRotationJobId: r.last_rotation_job_id,
  lastRotationMessage: r.last_rotation_message,
  isLastRotationManual: r.is_last_rotation_manual,
  nextRotationAt: r.next_rotation_at,
  leaseOwner: r.lease_owner,
  leaseToken: r.lease_token,
  leaseUntil: r.lease_until,
  retryAttempt: r.retry_attempt,
  managedBy: r.managed_by,
  driftRepair: r.drift_repair,
  driftCheckedAt: r.drift_checked_at,
  rotationWindow: r.rotation_window,
  maxHoldHours: r.max_hold_hours,
  heldSince: r.held_since,
  heldBy: r.held_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toIntent = (r: IntentRow): IntentRecord => ({
  rotationId: r.rotation_id,
  targetIndex: r.target_index,
  kind: r.kind,
  passwordSealed: r.password_sealed,
  jobId: r.job_id,
  trigger: r.trigger,
  attempts: r.attempts,
  createdAt: r.created_at,
});

export const toSecret = (r: SecretRow): SecretRecord => ({
  id: r.id,
  projectId: r.project_id,
  environment: r.environment,
  secretPath: r.secret_path,
  key: r.key,
  valueSealed: r.value_sealed,
  version: r.version,
  rotationId: r.rotation_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
