import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { findIdentity } from "../resolve";
import { parseDuration, scopeLabel, scopedCreateOptions } from "../scope";
import { listCommand, removeCommand } from "../subcommands";
import { state } from "./tokens";

/** `pgrotate identities create|list|revoke`: machine identities for apps (Infisical's universal auth; admin token). */
export function registerIdentities(program: CommandUnknownOpts): void {
  const identities = program.command("identities").description("machine identities (universal auth) for apps, scoped like tokens");

  scopedCreateOptions(identities.command("create").description("create an identity; its client secret is printed once and stored only as a hash"))
    .option("--access-token-ttl <duration>", "lifetime of each access token (default 2h)", parseDuration)
    .option("--access-token-max-ttl <duration>", "upper bound of the TTL (default 2h)", parseDuration)
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const created = await ctx.client().createIdentity({
        name: opts.name,
        permission: opts.permission,
        accessTokenTTL: opts.accessTokenTtl,
        accessTokenMaxTTL: opts.accessTokenMaxTtl,
        ...ctx.givenFolder(),
      });
      ctx.out.result(created, (c) => {
        ctx.out.fields([
          ["Identity", `${c.identity.name} (${c.identity.id})`],
          ["Permission", `${c.identity.permission} over ${scopeLabel(c.identity.scope)}`],
          ["Client ID", c.clientId],
          ["Client secret", c.clientSecret],
        ]);
        ctx.out.note("The client secret is shown once: store it now.");
      });
    });

  listCommand(identities, {
    description: "every machine identity, revoked ones included",
    load: (ctx) => ctx.client().listIdentities(),
    headers: ["NAME", "PERMISSION", "SCOPE", "TOKEN TTL", "STATE", "CLIENT ID", "ID"],
    row: (_out, i) => [i.name, i.permission, scopeLabel(i.scope), `${i.accessTokenTTL} s`, state(i), i.clientId, i.id],
    empty: "No machine identities.",
  });

  removeCommand(identities, {
    verb: "revoke",
    description: "revoke an identity and every access token it was given",
    argument: "identity",
    find: findIdentity,
    question: (i) => `Revoke machine identity ${JSON.stringify(i.name)} (${i.id}) and its access tokens`,
    remove: (ctx, i) => ctx.client().revokeIdentity(i.id),
    done: (i) => `Revoked machine identity ${i.name}.`,
  });
}
