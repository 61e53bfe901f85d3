import type { Pool, PoolClient } from "pg";
import { prepared } from "./db";
import type { PasswordRequirements } from "../crypto/passwords";
import type { RotationSortField } from "../schemas";
import type { RotationWindow } from "../rotation/window";
import { type DriftRepair, type ManagedBy, type RotationRecord, type RotationStatus, type RotationWithConnectionRow, rotationColumns, toRotation } from "./rows";

type Q = Pool | PoolClient;

/** The credential upsert of a create, on $1 rotation, $2 index, $3 username, $4 sealed password. */
const UPSERT_CREDENTIAL = `INSERT INTO credentials (rotation_id, idx, username, password_sealed) VALUES ($1, $2, $3, $4)
  ON CONFLICT (rotation_id, idx) DO UPDATE SET username = EXCLUDED.username, password_sealed = EXCLUDED.password_sealed, updated_at = now()`;

export const HISTORY_COLUMNS = "rotation_id, job_id, attempt, trigger, result, target_index, runner_id, started_at, finished_at, duration_ms, message, next_attempt_at";
export const INTENT_COLUMNS = "rotation_id, target_index, kind, password_sealed, job_id, trigger";

const SELECT = `SELECT ${rotationColumns("r")}, c.name AS connection_name FROM rotations r JOIN connections c ON c.id = r.connection_id`;
/** A RETURNING list: the rotation row as toRotation reads it. */
export const RETURNING_ROTATION = `RETURNING ${rotationColumns("r")}, (SELECT c.name FROM connections c WHERE c.id = r.connection_id) AS connection_name`;

export type NewRotation = Pick<
  RotationRecord,
  | "id" | "name" | "description" | "projectId" | "environment" | "secretPath" | "connectionId" | "isAutoRotationEnabled"
  | "rotationInterval" | "rotateAt" | "timeZone" | "usesUtc" | "username1" | "username2" | "secretKeyUsername" | "secretKeyPassword" | "createdAt"
  | "managedBy" | "driftRepair" | "rotationWindow" | "maxHoldHours"
> & { passwordRequirements: unknown; leaseOwner: string; leaseToken: string; leaseMs: number };

export async function insertRotation(q: Q, r: NewRotation): Promise<void> {
  await q.query(
    `INSERT INTO rotations (id, name, description, project_id, environment, secret_path, connection_id,
       is_auto_rotation_enabled, rotation_interval, rotate_at_hours, rotate_at_minutes, time_zone, uses_utc,
       username1, username2, password_requirements, secret_key_username, secret_key_password, rotation_status,
       lease_owner, lease_token, lease_until, created_at, updated_at, managed_by, drift_repair, drift_checked_at, rotation_window, max_hold_hours)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,'pending',$19,$20,now() + $21::float8 * interval '1 millisecond',$22,$22,$23,$24,$22,$25,$26)`,
    [r.id, r.name, r.description, r.projectId, r.environment, r.secretPath, r.connectionId, r.isAutoRotationEnabled,
      r.rotationInterval, r.rotateAt.hours, r.rotateAt.minutes, r.timeZone, r.usesUtc, r.username1, r.username2,
      r.passwordRequirements === undefined ? null : JSON.stringify(r.passwordRequirements), r.secretKeyUsername,
      r.secretKeyPassword, r.leaseOwner, r.leaseToken, r.leaseMs, r.createdAt, r.managedBy, r.driftRepair,
      r.rotationWindow === null ? null : JSON.stringify(r.rotationWindow), r.maxHoldHours],
  );
}

export async function findRotation(q: Q, id: string): Promise<RotationRecord | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(`${SELECT} WHERE r.id = $1`, [id]));
  return rows[0] ? toRotation(rows[0]) : undefined;
}

export type NewIntent = { rotationId: string; targetIndex: 0 | 1; kind: "create" | "rotate"; passwordSealed: Buffer; jobId: string; trigger: string };

export async function lockRotation(q: PoolClient, id: string): Promise<RotationRecord | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow>(`${SELECT} WHERE r.id = $1 FOR UPDATE OF r`, [id]);
  return rows[0] ? toRotation(rows[0]) : undefined;
}

export async function findRotationByName(
  q: Q,
  f: { projectId: string; environment: string; secretPath: string; name: string },
): Promise<RotationRecord | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow>(
    `${SELECT} WHERE r.project_id = $1 AND r.environment = $2 AND r.secret_path = $3 AND r.name = $4`,
    [f.projectId, f.environment, f.secretPath, f.name],
  );
  return rows[0] ? toRotation(rows[0]) : undefined;
}

/** The rotations that use a connection. */
export async function listRotationsUsing(q: Q, connectionId: string): Promise<RotationRecord[]> {
  const { rows } = await q.query<RotationWithConnectionRow>(`${SELECT} WHERE r.connection_id = $1 ORDER BY r.created_at, r.id`, [connectionId]);
  return rows.map(toRotation);
}

/** What a list asks for: filters, the caller's scope (null = any), an order and a page (no limit = all). */
export interface RotationListQuery {
  projectId?: string;
  environment?: string;
  secretPath?: string;
  status?: RotationStatus;
  /** A substring of the name, case-insensitive. */
  search?: string;
  /** The caller's scope, as auth/principal.ts `covers` reads it: a path covers its subfolders. */
  scope: { projectId: string | null; environment: string | null; secretPath: string | null };
  sort?: { field: RotationSortField; descending: boolean };
  offset?: number;
  limit?: number;
}

/** The column of each sort field; text sorts by bytes (COLLATE "C") so the order does not depend on the store's locale. */
const SORT_COLUMNS: { readonly [K in RotationSortField]: string } = {
  name: 'r.name COLLATE "C"',
  createdAt: "r.created_at",
  updatedAt: "r.updated_at",
  lastRotatedAt: "r.last_rotated_at",
  lastRotationAttemptedAt: "r.last_rotation_attempted_at",
  nextRotationAt: "r.next_rotation_at",
  rotationStatus: 'r.rotation_status COLLATE "C"',
  environment: 'r.environment COLLATE "C"',
  secretPath: 'r.secret_path COLLATE "C"',
};

/** The WHERE clause of a list: only the conditions asked for (so the planner can use an index), and the values. */
export function listConditions(l: RotationListQuery): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const conditions: string[] = [];
  const add = (sql: (n: string) => string, value: unknown) => {
    values.push(value);
    conditions.push(sql(`$${values.length}`));
  };
  if (l.projectId !== undefined) add((n) => `r.project_id = ${n}`, l.projectId);
  if (l.environment !== undefined) add((n) => `r.environment = ${n}`, l.environment);
  if (l.secretPath !== undefined) add((n) => `r.secret_path = ${n}`, l.secretPath);
  if (l.status !== undefined) add((n) => `r.rotation_status = ${n}`, l.status);
  if (l.search) add((n) => `strpos(lower(r.name), lower(${n})) > 0`, l.search);
  if (l.scope.projectId !== null) add((n) => `r.project_id = ${n}`, l.scope.projectId);
  if (l.scope.environment !== null) add((n) => `r.environment = ${n}`, l.scope.environment);
  if (l.scope.secretPath !== null && l.scope.secretPath !== "/") {
    add((n) => `(r.secret_path = ${n} OR starts_with(r.secret_path, ${n} || '/'))`, l.scope.secretPath);
  }
  return { sql: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", values };
}

/**
 * One page of the rotations a list asks for, and how many match in all, read in one statement (one snapshot:
 * the total counts exactly the rows the pages are cut from). Ties in the order fall back to creation, then id,
 * so consecutive pages neither repeat nor skip a rotation. The page is cut on the ids alone (the sort handles
 * narrow rows; migration 016's indexes serve the default and the name order), then its rows are read whole.
 */
export async function listRotations(q: Q, l: RotationListQuery): Promise<{ rotations: RotationRecord[]; totalCount: number }> {
  const where = listConditions(l);
  const order = `${l.sort ? `${SORT_COLUMNS[l.sort.field]} ${l.sort.descending ? "DESC" : "ASC"} NULLS LAST, ` : ""}r.created_at, r.id`;
  const n = where.values.length;
  const { rows } = await q.query<RotationWithConnectionRow & { total_count: number }>(
    `WITH total AS (SELECT count(*)::int AS n FROM rotations r ${where.sql}),
     page AS (SELECT r.id FROM rotations r ${where.sql} ORDER BY ${order} LIMIT $${n + 1} OFFSET $${n + 2})
     SELECT total.n AS total_count, rows.* FROM total LEFT JOIN LATERAL (
       ${SELECT} WHERE r.id IN (SELECT id FROM page) ORDER BY ${order}
     ) rows ON true`,
    [...where.values, l.limit ?? null, l.offset ?? 0],
  );
  return { rotations: rows[0]?.id ? rows.map(toRotation) : [], totalCount: rows[0]?.total_count ?? 0 };
}

/** A rotation that owns a database user (rotationsOwningUsers). */
export interface UserOwner {
  id: string;
  name: string;
  projectId: string;
  environment: string;
  secretPath: string;
  username: string;
}

/**
 * The rotations that own one of `usernames` on the server `serverId`: through any connection that reaches that
 * server, and through `connectionIds` (whose server may not be recorded yet); none using `exceptConnectionId`.
 */
export async function rotationsOwningUsers(
  q: Q,
  a: { serverId: string | null; connectionIds: string[]; usernames: string[]; exceptConnectionId?: string },
): Promise<UserOwner[]> {
  const { rows } = await q.query<{ id: string; name: string; project_id: string; environment: string; secret_path: string; username: string }>(
    `SELECT r.id, r.name, r.project_id, r.environment, r.secret_path, u.username
     FROM rotations r JOIN connections c ON c.id = r.connection_id
     CROSS JOIN LATERAL (VALUES (r.username1), (r.username2)) u (username)
     WHERE (r.username1 = ANY($3::text[]) OR r.username2 = ANY($3::text[])) -- what the name indexes answer (migration 010)
       AND (c.server_id = $1 OR r.connection_id = ANY($2::uuid[])) AND u.username = ANY($3::text[])
       AND ($4::uuid IS NULL OR r.connection_id <> $4)
     ORDER BY r.created_at, r.id`,
    [a.serverId, a.connectionIds, a.usernames, a.exceptConnectionId ?? null],
  );
  return rows.map((r) => ({ id: r.id, name: r.name, projectId: r.project_id, environment: r.environment, secretPath: r.secret_path, username: r.username }));
}

/** Serialises claims of users on one server until the end of the transaction (two creates cannot both pass). */
export async function lockServerUsers(q: PoolClient, serverId: string): Promise<void> {
  await q.query("SELECT pg_advisory_xact_lock(hashtext('pgrotate:server-users:' || $1))", [serverId]);
}

/** What an update may change in a rotation row; each field maps to one fixed column (ROTATION_PATCH_COLUMNS). */
export interface RotationPatch {
  name?: string;
  description?: string | null;
  isAutoRotationEnabled?: boolean;
  rotationInterval?: number;
  rotateAtHours?: number;
  rotateAtMinutes?: number;
  timeZone?: string;
  usesUtc?: boolean;
  passwordRequirements?: PasswordRequirements | null;
  secretKeyUsername?: string;
  secretKeyPassword?: string;
  rotationStatus?: RotationStatus;
  activeIndex?: 0 | 1;
  inactiveSince?: Date | null;
  lastRotatedAt?: Date | null;
  lastRotationAttemptedAt?: Date | null;
  lastRotationJobId?: string | null;
  lastRotationMessage?: string | null;
  isLastRotationManual?: boolean;
  nextRotationAt?: Date | null;
  retryAttempt?: number;
  managedBy?: ManagedBy;
  driftRepair?: DriftRepair;
  driftCheckedAt?: Date | null;
  rotationWindow?: RotationWindow | null;
  maxHoldHours?: number;
  heldSince?: Date | null;
  heldBy?: string | null;
}

const ROTATION_PATCH_COLUMNS: { readonly [K in keyof Required<RotationPatch>]: string } = {
  name: "name",
  description: "description",
  isAutoRotationEnabled: "is_auto_rotation_enabled",
  rotationInterval: "rotation_interval",
  rotateAtHours: "rotate_at_hours",
  rotateAtMinutes: "rotate_at_minutes",
  timeZone: "time_zone",
  usesUtc: "uses_utc",
  passwordRequirements: "password_requirements",
  secretKeyUsername: "secret_key_username",
  secretKeyPassword: "secret_key_password",
  rotationStatus: "rotation_status",
  activeIndex: "active_index",
  inactiveSince: "inactive_since",
  lastRotatedAt: "last_rotated_at",
  lastRotationAttemptedAt: "last_rotation_attempted_at",
  lastRotationJobId: "last_rotation_job_id",
  lastRotationMessage: "last_rotation_message",
  isLastRotationManual: "is_last_rotation_manual",
  nextRotationAt: "next_rotation_at",
  retryAttempt: "retry_attempt",
  managedBy: "managed_by",
  driftRepair: "drift_repair",
  driftCheckedAt: "drift_checked_at",
  rotationWindow: "rotation_window",
  maxHoldHours: "max_hold_hours",
  heldSince: "held_since",
  heldBy: "held_by",
};

/** The jsonb columns of a patch: their values go as JSON text. */
const JSON_PATCH_FIELDS: ReadonlySet<keyof RotationPatch> = new Set(["passwordRequirements", "rotationWindow"]);

/**
 * "col = $n, …" for the fields present in `patch` (undefined = leave alone), numbered from `first`, and their
 * values. A field outside the fixed column list is a programming error, never SQL.
 */
export function assignments(patch: RotationPatch, first: number): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(patch) as Array<[keyof RotationPatch, unknown]>) {
    if (value === undefined) continue;
    const column = ROTATION_PATCH_COLUMNS[field];
    if (!column) throw new Error(`rotation update: unknown field ${String(field)}`);
    values.push(JSON_PATCH_FIELDS.has(field) && value !== null ? JSON.stringify(value) : value);
    parts.push(`${column} = $${first + values.length - 1}`);
  }
  return { sql: parts.join(", "), values };
}

/** Sets the fields of `patch` and updated_at. */
export async function updateRotation(q: Q, id: string, patch: RotationPatch): Promise<void> {
  const { sql, values } = assignments(patch, 2);
  if (!values.length) return;
  await q.query(`UPDATE rotations SET ${sql}, updated_at = now() WHERE id = $1`, [id, ...values]);
}

export async function deleteRotation(q: Q, id: string): Promise<void> {
  await q.query("DELETE FROM rotations WHERE id = $1", [id]);
}

export async function upsertCredential(q: Q, rotationId: string, idx: number, username: string, sealed: Buffer): Promise<void> {
  await q.query(UPSERT_CREDENTIAL, [rotationId, idx, username, sealed]);
}

export async function credentialsOf(q: Q, rotationId: string): Promise<Array<{ idx: number; username: string; passwordSealed: Buffer }>> {
  const { rows } = await q.query<{ idx: number; username: string; password_sealed: Buffer }>("SELECT idx, username, password_sealed FROM credentials WHERE rotation_id = $1 ORDER BY idx", [
    rotationId,
  ]);
  return rows.map((r) => ({ idx: r.idx, username: r.username, passwordSealed: r.password_sealed }));
}

export async function insertIntent(
  q: Q,
  i: NewIntent,
  opts: { replace?: boolean } = {},
): Promise<void> {
  // replace: a worn-out intent for the same user gives way to this one (fresh password, attempts from 0).
  await q.query(prepared(
    `INSERT INTO rotation_intents (${INTENT_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6)${opts.replace ? `
     ON CONFLICT (rotation_id, target_index) DO UPDATE SET kind = EXCLUDED.kind, password_sealed = EXCLUDED.password_sealed,
       job_id = EXCLUDED.job_id, trigger = EXCLUDED.trigger, attempts = 0, created_at = now()` : ""}`,
    [i.rotationId, i.targetIndex, i.kind, i.passwordSealed, i.jobId, i.trigger],
  ));
}

/** Deletes the intents of one job (a create's two). */
export async function deleteIntentsOfJob(q: Q, rotationId: string, jobId: string): Promise<void> {
  await q.query("DELETE FROM rotation_intents WHERE rotation_id = $1 AND job_id = $2", [rotationId, jobId]);
}

export interface RotationCounts {
  rotations: number;
  failing: number;
  drifted: number;
  overdue: number;
  intents: number;
}

export async function rotationCounts(q: Q, now: Date, overdueAfterMs: number): Promise<RotationCounts> {
  const { rows } = await q.query<RotationCounts>(
    `SELECT count(*)::int AS rotations,
            count(*) FILTER (WHERE rotation_status = 'failed')::int AS failing,
            count(*) FILTER (WHERE rotation_status = 'drifted')::int AS drifted,
            count(*) FILTER (WHERE is_auto_rotation_enabled AND next_rotation_at < $1::timestamptz - make_interval(secs => $2)
                               -- a frozen project's rotations wait on purpose (migration 017): not overdue
                               AND NOT EXISTS (SELECT 1 FROM project_freezes f WHERE f.project_id = rotations.project_id))::int AS overdue,
            (SELECT count(*)::int FROM rotation_intents) AS intents
     FROM rotations`,
    [now, overdueAfterMs / 1000],
  );
  return rows[0];
}

export interface HistoryEntry {
  rotationId: string;
  jobId: string | null;
  attempt: number;
  trigger: string;
  result: "success" | "failed";
  targetIndex: number | null;
  runnerId: string;
  startedAt: Date;
  finishedAt: Date;
  message: string | null;
  nextAttemptAt: Date | null;
}

/** An attempt's duration as the int column holds it. */
export const durationMs = (h: HistoryEntry): number => Math.min(2 ** 31 - 1, Math.max(0, h.finishedAt.getTime() - h.startedAt.getTime()));

export async function insertHistory(q: Q, h: HistoryEntry): Promise<void> {
  await q.query(
    `INSERT INTO rotation_history (${HISTORY_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
    [h.rotationId, h.jobId, h.attempt, h.trigger, h.result, h.targetIndex, h.runnerId, h.startedAt, h.finishedAt,
      durationMs(h), h.message, h.nextAttemptAt],
  );
}

/** A stored attempt (newest first from historyOf). */
export interface HistoryRecord extends HistoryEntry {
  id: string;
  durationMs: number;
}

interface HistoryRow {
  id: string;
  rotation_id: string;
  job_id: string | null;
  attempt: number;
  trigger: string;
  result: "success" | "failed";
  target_index: number | null;
  runner_id: string;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
  message: string | null;
  next_attempt_at: Date | null;
}

export async function historyOf(q: Q, rotationId: string, limit = 100): Promise<HistoryRecord[]> {
  const { rows } = await q.query<HistoryRow>(
    `SELECT id::text, rotation_id, job_id, attempt, trigger, result, target_index, runner_id, started_at, finished_at, duration_ms, message,
            next_attempt_at FROM rotation_history WHERE rotation_id = $1 ORDER BY id DESC LIMIT $2`,
    [rotationId, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    rotationId: r.rotation_id,
    jobId: r.job_id,
    attempt: r.attempt,
    trigger: r.trigger,
    result: r.result,
    targetIndex: r.target_index,
    runnerId: r.runner_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    message: r.message,
    nextAttemptAt: r.next_attempt_at,
  }));
}

/** The environments rotations file secrets under in a project, in order (a project by slug: api/projects.ts). */
export async function projectEnvironments(q: Q, projectId: string): Promise<string[]> {
  const { rows } = await q.query<{ environment: string }>("SELECT DISTINCT environment FROM rotations WHERE project_id = $1 ORDER BY environment", [projectId]);
  return rows.map((r) => r.environment);
}

/** Rotations held now (someone still on the retiring user), and how long the oldest hold has lasted, in seconds. */
export async function heldCounts(q: Q, now: Date): Promise<{ held: number; longestSeconds: number }> {
  const { rows } = await q.query<{ held: number; longest: number }>(
    `SELECT count(*)::int AS held, coalesce(extract(epoch FROM $1::timestamptz - min(held_since)), 0)::float8 AS longest
     FROM rotations WHERE rotation_status = 'held'`,
    [now],
  );
  return { held: rows[0].held, longestSeconds: Math.max(0, rows[0].longest) };
}
