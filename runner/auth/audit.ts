/**
 * The audit log: every change, every secret read, every refused request — who, what, when, never a value.
 * Written after the response is sent, so it never slows or fails a request.
 */
import type { RequestHandler, Response } from "express";
import type { Pool } from "pg";
import type { Logger } from "../logger";
import type { Principal } from "./principal";

export interface AuditNote {
  /** e.g. "secrets.read", "rotation.rotate"; default: "<METHOD> <route>". */
  action?: string;
  resourceType?: string;
  resourceId?: string;
  folder?: { projectId: string; environment: string; secretPath: string };
  /** Always recorded, even for a GET (secret reads). */
  secretRead?: boolean;
  details?: Record<string, unknown>;
}

export const audit = (res: Response, note: AuditNote): void => {
  res.locals.audit = { ...(res.locals.audit as AuditNote | undefined), ...note };
};

export function auditMiddleware(pool: Pool, logger: Logger): RequestHandler {
  return (req, res, next) => {
    res.on("finish", () => {
      const note = (res.locals.audit ?? {}) as AuditNote;
      const refused = res.statusCode === 401 || res.statusCode === 403;
      if (req.method === "GET" && !note.secretRead && !refused) return;
      const principal = res.locals.principal as Principal | undefined;
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : req.path.slice(0, 200);
      pool
        .query(
          `INSERT INTO audit_logs (actor, action, resource_type, resource_id, project_id, environment, secret_path, status, ip, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            principal?.actor ?? "anonymous",
            note.action ?? `${req.method} ${route}`,
            note.resourceType ?? null,
            note.resourceId ?? (typeof req.params?.id === "string" ? req.params.id.slice(0, 64) : null),
            note.folder?.projectId ?? null,
            note.folder?.environment ?? null,
            note.folder?.secretPath ?? null,
            res.statusCode,
            req.ip ?? null,
            note.details ? JSON.stringify(note.details) : null,
          ],
        )
        .catch((err) => logger.error({ err }, "could not write an audit row"));
    });
    next();
  };
}

export async function listAudit(pool: Pool, q: { limit: number; offset: number; actor?: string; action?: string }) {
  const { rows } = await pool.query(
    `SELECT * FROM audit_logs WHERE ($3::text IS NULL OR actor = $3) AND ($4::text IS NULL OR action = $4)
     ORDER BY id DESC LIMIT $1 OFFSET $2`,
    [q.limit, q.offset, q.actor ?? null, q.action ?? null],
  );
  return rows.map((r) => ({
    id: String(r.id),
    at: r.at.toISOString(),
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
