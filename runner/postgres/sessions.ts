/**
 * Who is logged in to the target as a user: its sessions in pg_stat_activity, read as the connection role, grouped
 * by application_name and client address, leaving out pgrotate's own sessions (PGROTATE_APPLICATION_NAME: the
 * logins that prove a password) and the reading backend itself.
 *
 * Without pg_read_all_stats (pg_monitor), PostgreSQL hides most columns of other roles' sessions (client_addr,
 * backend_start, …): such a session is still counted for its user, as hidden (visible: false). The read is bounded
 * by a statement timeout; a failure is thrown (a target error), never read as "nobody uses it".
 */
import type { ClientBase } from "pg";
import { PGROTATE_APPLICATION_NAME } from "./target";

/** The most a sessions read may take on the target. */
export const SESSIONS_TIMEOUT_MS = 5000;

/** Sessions of one user from one application and address (hidden: their details are not visible to the connection role). */
export interface SessionGroup {
  applicationName: string | null;
  clientAddr: string | null;
  count: number;
  /** The earliest backend_start of the group; null when hidden. */
  since: Date | null;
  visible: boolean;
}

export interface UserSessions {
  count: number;
  /** Sessions whose details the connection role cannot see (no pg_read_all_stats / pg_monitor). */
  hidden: number;
  clients: SessionGroup[];
}

const SESSIONS_SQL = `
  SELECT usename AS username, application_name, host(client_addr) AS client_addr, backend_start IS NOT NULL AS visible,
         count(*)::int AS n, min(backend_start) AS since
  FROM pg_stat_activity
  WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM $2
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, count(*) DESC, 2, 3`;

/** The sessions of each of `usernames` (every name present in the answer, with count 0 when nobody is on it). */
export async function sessionsOf(c: Pick<ClientBase, "query">, usernames: string[], timeoutMs = SESSIONS_TIMEOUT_MS): Promise<Map<string, UserSessions>> {
  await c.query("BEGIN");
  type Row = { username: string; application_name: string | null; client_addr: string | null; visible: boolean; n: number; since: Date | null };
  let rows: Row[];
  try {
    await c.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    rows = (await c.query<Row>(SESSIONS_SQL, [usernames, PGROTATE_APPLICATION_NAME])).rows;
    await c.query("COMMIT");
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  const out = new Map<string, UserSessions>(usernames.map((u) => [u, { count: 0, hidden: 0, clients: [] }]));
  for (const r of rows) {
    const s = out.get(r.username);
    if (!s) continue;
    s.count += r.n;
    if (!r.visible) s.hidden += r.n;
    s.clients.push({ applicationName: r.application_name || null, clientAddr: r.client_addr, count: r.n, since: r.since, visible: r.visible });
  }
  return out;
}
