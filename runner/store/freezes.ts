/**
 * Project freezes (migration 017): a row while a project is frozen. The scheduler's claim skips its rotations
 * (leased.ts); the engine reads the freeze under a rotation's lease to refuse or defer a rotation that raced it;
 * deleting the row (unfreeze) tells every runner's scheduler to look again (the table's trigger).
 */
import type { Pool, PoolClient } from "pg";
import { prepared } from "./db";

type Q = Pool | PoolClient;

export interface FreezeRecord {
  projectId: string;
  reason: string;
  frozenAt: Date;
  /** The actor who froze it ("admin", "token:<id>", "identity:<id>"). */
  frozenBy: string;
}

interface FreezeRow {
  project_id: string;
  reason: string;
  frozen_at: Date;
  frozen_by: string;
}

const toFreeze = (r: FreezeRow): FreezeRecord => ({ projectId: r.project_id, reason: r.reason, frozenAt: r.frozen_at, frozenBy: r.frozen_by });
const COLUMNS = "project_id, reason, frozen_at, frozen_by";

export async function findFreeze(q: Q, projectId: string): Promise<FreezeRecord | undefined> {
  const { rows } = await q.query<FreezeRow>(prepared(`SELECT ${COLUMNS} FROM project_freezes WHERE project_id = $1`, [projectId]));
  return rows[0] ? toFreeze(rows[0]) : undefined;
}

/**
 * Freezes the project, or changes the reason of a freeze in force (its time and author stay those of the freeze).
 * Returns the freeze as stored.
 */
export async function freeze(q: Q, f: { projectId: string; reason: string; frozenBy: string; at: Date }): Promise<FreezeRecord> {
  const { rows } = await q.query<FreezeRow>(
    `INSERT INTO project_freezes (project_id, reason, frozen_at, frozen_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (project_id) DO UPDATE SET reason = EXCLUDED.reason
     RETURNING ${COLUMNS}`,
    [f.projectId, f.reason, f.at, f.frozenBy],
  );
  return toFreeze(rows[0]);
}

/** Unfreezes the project; the freeze that was lifted, or undefined when it was not frozen. */
export async function unfreeze(q: Q, projectId: string): Promise<FreezeRecord | undefined> {
  const { rows } = await q.query<FreezeRow>(`DELETE FROM project_freezes WHERE project_id = $1 RETURNING ${COLUMNS}`, [projectId]);
  return rows[0] ? toFreeze(rows[0]) : undefined;
}
