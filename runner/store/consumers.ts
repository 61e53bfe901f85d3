/**
 * The consumers table: which pgrotate/pg pool instances use which database users of a folder. Every time is the
 * store's clock (now()), so runners whose clocks differ agree on who is live.
 */
import type { Pool, PoolClient } from "pg";
import type { Folder } from "./secrets";

type Q = Pick<Pool | PoolClient, "query">;

export interface ConsumerRecord {
  instanceId: string;
  appName: string;
  usernames: string[];
  reportedBy: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

interface ConsumerRow {
  instance_id: string;
  app_name: string;
  usernames: string[];
  reported_by: string;
  first_seen_at: Date;
  last_seen_at: Date;
}

const toRecord = (r: ConsumerRow): ConsumerRecord => ({
  instanceId: r.instance_id,
  appName: r.app_name,
  usernames: r.usernames,
  reportedBy: r.reported_by,
  firstSeenAt: r.first_seen_at,
  lastSeenAt: r.last_seen_at,
});

export interface ConsumerReport {
  instanceId: string;
  appName: string;
  usernames: string[];
  reportedBy: string;
}

/**
 * A live consumer's row refreshed (its expiry moved `timeoutSeconds` past now): "same" when the report repeats what
 * the row held, "changed" otherwise; undefined when it has no live row.
 */
export async function refreshConsumer(q: Q, folder: Folder, r: ConsumerReport, timeoutSeconds: number): Promise<"same" | "changed" | undefined> {
  const { rows } = await q.query<{ same: boolean }>(
    `UPDATE consumers c SET app_name = $5, usernames = $6, reported_by = $7, last_seen_at = now(), expires_at = now() + make_interval(secs => $8)
       FROM (SELECT app_name, usernames, reported_by FROM consumers
              WHERE instance_id = $1 AND project_id = $2 AND environment = $3 AND secret_path = $4) old
      WHERE c.instance_id = $1 AND c.project_id = $2 AND c.environment = $3 AND c.secret_path = $4 AND c.expires_at > now()
      RETURNING old.app_name = $5 AND old.usernames = $6::text[] AND old.reported_by = $7 AS same`,
    [r.instanceId, folder.projectId, folder.environment, folder.secretPath, r.appName, r.usernames, r.reportedBy, timeoutSeconds],
  );
  if (!rows.length) return undefined;
  return rows[0].same ? "same" : "changed";
}

/**
 * A consumer that has no live row yet (new, or back after being forgotten): inserted when the folder has fewer
 * than `cap` live consumers, its first sighting starting again. Returns false when the folder is full.
 */
export async function insertConsumer(q: Q, folder: Folder, r: ConsumerReport, timeoutSeconds: number, cap: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO consumers (instance_id, project_id, environment, secret_path, app_name, usernames, reported_by, expires_at)
     SELECT $1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8)
      WHERE (SELECT count(*) FROM consumers WHERE project_id = $2 AND environment = $3 AND secret_path = $4 AND expires_at > now()) < $9
     ON CONFLICT (instance_id, project_id, environment, secret_path) DO UPDATE
       SET app_name = EXCLUDED.app_name, usernames = EXCLUDED.usernames, reported_by = EXCLUDED.reported_by,
           first_seen_at = CASE WHEN consumers.expires_at > now() THEN consumers.first_seen_at ELSE now() END,
           last_seen_at = now(), expires_at = EXCLUDED.expires_at`,
    [r.instanceId, folder.projectId, folder.environment, folder.secretPath, r.appName, r.usernames, r.reportedBy, timeoutSeconds, cap],
  );
  return rowCount === 1;
}

/** Removes a consumer's row (its graceful leave); false when there was none. */
export async function deleteConsumer(q: Q, folder: Folder, instanceId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    "DELETE FROM consumers WHERE instance_id = $1 AND project_id = $2 AND environment = $3 AND secret_path = $4",
    [instanceId, folder.projectId, folder.environment, folder.secretPath],
  );
  return rowCount === 1;
}

/** The folder's live consumers (not past their expiry), most recently seen first, at most `limit`. */
export async function liveConsumers(q: Q, folder: Folder, limit: number): Promise<ConsumerRecord[]> {
  const { rows } = await q.query<ConsumerRow>(
    `SELECT instance_id, app_name, usernames, reported_by, first_seen_at, last_seen_at FROM consumers
      WHERE project_id = $1 AND environment = $2 AND secret_path = $3 AND expires_at > now()
      ORDER BY app_name, instance_id LIMIT $4`,
    [folder.projectId, folder.environment, folder.secretPath, limit],
  );
  return rows.map(toRecord);
}

/** The folder's live consumers whose usernames include one of `usernames`. */
export async function liveConsumersOf(q: Q, folder: Folder, usernames: string[]): Promise<ConsumerRecord[]> {
  const { rows } = await q.query<ConsumerRow>(
    `SELECT instance_id, app_name, usernames, reported_by, first_seen_at, last_seen_at FROM consumers
      WHERE project_id = $1 AND environment = $2 AND secret_path = $3 AND expires_at > now() AND usernames && $4::text[]
      ORDER BY app_name, instance_id`,
    [folder.projectId, folder.environment, folder.secretPath, usernames],
  );
  return rows.map(toRecord);
}

/** Deletes rows not seen for `olderThanSeconds` (far past any timeout); returns how many. */
export async function pruneConsumers(q: Q, olderThanSeconds: number): Promise<number> {
  const { rowCount } = await q.query(
    "DELETE FROM consumers WHERE last_seen_at < now() - make_interval(secs => $1) AND expires_at < now()",
    [olderThanSeconds],
  );
  return rowCount ?? 0;
}
