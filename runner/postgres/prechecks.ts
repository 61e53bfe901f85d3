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
 * Throws PrecheckFailed (422) before anything is stored or changed.
 */
export async function precheckRotationUsers(client: Client, usernames: string[]): Promise<void> {
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
}
