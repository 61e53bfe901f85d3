import type { Pool, PoolClient } from "pg";
import { type ConnectionRecord, type ConnectionRow, toConnection } from "./rows";

type Q = Pool | PoolClient;

export type NewConnection = Pick<
  ConnectionRecord,
  "id" | "name" | "description" | "host" | "port" | "database" | "username" | "passwordSealed" | "sslEnabled" | "sslRejectUnauthorized" | "sslCertificate" | "serverId"
  | "managedBy" | "allowedScopes"
>;

export async function insertConnection(q: Q, c: NewConnection): Promise<ConnectionRecord> {
  const { rows } = await q.query<ConnectionRow>(
    `INSERT INTO connections (id, name, description, method, host, port, database, username, password_sealed,
       ssl_enabled, ssl_reject_unauthorized, ssl_certificate, server_id, managed_by, allowed_scopes)
     VALUES ($1, $2, $3, 'username-and-password', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
    [c.id, c.name, c.description, c.host, c.port, c.database, c.username, c.passwordSealed, c.sslEnabled,
      c.sslRejectUnauthorized, c.sslCertificate, c.serverId, c.managedBy, JSON.stringify(c.allowedScopes)],
  );
  return toConnection(rows[0]);
}

export async function updateConnection(q: Q, c: NewConnection): Promise<ConnectionRecord> {
  const { rows } = await q.query<ConnectionRow>(
    `UPDATE connections SET name = $2, description = $3, host = $4, port = $5, database = $6, username = $7,
       password_sealed = $8, ssl_enabled = $9, ssl_reject_unauthorized = $10, ssl_certificate = $11, server_id = $12,
       managed_by = $13, allowed_scopes = $14, version = version + 1, updated_at = now()
     WHERE id = $1 RETURNING *`,
    [c.id, c.name, c.description, c.host, c.port, c.database, c.username, c.passwordSealed, c.sslEnabled,
      c.sslRejectUnauthorized, c.sslCertificate, c.serverId, c.managedBy, JSON.stringify(c.allowedScopes)],
  );
  return toConnection(rows[0]);
}

export async function findConnection(q: Q, id: string): Promise<ConnectionRecord | undefined> {
  const { rows } = await q.query<ConnectionRow>("SELECT * FROM connections WHERE id = $1", [id]);
  return rows[0] ? toConnection(rows[0]) : undefined;
}

export async function findConnectionByName(q: Q, name: string): Promise<ConnectionRecord | undefined> {
  const { rows } = await q.query<ConnectionRow>("SELECT * FROM connections WHERE name = $1", [name]);
  return rows[0] ? toConnection(rows[0]) : undefined;
}

export async function connectionNameTaken(q: Q, name: string): Promise<boolean> {
  return ((await q.query("SELECT 1 FROM connections WHERE name = $1", [name])).rowCount ?? 0) > 0;
}

export async function listConnections(q: Q): Promise<ConnectionRecord[]> {
  const { rows } = await q.query<ConnectionRow>("SELECT * FROM connections ORDER BY created_at, id");
  return rows.map(toConnection);
}

export async function lockConnection(q: PoolClient, id: string): Promise<ConnectionRecord | undefined> {
  const { rows } = await q.query<ConnectionRow>("SELECT * FROM connections WHERE id = $1 FOR UPDATE", [id]);
  return rows[0] ? toConnection(rows[0]) : undefined;
}

export async function countRotationsUsing(q: Q, connectionId: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>("SELECT count(*)::int AS n FROM rotations WHERE connection_id = $1", [connectionId]);
  return rows[0].n;
}

/** Records the server a connection reaches (learned after it was stored). Bookkeeping: updated_at stays. */
export async function setServerId(q: Q, id: string, serverId: string): Promise<void> {
  await q.query("UPDATE connections SET server_id = $2 WHERE id = $1", [id, serverId]);
}

/** Connections stored before their server's identity was recorded. */
export async function connectionsWithoutServerId(q: Q): Promise<ConnectionRecord[]> {
  const { rows } = await q.query<ConnectionRow>("SELECT * FROM connections WHERE server_id IS NULL ORDER BY created_at, id");
  return rows.map(toConnection);
}

export async function deleteConnection(q: Q, id: string): Promise<void> {
  await q.query("DELETE FROM connections WHERE id = $1", [id]);
}
