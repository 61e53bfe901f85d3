/**
 * Who may own a database user. A user of one PostgreSQL server belongs to at most one rotation (roles are
 * cluster-wide, so "one server" is the server's identity, not a connection record), and never is the role the
 * rotation's own connection logs in with. Both would break a rotation later; both are refused up front.
 */
import type { Pool, PoolClient } from "pg";
import { AppError, folderLabel } from "../errors";
import { rotationsOwningUsers } from "../store/rotations";

/**
 * 422 when a rotated user is the connection's own role: the first rotation would change the password pgrotate
 * logs in with, so the stored connection password stops working (at the latest when pooled connections close).
 */
export function assertNotConnectionRole(connection: { name: string; username: string }, usernames: readonly string[]): void {
  const clash = usernames.findIndex((u) => u === connection.username);
  if (clash < 0) return;
  const path = `parameters.username${clash + 1}`;
  throw new AppError(
    "ValidationError",
    `${path}: ${JSON.stringify(connection.username)} is the role app connection ${connection.name} logs in with; rotating it would change ` +
      "the password pgrotate itself connects with, and every later rotation on that connection would fail. Rotate two other users " +
      "and let the connection role change their passwords (see the precheck's GRANT).",
    { details: [{ path, message: "must not be the connection's own role" }] },
  );
}

/** 409 naming the rotation that already owns one of `usernames` on this server. */
export async function assertUsersFree(
  q: Pool | PoolClient,
  a: { serverId: string | null; connectionIds: string[]; usernames: string[]; exceptConnectionId?: string },
): Promise<void> {
  const [owner] = await rotationsOwningUsers(q, a);
  if (!owner) return;
  throw new AppError(
    "Conflict",
    `The database user ${JSON.stringify(owner.username)} on this server is already rotated by secret rotation ${owner.name} ` +
      `(${owner.id}, ${folderLabel(owner)}). Two rotations of one user overwrite each other's passwords; delete that rotation or use other users.`,
    { details: { username: owner.username, rotationId: owner.id, rotationName: owner.name } },
  );
}
