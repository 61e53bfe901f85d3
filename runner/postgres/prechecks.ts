import type { Client } from "pg";
import { AppError } from "../errors";
import { quoteIdent as q } from "./sql-text";

export interface PrecheckReport {
  missing: string[];
  sql: string[];
}

/**
 * Can the connection role change both users' passwords? Superuser, or CREATEROLE — and on PostgreSQL 16+
 * ADMIN OPTION on each user. Names each missing right and the exact SQL (least privilege) to grant it.
 * Throws PrecheckFailed (422) before anything is stored or changed. Returns warnings: what works, but less well
 * (sessionDetailsWarning).
 */
export async function precheckRotationUsers(client: Client, usernames: string[]): Promise<string[]> {
  const me = (
    await client.query<{ rolname: string; rolsuper: boolean; rolcreaterole: boolean; version: number }>(
      `SELECT rolname, rolsuper, rolcreaterole, current_setting('server_version_num')::int AS version
       FROM pg_roles WHERE rolname = current_user`,
    )
  ).rows[0];
  const users = (
    await client.query<{ rolname: string; rolcanlogin: boolean; rolsuper: boolean; expired: boolean; admin: boolean }>(
      `SELECT rolname, rolcanlogin, rolsuper, coalesce(rolvaliduntil < now(), false) AS expired,
              pg_has_role(current_user, oid, 'MEMBER WITH ADMIN OPTION') AS admin
       FROM pg_roles WHERE rolname = ANY($1)`,
      [usernames],
    )
  ).rows;

  const absent = usernames.filter((u) => !users.some((r) => r.rolname === u));
  if (absent.length) {
    throw new AppError(
      "PrecheckFailed",
      `The target has no role named ${absent.map(q).join(" or ")}. Create it first, e.g. CREATE ROLE ${q(absent[0])} LOGIN;`,
      { details: { missing: absent.map((u) => `role ${q(u)}`), sql: absent.map((u) => `CREATE ROLE ${q(u)} LOGIN;`) } },
    );
  }

  const report: PrecheckReport = { missing: [], sql: [] };
  for (const u of usernames) {
    const r = users.find((x) => x.rolname === u)!;
    if (!r.rolcanlogin) {
      report.missing.push(`LOGIN on ${q(u)}`);
      report.sql.push(`ALTER ROLE ${q(u)} LOGIN;`);
    }
    if (r.expired) {
      report.missing.push(`a VALID UNTIL in the future on ${q(u)}`);
      report.sql.push(`ALTER ROLE ${q(u)} VALID UNTIL 'infinity';`);
    }
    if (r.rolsuper && !me.rolsuper) {
      throw new AppError(
        "PrecheckFailed",
        `${q(u)} is a superuser: only a superuser connection role may change its password (rotating superusers is not recommended)`,
        { details: { missing: [`SUPERUSER on ${q(me.rolname)}`], sql: [] } },
      );
    }
  }
  if (!me.rolsuper) {
    if (!me.rolcreaterole) {
      report.missing.push(`CREATEROLE on ${q(me.rolname)}`);
      report.sql.push(`ALTER ROLE ${q(me.rolname)} CREATEROLE;`);
    }
    if (me.version >= 160000) {
      for (const u of usernames) {
        if (!users.find((x) => x.rolname === u)!.admin) {
          report.missing.push(`ADMIN OPTION on ${q(u)} (PostgreSQL 16+)`);
          report.sql.push(`GRANT ${q(u)} TO ${q(me.rolname)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`);
        }
      }
    }
  }
  if (report.missing.length) {
    throw new AppError(
      "PrecheckFailed",
      `The connection role ${q(me.rolname)} cannot rotate ${usernames.map(q).join(" and ")}: missing ${report.missing.join(", ")}. ` +
        `Run as a superuser: ${report.sql.join(" ")}`,
      { details: report },
    );
  }
  const warning = await sessionDetailsWarning(client);
  return warning ? [warning] : [];
}

/**
 * Before a rotation changes the inactive user's password it looks at who is logged in as that user. Without
 * pg_read_all_stats (part of pg_monitor) the connection role sees other roles' sessions only as hidden: they are
 * still counted (a rotation still waits for them), but their application name and address are not shown.
 */
export async function sessionDetailsWarning(client: Pick<Client, "query">): Promise<string | undefined> {
  const { rows } = await client.query<{ rolname: string; sees: boolean }>(
    "SELECT current_user AS rolname, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS sees",
  );
  if (rows[0].sees) return undefined;
  const role = q(rows[0].rolname);
  return (
    `The connection role ${role} cannot see other roles' session details (it has neither pg_monitor nor pg_read_all_stats): before a ` +
    "rotation changes a password, pgrotate still counts who is logged in as that user and waits for them, but cannot name their " +
    `applications or addresses. To see them, run as a superuser: GRANT pg_monitor TO ${role};`
  );
}
