/** The audit log's rows in the store: written in batches by AuditWriter, read newest first. */
import type { Pool } from "pg";

/** One row in column order: actor, action, resource_type, resource_id, project_id, environment, secret_path, status, ip, details (JSON text). */
export type AuditRow = [
  actor: string,
  action: string,
  resourceType: string | null,
  resourceId: string | null,
  projectId: string | null,
  environment: string | null,
  secretPath: string | null,
  status: number,
  ip: string | null,
  details: string | null,
];

const AUDIT_COLUMNS = 10;

export async function insertAuditRows(q: Pool, rows: AuditRow[]): Promise<void> {
  const values = rows
    .map((_, i) => `(${Array.from({ length: AUDIT_COLUMNS }, (_, j) => `$${i * AUDIT_COLUMNS + j + 1}`).join(", ")})`)
    .join(", ");
  await q.query(
    `INSERT INTO audit_logs (actor, action, resource_type, resource_id, project_id, environment, secret_path, status, ip, details) VALUES ${values}`,
    rows.flat(),
  );
}

export interface AuditRecord {
  id: string;
  at: Date;
  actor: string;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  projectId: string | null;
  environment: string | null;
  secretPath: string | null;
  status: number;
  ip: string | null;
  details: Record<string, unknown> | null;
}

interface AuditLogRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  project_id: string | null;
  environment: string | null;
  secret_path: string | null;
  status: number;
  ip: string | null;
  details: Record<string, unknown> | null;
}

export async function listAudit(q: Pool, f: { limit: number; offset: number; actor?: string; action?: string }): Promise<AuditRecord[]> {
  const { rows } = await q.query<AuditLogRow>(
    `SELECT id::text, at, actor, action, resource_type, resource_id, project_id, environment, secret_path, status, ip, details
     FROM audit_logs WHERE ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR action = $4)
     ORDER BY id DESC LIMIT $1 OFFSET $2`,
    [f.limit, f.offset, f.actor ?? null, f.action ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    projectId: r.project_id,
    environment: r.environment,
    secretPath: r.secret_path,
    status: r.status,
    ip: r.ip,
    details: r.details,
  }));
}
