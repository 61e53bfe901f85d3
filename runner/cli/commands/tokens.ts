import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { confirm } from "../prompt";
import { findToken } from "../resolve";
import { parseDuration, parsePermission, scopeLabel } from "../scope";

/** `pgrotate tokens create|list|revoke`: scoped bearer tokens (admin token). */
export function registerTokens(program: CommandUnknownOpts): void {
  const tokens = program.command("tokens").description("scoped bearer tokens: read or manage, limited by --project/--environment/--path when given");

  tokens
    .command("create")
    .description("create a token; its secret is printed once and stored only as a hash")
    .requiredOption("--name <slug>", "name")
    .requiredOption("--permission <permission>", "read | manage", parsePermission)
    .option("--expires-in <duration>", "lifetime, e.g. 12h or 30d (default: until revoked)", parseDuration)
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const created = await ctx.client().createToken({ name: opts.name, permission: opts.permission, expiresIn: opts.expiresIn, ...ctx.givenFolder() });
      ctx.out.result(created, (c) => {
        ctx.out.fields([
          ["Token", `${c.token.name} (${c.token.id})`],
          ["Permission", `${c.token.permission} over ${scopeLabel(c.token.scope)}`],
          ["Expires", ctx.out.when(c.token.expiresAt, "never (until revoked)")],
          ["Secret", c.secret],
        ]);
        ctx.out.note("The secret is shown once: store it now.");
      });
    });

  tokens
    .command("list")
    .description("every token (never a secret), revoked ones included")
    .action(async (_opts, cmd) => {
      const ctx = contextOf(cmd);
      const { out } = ctx;
      out.result(await ctx.client().listTokens(), (ts) =>
        out.table(
          ["NAME", "PERMISSION", "SCOPE", "EXPIRES", "STATE", "ID"],
          ts.map((t) => [t.name, t.permission, scopeLabel(t.scope), out.ago(t.expiresAt, "never"), state(t), t.id]),
          "No tokens.",
        ),
      );
    });

  tokens
    .command("revoke")
    .description("revoke a token: it stops working at once")
    .argument("<token>", "name or id")
    .action(async (ref, _opts, cmd) => {
      const ctx = contextOf(cmd);
      const t = await findToken(ctx, ref);
      await confirm(`Revoke token ${JSON.stringify(t.name)} (${t.id})`, ctx.yes);
      const revoked = await ctx.client().revokeToken(t.id);
      ctx.out.result(revoked, (x) => ctx.out.line(`Revoked token ${x.name}.`));
    });
}

export function state(t: { revokedAt: string | null; expiresAt?: string | null }): string {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now()) return "expired";
  return "active";
}
