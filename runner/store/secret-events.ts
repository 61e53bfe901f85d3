/**
 * The change feed's store side (migration 006): events are read by snapshot, never by id order. A cursor is
 * a snapshot S (and the store's time when it was taken); "events since S" are exactly the events whose
 * transaction S did not see and that have committed since, whatever order their ids were assigned in. Any
 * runner can answer for any cursor: the cursor is the store's, not a runner's.
 */
import type { Pool, PoolClient } from "pg";
import { prepared } from "./db";
import type { Folder } from "./secrets";

type Q = Pool | PoolClient;

export interface SecretEventRecord {
  id: string;
  projectId: string;
  environment: string;
  secretPath: string;
  rotationId: string | null;
  keys: string[];
  at: Date;
}

/** Where a reader stands: a snapshot of the store and the store's time when it was taken. */
export interface EventCursor {
  snapshot: string;
  atMs: number;
}

const CURSOR = /^(\d{1,15})-(\d{1,19}:\d{1,19}:(?:\d{1,19}(?:,\d{1,19})*)?)$/;

/** `<ms>-<xmin>:<xmax>:<xip,…>`: what the feed sends as an event's id (and gets back as Last-Event-ID). */
export const formatCursor = (c: EventCursor): string => `${c.atMs}-${c.snapshot}`;

/** undefined for anything that is not a cursor this runner could have written. */
export function parseCursor(text: string | undefined): EventCursor | undefined {
  if (!text || text.length > 8192) return undefined;
  const m = CURSOR.exec(text.trim());
  return m ? { atMs: Number(m[1]), snapshot: m[2] } : undefined;
}

interface Row {
  snap: string;
  t_ms: number;
  pruned_ms: number;
  id: string | null;
  project_id: string | null;
  environment: string | null;
  secret_path: string | null;
  rotation_id: string | null;
  keys: string[] | null;
  at: Date | null;
}

export interface EventBatch {
  events: SecretEventRecord[];
  /** The snapshot the events were read with: the cursor after them. */
  cursor: EventCursor;
  /** Events up to this store time may have been pruned (a cursor from before it cannot resume losslessly). */
  prunedThroughMs: number;
  /** More than `limit` events: the caller must not treat the batch as complete. */
  truncated: boolean;
}

/**
 * Events committed after `from` (all folders, one folder, or one project's), in id order, and the cursor after
 * them — one statement, so the events and the new snapshot agree. `from` must be a well-formed cursor (parseCursor).
 */
export async function eventsSince(q: Q, from: EventCursor, opts: { folder?: Folder; projectId?: string; limit: number }): Promise<EventBatch> {
  const f = opts.folder;
  const { rows } = await q.query<Row>(prepared(
    `SELECT s.snap::text AS snap, (extract(epoch FROM s.t) * 1000)::float8 AS t_ms, (extract(epoch FROM h.pruned_through) * 1000)::float8 AS pruned_ms,
            e.id::text AS id, e.project_id, e.environment, e.secret_path, e.rotation_id::text AS rotation_id, e.keys, e.at
     FROM (SELECT pg_current_snapshot() AS snap, now() AS t) s
     CROSS JOIN secret_event_horizon h
     LEFT JOIN LATERAL (
       SELECT * FROM secret_events e
       WHERE e.txid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(e.txid, $1::pg_snapshot)
         AND ($2::text IS NULL OR (e.project_id = $2 AND ($3::text IS NULL OR (e.environment = $3 AND e.secret_path = $4))))
       ORDER BY e.id LIMIT $5) e ON true`,
    [from.snapshot, f?.projectId ?? opts.projectId ?? null, f?.environment ?? null, f?.secretPath ?? null, opts.limit + 1],
  ));
  const head = rows[0];
  const events = rows
    .filter((r) => r.id !== null)
    .map((r) => ({ id: r.id!, projectId: r.project_id!, environment: r.environment!, secretPath: r.secret_path!, rotationId: r.rotation_id, keys: r.keys ?? [], at: r.at! }));
  return {
    events: events.slice(0, opts.limit),
    cursor: { snapshot: head.snap, atMs: Math.floor(head.t_ms) },
    prunedThroughMs: head.pruned_ms,
    truncated: events.length > opts.limit,
  };
}

/** The cursor of now: everything committed from here on is "since" it. */
export async function currentCursor(q: Q): Promise<EventCursor> {
  const { rows } = await q.query<{ snap: string; t_ms: number }>(
    "SELECT pg_current_snapshot()::text AS snap, (extract(epoch FROM now()) * 1000)::float8 AS t_ms",
  );
  return { snapshot: rows[0].snap, atMs: Math.floor(rows[0].t_ms) };
}

/**
 * How long a transaction may run between writing an event (its `at`) and committing: a cursor must be this much
 * younger than the prune horizon to resume losslessly (see SecretEventHub).
 */
export const COMMIT_MARGIN_MS = 5 * 60_000;
/** Events younger than this are never pruned, whatever the limits say: twice the margin, so live readers never reset. */
export const MIN_RETENTION_SECONDS = (2 * COMMIT_MARGIN_MS) / 1000;

/**
 * Deletes events older than `maxAgeSeconds` or beyond the newest `maxRows` (but never younger than
 * MIN_RETENTION_SECONDS), and moves the horizon. Returns how many.
 */
export async function pruneEvents(q: Q, maxAgeSeconds: number, maxRows: number): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `WITH d AS (
       DELETE FROM secret_events
       WHERE at < now() - make_interval(secs => $3)
         AND (at < now() - make_interval(secs => $1)
              OR id <= (SELECT id FROM secret_events ORDER BY id DESC OFFSET $2 LIMIT 1))
       RETURNING at),
     h AS (
       UPDATE secret_event_horizon SET pruned_through = greatest(pruned_through, (SELECT max(at) FROM d))
       WHERE EXISTS (SELECT 1 FROM d))
     SELECT count(*)::int AS n FROM d`,
    [maxAgeSeconds, maxRows, MIN_RETENTION_SECONDS],
  );
  return rows[0].n;
}
