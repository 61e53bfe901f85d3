import fs from "node:fs";
import { InvalidArgumentError, Option, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { createConnectionSchema, updateConnectionSchema } from "../../schemas";
import { checked, defined } from "../body";
import { contextOf } from "../context";
import { UsageError } from "../errors";
import { withProgress } from "../progress";
import { readSecret } from "../prompt";
import { findConnection } from "../resolve";
import { getCommand, listCommand, removeCommand } from "../subcommands";
import { allowedScopesLabel, parseAllowedScope } from "../scope";
import { connectionBlock, tls } from "../views";

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError("a port number from 1 to 65535");
  return n;
}

/** --password exists only to refuse it with the reason (commander's "unknown option" would not say why). */
const noPasswordArgument = new Option("--password <password>").hideHelp().argParser((): string => {
  throw new UsageError("A password is never taken as an argument (ps and shell history keep arguments): pipe it on stdin or type it at the prompt");
});

const ALLOW_HELP = "let tokens scoped inside PROJECT[/ENVIRONMENT[/PATH]] use it (ENVIRONMENT * = any; repeat for more)";

/** `pgrotate connections list|get|create|update|delete`: the PostgreSQL connections rotations change passwords through. */
export function registerConnections(program: CommandUnknownOpts): void {
  const connections = program.command("connections").description("PostgreSQL connections (the role that changes the users' passwords)");

  listCommand(connections, {
    description: "every connection",
    load: (ctx) => ctx.client().listConnections(),
    headers: ["NAME", "TARGET", "ROLE", "TLS", "ALLOWED", "CREATED", "ID"],
    row: (out, c) => [c.name, `${c.credentials.host}:${c.credentials.port}/${c.credentials.database}`, c.credentials.username, tls(c), allowedScopesLabel(c.allowedScopes), out.ago(c.createdAt), c.id],
    empty: "No connections.",
  });

  getCommand(connections, { description: "one connection (never its password)", argument: "connection", find: findConnection, render: connectionBlock });

  connections
    .command("create")
    .description("add a connection; the password is read from a hidden prompt, or from stdin when it is not a terminal")
    .requiredOption("--name <slug>", "unique name")
    .requiredOption("--host <host>", "host, as the runner reaches it")
    .option("--port <port>", "port", parsePort, 5432)
    .requiredOption("--database <name>", "database to connect to")
    .requiredOption("--username <role>", "the connection role (CREATEROLE; on PostgreSQL 16+ ADMIN OPTION on each user)")
    .option("--description <text>", "description")
    .option("--ssl", "TLS that verifies the server (no fallback to plaintext)")
    .option("--ssl-ca <file>", "PEM CA file to verify the server with (implies --ssl; default: the system CAs)")
    .option("--no-ssl-verify", "with --ssl: do not verify the server's certificate")
    .option("--allow <scope>", ALLOW_HELP, parseAllowedScope)
    .addOption(noPasswordArgument)
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const client = ctx.client();
      const sslCertificate = opts.sslCa ? readCa(opts.sslCa) : undefined;
      // Checked before the password prompt: a bad --allow is a usage error, whatever the password.
      const allowedScopes = opts.allow && checked(createConnectionSchema.shape.allowedScopes, opts.allow, "--allow");
      const password = await readSecret(`Password of ${opts.username}`);
      const created = await withProgress(
        `Checking the login of ${opts.username} on ${opts.host}:${opts.port}`,
        client.createConnection({
          name: opts.name,
          description: opts.description,
          method: "username-and-password",
          credentials: {
            host: opts.host,
            port: opts.port,
            database: opts.database,
            username: opts.username,
            password,
            sslEnabled: opts.ssl === true || sslCertificate !== undefined,
            sslRejectUnauthorized: opts.sslVerify,
            ...(sslCertificate ? { sslCertificate } : {}),
          },
          ...(allowedScopes ? { allowedScopes } : {}),
        }),
      );
      ctx.out.result(created, (c) => {
        ctx.out.line(`Created connection ${c.name} (${c.id}); the login was verified.`);
      });
    });

  connections
    .command("update")
    .description("change a connection; any change of where or as whom is verified with a login before it is stored")
    .argument("<connection>", "name or id")
    .option("--name <slug>", "new name")
    .option("--description <text>", "description")
    .option("--host <host>", "host")
    .option("--port <port>", "port", parsePort)
    .option("--database <name>", "database")
    .option("--username <role>", "the connection role")
    .option("--new-password", "set a new password: read from a hidden prompt, or from stdin when it is not a terminal")
    .option("--ssl", "verified TLS on")
    .option("--no-ssl", "TLS off")
    .option("--ssl-ca <file>", "PEM CA file to verify the server with")
    .option("--no-ssl-ca", "forget the CA: verify with the system CAs")
    .option("--ssl-verify", "verify the server's certificate")
    .option("--no-ssl-verify", "do not verify the server's certificate")
    .option("--allow <scope>", `${ALLOW_HELP}; replaces the connection's allowed scopes`, parseAllowedScope)
    .option("--no-allow", "withdraw every allowed scope: only unscoped tokens may use it")
    .addOption(noPasswordArgument)
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      const c = await findConnection(ctx, ref);
      const credentials = defined({
        host: opts.host,
        port: opts.port,
        database: opts.database,
        username: opts.username,
        sslEnabled: opts.ssl,
        sslRejectUnauthorized: opts.sslVerify,
        sslCertificate: opts.sslCa === false ? null : opts.sslCa ? readCa(opts.sslCa) : undefined,
        password: opts.newPassword ? await readSecret(`New password of ${opts.username ?? c.credentials.username}`) : undefined,
      });
      const body = checked(
        updateConnectionSchema,
        defined({
          name: opts.name,
          description: opts.description,
          credentials: Object.keys(credentials).length ? credentials : undefined,
          allowedScopes: opts.allow === false ? [] : opts.allow,
        }),
        "connection update",
      );
      const updated = await withProgress(`Updating ${c.name}`, ctx.client().updateConnection(c.id, body));
      ctx.out.result(updated, (x) => connectionBlock(ctx.out, x));
    });

  removeCommand(connections, {
    verb: "delete",
    description: "delete a connection (refused while a rotation uses it)",
    argument: "connection",
    find: findConnection,
    question: (c) => `Delete connection ${JSON.stringify(c.name)} (${c.credentials.host}:${c.credentials.port}/${c.credentials.database})`,
    remove: (ctx, c) => ctx.client().deleteConnection(c.id),
    done: (c) => `Deleted connection ${c.name}.`,
  });
}

function readCa(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`Cannot read --ssl-ca ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
}
