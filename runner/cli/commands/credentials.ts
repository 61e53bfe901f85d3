import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { findRotation } from "../resolve";
import { HIDDEN } from "../views";

/**
 * `pgrotate credentials <rotation> [--show]`: both users and which is active. Passwords only with --show:
 * without it the generated credentials are not even fetched (no secret crosses the wire or the audit log).
 */
export function registerCredentials(program: CommandUnknownOpts): void {
  program
    .command("credentials")
    .description("both users of a rotation and which one is active; passwords only with --show")
    .argument("<rotation>", "name or id")
    .option("--show", "fetch and print both passwords (a secret read, recorded in the audit log)")
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      const r = await findRotation(ctx, ref);
      const creds = opts.show
        ? await ctx.client().generatedCredentials(r.id)
        : {
            generatedCredentials: [{ username: r.parameters.username1 }, { username: r.parameters.username2 }],
            activeIndex: r.activeIndex,
            rotationId: r.id,
            type: r.type,
          };
      const { out } = ctx;
      out.result(creds, (c) =>
        out.table(
          ["", "USERNAME", "PASSWORD", "ACTIVE"],
          c.generatedCredentials.map((u, i) => [
            `username${i + 1}`,
            u.username,
            "password" in u ? u.password : out.style(HIDDEN, "dim"),
            i === c.activeIndex ? out.style("active", "info") : "",
          ]),
          "No credentials.",
        ),
      );
    });
}
