import type { Pool, PoolClient } from "pg";
import { prepared } from "./db";
import type { PasswordRequirements } from "../crypto/passwords";
import {
  type ConnectionRecord, connectionColumns, type ConnectionRow, type IntentRecord, type IntentRow, type ManagedBy, type RotationRecord, type RotationStatus,
  type RotationWithConnectionRow, rotationColumns, toConnection, toIntent, toRotation,
} from "./rows";

type Q = Pool | PoolClient;

/** The credential upsert of a create and of a rotation's commit, on $1 rotation, $2 index, $3 username, $4 sealed password. */
const UPSERT_CREDENTIAL = `INSERT INTO credentials (rotation_id, idx, username, password_sealed) VALUES ($1, $2, $3, $4)
  ON CONFLICT (rotation_id, idx) DO UPDATE SET username = EXCLUDED.username, password_sealed = EXCLUDED.password_sealed, updated_at = now()`;

const HISTORY_COLUMNS = "rotation_id, job_id, attempt, trigger, result, target_index, runner_id, started_at, finished_at, duration_ms, message, next_attempt_at";
const INTENT_COLUMNS = "rotation_id, target_index, kind, password_sealed, job_id, trigger";

const SELECT = `SELECT ${rotationColumns("r")}, c.name AS connection_name FROM rotations r JOIN connections c ON c.id = r.connection_id`;
/** A RETURNING list: the rotation row as toRotation reads it. */
const RETURNING_ROTATION = `RETURNING ${rotationColumns("r")}, (SELECT c.name FROM connections c WHERE c.id = r.connection_id) AS connection_name`;

export type NewRotation = Pick<
  RotationRecord,
  | "id" | "name" | "description" | "projectId" | "environment" | "secretPath" | "connectionId" | "isAutoRotationEnabled"
  | "rotationInterval" | "rotateAt" | "timeZone" | "usesUtc" | "username1" | "username2" | "secretKeyUsername" | "secretKeyPassword" | "createdAt"
  | "managedBy"
> & { passwordRequirements: unknown; leaseOwner: string; leaseUntil: Date };

export async function insertRotation(q: Q, r: NewRotation): Promise<void> {
  await q.query(
    `INSERT INTO rotations (id, name, description, project_id, environment, secret_path, connection_id,
       is_auto_rotation_enabled, rotation_interval, rotate_at_hours, rotate_at_minutes, time_zone, uses_utc,
       username1, username2, password_requirements, secret_key_username, secret_key_password, rotation_status,
       lease_owner, lease_until, created_at, updated_at, managed_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,'pending',$19,$20,$21,$21,$22)`,
    [r.id, r.name, r.description, r.projectId, r.environment, r.secretPath, r.connectionId, r.isAutoRotationEnabled,
      r.rotationInterval, r.rotateAt.hours, r.rotateAt.minutes, r.timeZone, r.usesUtc, r.username1, r.username2,
      r.passwordRequirements === undefined ? null : JSON.stringify(r.passwordRequirements), r.secretKeyUsername,
      r.secretKeyPassword, r.leaseOwner, r.leaseUntil, r.createdAt, r.managedBy],
  );
}

export async function findRotation(q: Q, id: string): Promise<RotationRecord | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(`${SELECT} WHERE r.id = $1`, [id]));
  return rows[0] ? toRotation(rows[0]) : undefined;
}

/**
 * Takes the rotation's lease in one statement if it is free (never held, expired at `now`, or — with
 * reclaimOwn — held by this owner). Undefined when it does not exist or another runner holds it. Like
 * releaseLease it leaves updated_at alone.
 */
export async function leaseRotation(
  q: Q,
  a: { id: string; owner: string; now: Date; until: Date; reclaimOwn: boolean },
): Promise<RotationRecord | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(
    `UPDATE rotations r SET lease_owner = $2, lease_until = $4
     WHERE r.id = $1 AND (r.lease_until IS NULL OR r.lease_until <= $3 OR ($5 AND r.lease_owner = $2))
     ${RETURNING_ROTATION}`,
    [a.id, a.owner, a.now, a.until, a.reclaimOwn],
  ));
  return rows[0] ? toRotation(rows[0]) : undefined;
}

/**
 * Gives back this owner's lease. Leases are bookkeeping, not content: taking and giving one back leaves the
 * row as it was (updated_at included), so a refused rotation changes nothing a client can see.
 */
export async function releaseLease(q: Q, id: string, owner: string): Promise<void> {
  await q.query(prepared(`UPDATE rotations SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`, [id, owner]));
}

/** Gives back every lease of this owner that guards no intent (at start: leases of its previous life). */
export async function releaseIdleLeases(q: Q, owner: string): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE rotations r SET lease_owner = NULL, lease_until = NULL
     WHERE r.lease_owner = $1 AND NOT EXISTS (SELECT 1 FROM rotation_intents i WHERE i.rotation_id = r.id)`,
    [owner],
  );
  return rowCount ?? 0;
}

/** A leased rotation's working set, read in one statement after the lease (so it sees the last holder's commit). */
export interface RotationWork {
  /** The intents that were there before this statement (a crash's or a failed attempt's leftovers). */
  intents: IntentRecord[];
  /** Whether `insert` was stored (only when no intent was there). */
  inserted: boolean;
  connection: ConnectionRecord | undefined;
  /** The rotation's mapped secrets by role, as the rotation row names them in the same snapshot. */
  secretIds: { username: string[]; password: string[] };
}

export type NewIntent = { rotationId: string; targetIndex: 0 | 1; kind: "create" | "rotate"; passwordSealed: Buffer; jobId: string; trigger: string };

/** rotationWork's one row: the connection's columns (all null when it is gone), the intents and secret ids as arrays. */
type WorkRow = { [K in keyof ConnectionRow]: ConnectionRow[K] | null } & {
  i_target_index: Array<0 | 1> | null;
  i_kind: Array<IntentRow["kind"]>;
  i_password_sealed: Buffer[];
  i_job_id: string[];
  i_trigger: string[];
  i_attempts: number[];
  i_created_at: Date[];
  s_username: string[] | null;
  s_password: string[] | null;
  inserted: boolean;
};

/** The intents (as arrays, by target index) and the mapped secret ids of rotation $1, for a FROM list. */
const WORK_FROM = `(SELECT array_agg(target_index ORDER BY target_index) AS i_target_index, array_agg(kind ORDER BY target_index) AS i_kind,
                  array_agg(password_sealed ORDER BY target_index) AS i_password_sealed, array_agg(job_id::text ORDER BY target_index) AS i_job_id,
                  array_agg(trigger ORDER BY target_index) AS i_trigger, array_agg(attempts ORDER BY target_index) AS i_attempts,
                  array_agg(created_at ORDER BY target_index) AS i_created_at
           FROM rotation_intents WHERE rotation_id = $1) i,
          (SELECT array_agg(s.id::text) FILTER (WHERE s.key = r.secret_key_username) AS s_username,
                  array_agg(s.id::text) FILTER (WHERE s.key = r.secret_key_password) AS s_password
           FROM rotations r JOIN secrets s ON s.rotation_id = r.id WHERE r.id = $1) s`;

function toWork(rotationId: string, w: WorkRow, connection: ConnectionRecord | undefined): RotationWork {
  const intents = (w.i_target_index ?? []).map((targetIndex, k) =>
    toIntent({
      rotation_id: rotationId,
      target_index: targetIndex,
      kind: w.i_kind[k],
      password_sealed: w.i_password_sealed[k],
      job_id: w.i_job_id[k],
      trigger: w.i_trigger[k],
      attempts: w.i_attempts[k],
      created_at: w.i_created_at[k],
    }),
  );
  return { intents, inserted: w.inserted === true, connection, secretIds: { username: w.s_username ?? [], password: w.s_password ?? [] } };
}

/** A fresh intent's parameters in the order both intent-storing statements below take them (all null: none). */
const freshIntentValues = (n?: NewIntent) => [n?.targetIndex ?? null, n?.passwordSealed ?? null, n?.jobId ?? null, n?.trigger ?? null, n?.kind ?? null];

/**
 * One statement: the rotation's intents, connection and mapped secret ids, and — when `insert` is given and
 * no intent is there — the new intent, durably (it commits before the target is touched).
 */
export async function rotationWork(q: Q, a: { rotationId: string; connectionId: string; insert?: NewIntent }): Promise<RotationWork> {
  const { rows } = await q.query<WorkRow>(prepared(
    `WITH ins AS (
       INSERT INTO rotation_intents (${INTENT_COLUMNS})
       SELECT $1, $3::smallint, $7::text, $4::bytea, $5::uuid, $6::text
       WHERE $3::smallint IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rotation_intents WHERE rotation_id = $1)
       RETURNING 1)
     SELECT ${connectionColumns("c")}, i.*, s.*, EXISTS (SELECT 1 FROM ins) AS inserted
     FROM (SELECT $2::uuid AS id) k LEFT JOIN connections c ON c.id = k.id,
          ${WORK_FROM}`,
    [a.rotationId, a.connectionId, ...freshIntentValues(a.insert)],
  ));
  const w = rows[0]; // always one row; the connection's columns are null when it is gone
  return toWork(a.rotationId, w, w.id === null ? undefined : toConnection(w as ConnectionRow));
}

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

export async function listRotations(q: Q, projectId?: string): Promise<RotationRecord[]> {
  const { rows } = await q.query<RotationWithConnectionRow>(`${SELECT} WHERE ($1::text IS NULL OR r.project_id = $1) ORDER BY r.created_at, r.id`, [
    projectId ?? null,
  ]);
  return rows.map(toRotation);
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
  leaseOwner?: string | null;
  leaseUntil?: Date | null;
  managedBy?: ManagedBy;
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
  leaseOwner: "lease_owner",
  leaseUntil: "lease_until",
  managedBy: "managed_by",
};

/**
 * "col = $n, …" for the fields present in `patch` (undefined = leave alone), numbered from `first`, and their
 * values. A field outside the fixed column list is a programming error, never SQL.
 */
function assignments(patch: RotationPatch, first: number): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(patch) as Array<[keyof RotationPatch, unknown]>) {
    if (value === undefined) continue;
    const column = ROTATION_PATCH_COLUMNS[field];
    if (!column) throw new Error(`rotation update: unknown field ${String(field)}`);
    values.push(field === "passwordRequirements" && value !== null ? JSON.stringify(value) : value);
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

export async function intentsOf(q: Q, rotationId: string): Promise<IntentRecord[]> {
  const { rows } = await q.query<IntentRow>("SELECT * FROM rotation_intents WHERE rotation_id = $1 ORDER BY target_index", [rotationId]);
  return rows.map(toIntent);
}

export async function countIntentAttempt(q: Q, rotationId: string, targetIndex: number): Promise<void> {
  await q.query("UPDATE rotation_intents SET attempts = attempts + 1 WHERE rotation_id = $1 AND target_index = $2", [
    rotationId,
    targetIndex,
  ]);
}

export async function deleteIntents(q: Q, rotationId: string): Promise<void> {
  await q.query("DELETE FROM rotation_intents WHERE rotation_id = $1", [rotationId]);
}

/**
 * Rotations with a leftover intent that recovery must finish: its runner is gone (the lease expired, or at start
 * it is leased to this runner id from a previous life of the process), or it is an unfinished create whose last
 * attempt failed and whose planned retry is due (the scheduler's claim never takes a create's intents).
 */
export async function rotationsWithOrphanIntents(q: Q, now: Date, reclaimOwner?: string): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT DISTINCT r.id FROM rotation_intents i JOIN rotations r ON r.id = i.rotation_id
     WHERE r.lease_until < $1 OR r.lease_owner = $2
        OR (i.kind = 'create' AND r.lease_owner IS NULL AND r.next_rotation_at <= $1)`,
    [now, reclaimOwner ?? null],
  );
  return rows.map((r) => r.id);
}

export interface RotationCounts {
  rotations: number;
  failing: number;
  overdue: number;
  intents: number;
}

export async function rotationCounts(q: Q, now: Date, overdueAfterMs: number): Promise<RotationCounts> {
  const { rows } = await q.query<RotationCounts>(
    `SELECT count(*)::int AS rotations,
            count(*) FILTER (WHERE rotation_status = 'failed')::int AS failing,
            count(*) FILTER (WHERE is_auto_rotation_enabled AND next_rotation_at < $1::timestamptz - make_interval(secs => $2))::int AS overdue,
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
const durationMs = (h: HistoryEntry): number => Math.min(2 ** 31 - 1, Math.max(0, h.finishedAt.getTime() - h.startedAt.getTime()));

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

/**
 * Claims up to `limit` due rotations for this runner: row locks with SKIP LOCKED so runners sharing a store
 * never claim the same one, and a lease so a runner that dies gives its claims back when it expires.
 */
export async function claimDue(q: Q, now: Date, owner: string, leaseUntil: Date, limit: number): Promise<RotationRecord[]> {
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(
    `WITH due AS (
       SELECT id FROM rotations
       WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL AND next_rotation_at <= $1
         AND rotation_status <> 'pending' AND (lease_until IS NULL OR lease_until < $1)
       ORDER BY next_rotation_at
       LIMIT $4
       FOR UPDATE SKIP LOCKED)
     UPDATE rotations r SET lease_owner = $2, lease_until = $3 FROM due WHERE r.id = due.id
     ${RETURNING_ROTATION}`,
    [now, owner, leaseUntil, limit],
  ));
  return rows.map(toRotation);
}

/**
 * When the next claim can succeed: the earliest next_rotation_at of what claimDue could take (enabled, not
 * pending, not leased at `now`), read in order on the partial index rotations_due. Undefined when none is set.
 */
export async function nextDueAt(q: Q, now: Date): Promise<Date | undefined> {
  const { rows } = await q.query<{ at: Date }>(prepared(
    `SELECT next_rotation_at AS at FROM rotations
     WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL
       AND rotation_status <> 'pending' AND (lease_until IS NULL OR lease_until < $1)
     ORDER BY next_rotation_at LIMIT 1`,
    [now],
  ));
  return rows[0]?.at;
}

/**
 * The commit of a rotation as one statement, so one transaction: the credential, the mapped secrets' new
 * sealed values, the rotation row, its history row, and the intent's removal. Returns the row.
 */
export async function commitRotationRow(
  q: Q,
  a: {
    rotationId: string;
    targetIndex: number;
    username: string;
    credentialSealed: Buffer;
    secretIds: string[];
    secretValues: Buffer[];
    set: RotationPatch;
    history: HistoryEntry;
  },
): Promise<RotationRecord> {
  const h = a.history;
  const fixed = [a.rotationId, a.targetIndex, a.username, a.credentialSealed, a.secretIds, a.secretValues, h.jobId, h.attempt, h.trigger,
    h.runnerId, h.startedAt, h.finishedAt, durationMs(h)];
  const set = assignments(a.set, fixed.length + 1);
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(
    `WITH cred AS (${UPSERT_CREDENTIAL}),
     sec AS (
       UPDATE secrets s SET value_sealed = ($6::bytea[])[array_position($5::uuid[], s.id)], version = s.version + 1, updated_at = now()
       WHERE s.id = ANY($5::uuid[])),
     hist AS (INSERT INTO rotation_history (${HISTORY_COLUMNS}) VALUES ($1, $7, $8, $9, 'success', $2, $10, $11, $12, $13, NULL, NULL)),
     del AS (DELETE FROM rotation_intents WHERE rotation_id = $1)
     UPDATE rotations r SET ${set.sql}, updated_at = now() WHERE r.id = $1
     ${RETURNING_ROTATION}`,
    [...fixed, ...set.values],
  ));
  return toRotation(rows[0]);
}
