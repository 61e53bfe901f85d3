import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { AppError } from "../../errors";
import { setupSql } from "../../postgres/setup-sql";
import { contextOf } from "../context";
import { UsageError } from "../errors";
import { findConnection } from "../resolve";

/**
 * `pgrotate setup-sql`: prints the SQL that prepares a database for dual-user rotation (a group role that owns
 * the objects, the two users, the connection role). Works offline; with --connection it asks the runner for
 * that server's major version. No password is ever printed.
 */
export function registerSetupSql(program: CommandUnknownOpts): void {
  program
    .command("setup-sql")
    .description("print the SQL that prepares a database for rotation (run it once as a superuser); no password is printed")
    .requiredOption("--database <name>", "the application's database")
    .requiredOption("--users <u1,u2>", "the two login users the applications take turns with")
    .option("--owner <role>", "the NOLOGIN group role that owns the objects (default <database>_owner)")
    .option("--connection-role <role>", "the role pgrotate logs in as to change passwords", "rotation_admin")
    .option("--schema <name>", "the schema the application's objects live in", "public")
    .option("--server-version <major>", "PostgreSQL major version (default: the --connection's, else 17)")
    .option("--connection <name|id>", "an app connection of the runner: its server's version is used")
    .option("--grant-monitor", "also grant pg_monitor to the connection role, so rotations can name who still uses a user (application name, address)")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const users = opts.users.split(",").map((u) => u.trim());
      if (users.length !== 2 || users.some((u) => !u)) throw new UsageError("--users takes two role names separated by a comma, e.g. --users app_user_1,app_user_2");
      let serverVersion = opts.serverVersion === undefined ? undefined : Number(opts.serverVersion);
      if (serverVersion === undefined && opts.connection) {
        const conn = await findConnection(ctx, opts.connection);
        serverVersion = (await ctx.client().connectionServerVersion(conn.id)).major;
      }
      let sql: string;
      try {
        sql = setupSql({
          database: opts.database,
          users: [users[0], users[1]],
          owner: opts.owner,
          connectionRole: opts.connectionRole,
          schema: opts.schema,
          serverVersion: serverVersion ?? 17,
          grantMonitor: opts.grantMonitor === true,
        });
      } catch (err) {
        // Bad options are a usage error (exit 2), named by the option they came from.
        if (err instanceof AppError && err.code === "ValidationError") throw new UsageError(err.message.replace(/^Invalid setup-sql options: /, ""));
        throw err;
      }
      ctx.out.result({ sql }, (r) => ctx.out.line(r.sql.trimEnd()));
    });
}
