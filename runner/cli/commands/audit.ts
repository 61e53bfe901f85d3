import { InvalidArgumentError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { folderLabel } from "../views";

export function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("a whole number from 1 to 1000");
  return n;
}

/** `pgrotate audit [--limit N]`: the audit log, newest first (admin token). */
export function registerAudit(program: CommandUnknownOpts): void {
  program
    .command("audit")
    .description("the audit log, newest first: who did what, when (never a secret value)")
    .option("--limit <n>", "entries to show (1–1000)", parseLimit, 50)
    .option("--actor <actor>", 'only this actor ("admin", "token:<id>", "identity:<id>", "anonymous")')
    .option("--action <action>", 'only this action (e.g. "rotation.rotate")')
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const logs = await ctx.client().auditLogs({ limit: opts.limit, actor: opts.actor, action: opts.action });
      const { out } = ctx;
      out.result(logs, (ls) =>
        out.table(
          ["WHEN", "ACTOR", "ACTION", "STATUS", "FOLDER", "DETAILS"],
          ls.map((l) => [
            out.when(l.at),
            l.actor,
            l.action,
            out.style(String(l.status), l.status >= 400 ? "danger" : "info"),
            l.projectId && l.environment && l.secretPath ? folderLabel({ projectId: l.projectId, environment: l.environment, secretPath: l.secretPath }) : "—",
            l.details ? JSON.stringify(l.details) : "",
          ]),
          "No audit entries.",
        ),
      );
    });
}
