/**
 * `pgrotate setup-sql`: the SQL that prepares a database for dual-user rotation.
 *
 * - a NOLOGIN group role owns the application's objects and holds its privileges;
 * - the two LOGIN users are members of it and run every session as it (`ALTER ROLE … SET role`), so what a
 *   migration creates is owned by the group, never by one user: both users can alter it (the pair check
 *   passes);
 * - the connection role pgrotate logs in as may change the users' passwords: CREATEROLE and, on 16+, ADMIN
 *   OPTION on each user without INHERIT or SET, so it gets none of the application's data rights;
 * - with grantMonitor, pg_monitor for the connection role: it then sees who is logged in as a user about to get
 *   a new password (application name, address), which a retirement hold names.
 *
 * Pure: no database is touched. No password is ever printed: the users need none (creating the rotation sets
 * and verifies a fresh one on each) and the connection role's is set with psql's `\password` (the server only
 * ever sees its SCRAM verifier).
 */
import { AppError, fromZod } from "../errors";
import { setupSqlSchema, type SetupSqlOptions } from "../schemas";
import { quoteIdent as q, quoteLiteral } from "./sql-text";

export type { SetupSqlOptions };

/** A name for a comment line: JSON escapes line breaks, so a name can never end the comment. */
const shown = (name: string): string => JSON.stringify(name);

/** TextEncoder rather than Buffer: the web console prints this SQL in the browser. */
const utf8 = new TextEncoder();

/** The default group role: `<database>_owner`, cut to PostgreSQL's 63-byte identifier limit. */
export function defaultOwner(database: string): string {
  let base = database;
  while (utf8.encode(`${base}_owner`).length > 63) base = [...base].slice(0, -1).join("");
  return `${base}_owner`;
}

/**
 * The setup SQL for `options` (validated like the API validates its bodies: a bad option throws AppError
 * ValidationError naming it). Run it once as a superuser, connected to the database.
 */
export function setupSql(options: SetupSqlOptions): string {
  const parsed = setupSqlSchema.safeParse(options);
  if (!parsed.success) throw fromZod(parsed.error, "setup-sql options");
  const o = parsed.data;
  const owner = o.owner ?? defaultOwner(o.database);
  if (o.users.includes(owner) || owner === o.connectionRole) {
    const message = `the default owner ${shown(owner)} is one of the other roles: pass owner`;
    throw new AppError("ValidationError", `Invalid setup-sql options: owner: ${message}`, { details: [{ path: "owner", message }] });
  }
  const [u1, u2] = o.users.map(q);
  const g = q(owner);
  const conn = q(o.connectionRole);
  const db = q(o.database);
  const schema = q(o.schema);
  const v16 = o.serverVersion >= 16;

  const lines = [
    `-- pgrotate setup-sql: prepares database ${shown(o.database)} (PostgreSQL ${o.serverVersion}) for dual-user rotation.`,
    "-- Run it once as a superuser, connected to that database, e.g.:",
    `--   psql -v ON_ERROR_STOP=1 --dbname ${shown(o.database)} --file setup.sql`,
    "BEGIN;",
    "",
    `-- 1. The group role ${shown(owner)} owns the application's objects and holds its privileges. Nobody logs in as it.`,
    `CREATE ROLE ${g} NOLOGIN;`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${g};`,
    ...(o.schema === "public" ? [] : [`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${g};`]),
    `GRANT USAGE, CREATE ON SCHEMA ${schema} TO ${g};`,
    "",
    "-- 2. The two users the applications log in as take turns. Both are members of the group and run every session",
    "--    as the group, so objects a migration creates are owned by the group, never by one of them.",
    `CREATE ROLE ${u1} LOGIN;`,
    `CREATE ROLE ${u2} LOGIN;`,
    ...[u1, u2].map((u) => `GRANT ${g} TO ${u}${v16 ? " WITH INHERIT TRUE, SET TRUE" : ""};`),
    ...[u1, u2].map((u) => `ALTER ROLE ${u} SET role = ${quoteLiteral(owner)};`),
    "",
    `-- 3. The connection role pgrotate logs in as to change the two users' passwords${v16 ? ": CREATEROLE, and ADMIN OPTION on" : " (CREATEROLE"}`,
    v16
      ? "--    each user without INHERIT or SET, so it gets none of the application's data rights (PostgreSQL 16+)."
      : "--    is enough before PostgreSQL 16).",
    `CREATE ROLE ${conn} LOGIN CREATEROLE;`,
    `GRANT CONNECT ON DATABASE ${db} TO ${conn};`,
    ...(v16 ? [u1, u2].map((u) => `GRANT ${u} TO ${conn} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`) : []),
    ...(o.grantMonitor
      ? [
          "--    pg_monitor lets it see who is logged in as each user (application name, address) before it changes a",
          "--    password: a rotation then names who still uses the user it would retire. It reads statistics, no data.",
          `GRANT pg_monitor TO ${conn};`,
        ]
      : []),
    "",
    "COMMIT;",
    "",
    "-- 4. Passwords. None is printed here. Give the connection role one without it appearing in any file, log or",
    "--    history: psql's \\password computes the SCRAM verifier on your machine and sends only that:",
    `--      \\password ${q(o.connectionRole).replace(/[\r\n]/g, " ")}`,
    "--    The two users need none: creating the rotation sets a fresh password on each and proves it logs in.",
    "",
  ];
  return lines.join("\n");
}
