import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { findToken } from "../resolve";
import { parseDuration, scopeLabel, scopedCreateOptions } from "../scope";
import { listCommand, removeCommand } from "../subcommands";

/** `pgrotate tokens create|list|revoke`: scoped bearer tokens (admin token). */
export function registerTokens(program: CommandUnknownOpts): void {
  const tokens = program.command("tokens").description("scoped bearer tokens: read or manage, limited by --project/--environment/--path when given");

  scopedCreateOptions(tokens.command("create").description("create a token; its secret is printed once and stored only as a hash"))
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

  listCommand(tokens, {
    description: "every token (never a secret), revoked ones included",
    load: (ctx) => ctx.client().listTokens(),
    headers: ["NAME", "PERMISSION", "SCOPE", "EXPIRES", "STATE", "ID"],
    row: (out, t) => [t.name, t.permission, scopeLabel(t.scope), out.ago(t.expiresAt, "never"), state(t), t.id],
    empty: "No tokens.",
  });

  removeCommand(tokens, {
    verb: "revoke",
    description: "revoke a token: it stops working at once",
    argument: "token",
    find: findToken,
    question: (t) => `Revoke token ${JSON.stringify(t.name)} (${t.id})`,
    remove: (ctx, t) => ctx.client().revokeToken(t.id),
    done: (t) => `Revoked token ${t.name}.`,
  });
}

export function state(t: { revokedAt: string | null; expiresAt?: string | null }): string {
  if (t.revokedAt) return "revoked";
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now()) return "expired";
  return "active";
}
