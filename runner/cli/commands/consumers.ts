import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { folderLabel } from "../views";

/** `pgrotate consumers list`: the applications that report using the folder's database users (pgrotate/pg pools). */
export function registerConsumers(program: CommandUnknownOpts): void {
  const consumers = program.command("consumers").description("the applications that report which database users of a folder they use (pgrotate/pg pools)");

  consumers
    .command("list")
    .description("the live consumers of the folder --project/--environment/--path: app, instance, the users it uses, when it last reported")
    .action(async (_opts, cmd) => {
      const ctx = contextOf(cmd);
      const { out } = ctx;
      const folder = ctx.folder();
      out.result(await ctx.client().listConsumers(folder), (cs) =>
        out.table(
          ["APP", "INSTANCE", "USERNAMES", "LAST SEEN"],
          cs.map((c) => [c.appName, c.instanceId, c.usernames.join(", "), out.ago(c.lastSeenAt)]),
          `No application reports using ${folderLabel(folder)}.`,
        ),
      );
    });
}
