/**
 * Leases and every write made under one. A lease is a fencing token: each acquisition (a claim, a manual
 * rotation, a create, a delete) stores a new random `lease_token`, and every write of the holder requires
 * `lease_token = <its token> AND lease_until > now()`, locking the row while it checks (FOR UPDATE / FOR SHARE),
 * so a runner whose lease ran out and was taken over changes nothing, however late its write arrives. Lease
 * times are on the store's clock (now()): one clock for every runner. Taking, renewing and giving back a lease
 * never touch `updated_at`: a refused rotation changes nothing a client can see.
 *
 * Writes that compute a field from the row (the next rotation time of a commit, a retry's plan) also require the
 * row to be the one they read (`updated_at` to the microsecond, `seen`): a PATCH that landed meanwhile makes them
 * match nothing, and the engine reads the row again (still under the lease) and computes again.
 */
import type { Pool, PoolClient } from "pg";
import { prepared } from "./db";
import {
  type ConnectionRecord, fromPrefixed, type IntentRecord, type IntentRow, prefixedConnectionColumns, type RotationRecord,
  type RotationWithConnectionRow, rotationColumns, toConnection, toIntent, toRotation,
} from "./rows";
import { assignments, durationMs, HISTORY_COLUMNS, type HistoryEntry, INTENT_COLUMNS, type NewIntent, RETURNING_ROTATION, type RotationPatch } from "./rotations";

type Q = Pool | PoolClient;

/** A lease as its holder knows it: which rotation, and the token of this acquisition. */
export interface LeaseRef {
  rotationId: string;
  token: string;
}

/** `now() + ms`, for a lease's end on the store's clock ($n: milliseconds). */
const until = (n: number) => `now() + $${n}::float8 * interval '1 millisecond'`;
/** The rotation row of lease ($1 rotation, $2 token) while it is still held. */
const HELD = "r.id = $1 AND r.lease_token = $2 AND r.lease_until > now()";
/** What a holder's write sets when it also gives the lease back. */
const RELEASE = "lease_owner = NULL, lease_token = NULL, lease_until = NULL";

/** The rotation's project is not frozen (migration 017): a probe of project_freezes' primary key per row. */
const NOT_FROZEN = "NOT EXISTS (SELECT 1 FROM project_freezes f WHERE f.project_id = rotations.project_id)";

/**
 * Claims up to `limit` due rotations for this runner in one statement: row locks with SKIP LOCKED, so runners
 * sharing a store never claim the same one, and a lease (one token for the batch) so a runner that dies gives
 * its claims back when it runs out. The caller asks for no more than it can start at once. A frozen project's
 * rotations are not claimed (an interrupted one is still finished: recovery does not ask).
 */
export async function claimDue(q: Q, a: { now: Date; owner: string; token: string; leaseMs: number; limit: number }): Promise<RotationRecord[]> {
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(
    `WITH due AS (
       SELECT id FROM rotations
       WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL AND next_rotation_at <= $1
         AND rotation_status <> 'pending' AND (lease_until IS NULL OR lease_until < now())
         AND ${NOT_FROZEN}
       ORDER BY next_rotation_at
       LIMIT $5
       FOR UPDATE SKIP LOCKED)
     UPDATE rotations r SET lease_owner = $2, lease_token = $3, lease_until = ${until(4)} FROM due WHERE r.id = due.id
     ${RETURNING_ROTATION}`,
    [a.now, a.owner, a.token, a.leaseMs, a.limit],
  ));
  return rows.map(toRotation);
}

/**
 * When the next claim can succeed: the earliest next_rotation_at of what claimDue could take (enabled, not
 * pending, not leased now, not frozen), read in order on the partial index rotations_due. Undefined when none is set.
 */
export async function nextDueAt(q: Q): Promise<Date | undefined> {
  const { rows } = await q.query<{ at: Date }>(prepared(
    `SELECT next_rotation_at AS at FROM rotations
     WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL
       AND rotation_status <> 'pending' AND (lease_until IS NULL OR lease_until < now())
       AND ${NOT_FROZEN}
     ORDER BY next_rotation_at LIMIT 1`,
    [],
  ));
  return rows[0]?.at;
}

/**
 * Takes the rotation's lease if it is free (never held, run out, or — with reclaimOwn — held by this owner's
 * previous life). Undefined when it does not exist or another runner holds it.
 */
export async function takeLease(q: Q, a: { id: string; owner: string; token: string; leaseMs: number; reclaimOwn: boolean }): Promise<RotationRecord | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(
    `UPDATE rotations r SET lease_owner = $2, lease_token = $3, lease_until = ${until(4)}
     WHERE r.id = $1 AND (r.lease_until IS NULL OR r.lease_until <= now() OR ($5 AND r.lease_owner = $2))
     ${RETURNING_ROTATION}`,
    [a.id, a.owner, a.token, a.leaseMs, a.reclaimOwn],
  ));
  return rows[0] ? toRotation(rows[0]) : undefined;
}

/** Moves the lease's end `leaseMs` from now while it is still held; false when it is not (lost). */
export async function renewLease(q: Q, lease: LeaseRef, leaseMs: number): Promise<boolean> {
  const { rowCount } = await q.query(prepared(`UPDATE rotations r SET lease_until = ${until(3)} WHERE ${HELD}`, [lease.rotationId, lease.token, leaseMs]));
  return rowCount === 1;
}

/** Gives the lease back (nothing when it is no longer this one's). */
export async function releaseLease(q: Q, lease: LeaseRef): Promise<void> {
  await q.query(prepared(`UPDATE rotations r SET ${RELEASE} WHERE r.id = $1 AND r.lease_token = $2`, [lease.rotationId, lease.token]));
}

/** Gives back every lease of this owner that guards no intent (at start: leases of its previous life). */
export async function releaseIdleLeases(q: Q, owner: string): Promise<number> {
  const { rowCount } = await q.query(
    `UPDATE rotations r SET ${RELEASE}
     WHERE r.lease_owner = $1 AND NOT EXISTS (SELECT 1 FROM rotation_intents i WHERE i.rotation_id = r.id)`,
    [owner],
  );
  return rowCount ?? 0;
}

/**
 * Rotations with a leftover intent that recovery must finish: its runner is gone (the lease ran out, or at start
 * it is leased to this runner id from a previous life of the process), or it is an unfinished create that nobody
 * holds whose planned retry is due (or, still pending, that has none yet: the scheduler's claim never takes a
 * pending rotation).
 */
export async function rotationsWithOrphanIntents(q: Q, now: Date, reclaimOwner?: string): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT DISTINCT r.id FROM rotation_intents i JOIN rotations r ON r.id = i.rotation_id
     WHERE r.lease_until < now() OR r.lease_owner = $2
        OR (i.kind = 'create' AND r.lease_owner IS NULL
            AND (r.next_rotation_at <= $1 OR (r.next_rotation_at IS NULL AND r.rotation_status = 'pending')))`,
    [now, reclaimOwner ?? null],
  );
  return rows.map((r) => r.id);
}

/** A leased rotation's working set, read in one statement under the lease. */
export interface RotationWork {
  /** The row as it is now (read under the lease: the last holder's commit included). */
  rotation: RotationRecord;
  /** Its updated_at to the microsecond: what a write computed from this row requires. */
  seen: string;
  /** The intents left over (a crash's or a failed attempt's). */
  intents: IntentRecord[];
  connection: ConnectionRecord;
  /** The rotation's mapped secrets by role, as the row names them. */
  secretIds: { username: string[]; password: string[] };
}

type WorkRow = RotationWithConnectionRow & {
  seen: string;
  i_target_index: Array<0 | 1> | null;
  i_kind: Array<IntentRow["kind"]>;
  i_password_sealed: Buffer[];
  i_job_id: string[];
  i_trigger: string[];
  i_attempts: number[];
  i_created_at: Date[];
  s_username: string[] | null;
  s_password: string[] | null;
};

/** The row, its connection, its intents (as arrays, by target index) and the ids of its mapped secrets. */
const WORK = `SELECT ${rotationColumns("r")}, c.name AS connection_name, r.updated_at::text AS seen, ${prefixedConnectionColumns("c", "c_")}, i.*, s.*
  FROM rotations r JOIN connections c ON c.id = r.connection_id,
       (SELECT array_agg(target_index ORDER BY target_index) AS i_target_index, array_agg(kind ORDER BY target_index) AS i_kind,
               array_agg(password_sealed ORDER BY target_index) AS i_password_sealed, array_agg(job_id::text ORDER BY target_index) AS i_job_id,
               array_agg(trigger ORDER BY target_index) AS i_trigger, array_agg(attempts ORDER BY target_index) AS i_attempts,
               array_agg(created_at ORDER BY target_index) AS i_created_at
        FROM rotation_intents WHERE rotation_id = $1) i,
       (SELECT array_agg(sec.id::text) FILTER (WHERE sec.key = own.secret_key_username) AS s_username,
               array_agg(sec.id::text) FILTER (WHERE sec.key = own.secret_key_password) AS s_password
        FROM rotations own JOIN secrets sec ON sec.rotation_id = own.id WHERE own.id = $1) s
  WHERE ${HELD}`;

/** The working set while the lease is held (`lock`: the row locked until the caller's transaction ends); undefined when it is not (lost). */
export async function leasedWork(q: Q, lease: LeaseRef, opts: { lock?: boolean } = {}): Promise<RotationWork | undefined> {
  const { rows } = await q.query<WorkRow>(prepared(opts.lock ? `${WORK} FOR UPDATE OF r` : WORK, [lease.rotationId, lease.token]));
  const w = rows[0];
  if (!w) return undefined;
  const intents = (w.i_target_index ?? []).map((targetIndex, k) =>
    toIntent({
      rotation_id: lease.rotationId,
      target_index: targetIndex,
      kind: w.i_kind[k],
      password_sealed: w.i_password_sealed[k],
      job_id: w.i_job_id[k],
      trigger: w.i_trigger[k],
      attempts: w.i_attempts[k],
      created_at: w.i_created_at[k],
    }),
  );
  return {
    rotation: toRotation(w),
    seen: w.seen,
    intents,
    connection: toConnection(fromPrefixed(w as unknown as Record<string, unknown>, "c_")),
    secretIds: { username: w.s_username ?? [], password: w.s_password ?? [] },
  };
}

/**
 * Stores an intent while the lease is held (the row share-locked as it checks, so no claim can slip in between),
 * committed before the target is touched. `replace`: a worn-out intent for the same user gives way (fresh
 * password, attempts from 0). False when nothing was stored: the lease is lost, or an intent is already there.
 */
export async function storeIntent(q: Q, lease: LeaseRef, i: NewIntent, opts: { replace?: boolean } = {}): Promise<boolean> {
  const { rowCount } = await q.query(prepared(
    `INSERT INTO rotation_intents (${INTENT_COLUMNS})
     SELECT r.id, $3, $4, $5, $6, $7 FROM rotations r WHERE ${HELD} FOR SHARE
     ON CONFLICT (rotation_id, target_index) DO ${opts.replace ? `UPDATE SET kind = EXCLUDED.kind, password_sealed = EXCLUDED.password_sealed,
       job_id = EXCLUDED.job_id, trigger = EXCLUDED.trigger, attempts = 0, created_at = now()` : "NOTHING"}`,
    [lease.rotationId, lease.token, i.targetIndex, i.kind, i.passwordSealed, i.jobId, i.trigger],
  ));
  return rowCount === 1;
}

/** The row of a held lease, locked until the end of the caller's transaction (undefined when not held). */
export async function lockLeased(q: PoolClient, lease: LeaseRef): Promise<RotationRecord | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow>(
    `SELECT ${rotationColumns("r")}, c.name AS connection_name FROM rotations r JOIN connections c ON c.id = r.connection_id WHERE ${HELD} FOR UPDATE OF r`,
    [lease.rotationId, lease.token],
  );
  return rows[0] ? toRotation(rows[0]) : undefined;
}

/** The row while the lease is held, and its `seen` (what a leased write compares). Undefined when lost. */
export async function leasedRow(q: Q, lease: LeaseRef): Promise<{ rotation: RotationRecord; seen: string } | undefined> {
  const { rows } = await q.query<RotationWithConnectionRow & { seen: string }>(prepared(
    `SELECT ${rotationColumns("r")}, c.name AS connection_name, r.updated_at::text AS seen FROM rotations r JOIN connections c ON c.id = r.connection_id WHERE ${HELD}`,
    [lease.rotationId, lease.token],
  ));
  return rows[0] ? { rotation: toRotation(rows[0]), seen: rows[0].seen } : undefined;
}

/** What a write under the lease may do besides setting fields of the row. */
export interface LeasedChange {
  /** Fields of the row (updated_at is set with them). */
  set: RotationPatch;
  /** Give the lease back in the same statement. */
  release: boolean;
  /** A history row. */
  history?: HistoryEntry & { result: "success" | "failed" };
  /** The intent of this job: deleted (a commit) or its attempt counted (a failure). */
  intent?: { jobId: string; action: "delete" | "count-attempt" };
  /** A rotation's commit: the credential of the user it changed, and the mapped secrets' new sealed values. */
  credential?: { index: number; username: string; sealed: Buffer };
  secrets?: { ids: string[]; values: Buffer[] };
}

/**
 * One statement, so one transaction: the row is locked only while the lease ($1, $2) is held and the row is the
 * one the caller computed from ($3 `seen`); everything else happens only then. Returns the row, or undefined
 * when nothing was written (see leasedRow to tell a lost lease from a row that changed).
 */
export async function writeLeased(q: Q, lease: LeaseRef, seen: string, c: LeasedChange): Promise<RotationRecord | undefined> {
  const values: unknown[] = [lease.rotationId, lease.token, seen];
  const arg = (v: unknown, cast: string) => `$${values.push(v)}::${cast}`;
  const parts = [`held AS (SELECT r.id FROM rotations r WHERE ${HELD} AND r.updated_at = $3::timestamptz FOR UPDATE)`];
  if (c.credential) {
    parts.push(`cred AS (INSERT INTO credentials (rotation_id, idx, username, password_sealed)
       SELECT held.id, ${arg(c.credential.index, "smallint")}, ${arg(c.credential.username, "text")}, ${arg(c.credential.sealed, "bytea")} FROM held
       ON CONFLICT (rotation_id, idx) DO UPDATE SET username = EXCLUDED.username, password_sealed = EXCLUDED.password_sealed, updated_at = now())`);
  }
  if (c.secrets?.ids.length) {
    const ids = arg(c.secrets.ids, "uuid[]");
    parts.push(`sec AS (UPDATE secrets s SET value_sealed = (${arg(c.secrets.values, "bytea[]")})[array_position(${ids}, s.id)], version = s.version + 1, updated_at = now()
       FROM held WHERE s.id = ANY(${ids}))`);
  }
  if (c.history) {
    const h = c.history;
    parts.push(`hist AS (INSERT INTO rotation_history (${HISTORY_COLUMNS})
       SELECT held.id, ${[arg(h.jobId, "uuid"), arg(h.attempt, "int"), arg(h.trigger, "text"), arg(h.result, "text"), arg(h.targetIndex, "smallint"), arg(h.runnerId, "text"),
         arg(h.startedAt, "timestamptz"), arg(h.finishedAt, "timestamptz"), arg(durationMs(h), "int"), arg(h.message, "text"), arg(h.nextAttemptAt, "timestamptz")].join(", ")} FROM held)`);
  }
  if (c.intent) {
    const job = arg(c.intent.jobId, "uuid");
    parts.push(c.intent.action === "delete"
      ? `del AS (DELETE FROM rotation_intents i USING held WHERE i.rotation_id = held.id AND i.job_id = ${job})`
      : `cnt AS (UPDATE rotation_intents i SET attempts = attempts + 1 FROM held WHERE i.rotation_id = held.id AND i.job_id = ${job})`);
  }
  const set = assignments(c.set, values.length + 1);
  values.push(...set.values);
  const assign = [set.sql, c.release ? RELEASE : "", "updated_at = now()"].filter(Boolean).join(", ");
  const { rows } = await q.query<RotationWithConnectionRow>(prepared(
    `WITH ${parts.join(",\n     ")}
     UPDATE rotations r SET ${assign} FROM held WHERE r.id = held.id
     ${RETURNING_ROTATION}`,
    values,
  ));
  return rows[0] ? toRotation(rows[0]) : undefined;
}

/** Deletes the rotation while the lease is held (a failed create's removal); false when it is not. */
export async function deleteLeased(q: Q, lease: LeaseRef): Promise<boolean> {
  const { rowCount } = await q.query(`DELETE FROM rotations r WHERE ${HELD}`, [lease.rotationId, lease.token]);
  return rowCount === 1;
}

/**
 * Claims up to `limit` rotations whose drift check is due — never checked since a restore (null), or not for a day
 * (`now` on the runner's clock, as due rotations are) — that nobody holds and no rotation left unfinished, with a
 * lease each, as claimDue does. Returns their ids.
 */
export async function claimDriftChecks(q: Q, a: { now: Date; owner: string; token: string; leaseMs: number; limit: number }): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(prepared(
    `WITH due AS (
       SELECT r.id FROM rotations r
       WHERE r.rotation_status <> 'pending' AND (r.drift_checked_at IS NULL OR r.drift_checked_at < $1::timestamptz - interval '1 day')
         AND (r.lease_until IS NULL OR r.lease_until < now())
         AND NOT EXISTS (SELECT 1 FROM rotation_intents i WHERE i.rotation_id = r.id)
       ORDER BY r.drift_checked_at NULLS FIRST
       LIMIT $5
       FOR UPDATE OF r SKIP LOCKED)
     UPDATE rotations r SET lease_owner = $2, lease_token = $3, lease_until = ${until(4)} FROM due WHERE r.id = due.id
     RETURNING r.id`,
    [a.now, a.owner, a.token, a.leaseMs, a.limit],
  ));
  return rows.map((r) => r.id);
}
