import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { confirm } from "../prompt";
import { findIdentity } from "../resolve";
import { parseDuration, parsePermission, scopeLabel } from "../scope";
import { state } from "./tokens";

/** `pgrotate identities create|list|revoke`: machine identities for apps (Infisical's universal auth; admin token). */
export function registerIdentities(program: CommandUnknownOpts): void {
  const identities = program.command("identities").description("machine identities (universal auth) for apps, scoped like tokens");

  identities
    .command("create")
    .description("create an identity; its client secret is printed once and stored only as a hash")
    .requiredOption("--name <slug>", "unique name")
    .requiredOption("--permission <permission>", "read | manage", parsePermission)
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

  identities
    .command("list")
    .description("every machine identity, revoked ones included")
    .action(async (_opts, cmd) => {
      const ctx = contextOf(cmd);
      const { out } = ctx;
      out.result(await ctx.client().listIdentities(), (is) =>
        out.table(
          ["NAME", "PERMISSION", "SCOPE", "TOKEN TTL", "STATE", "CLIENT ID", "ID"],
          is.map((i) => [i.name, i.permission, scopeLabel(i.scope), `${i.accessTokenTTL} s`, state(i), i.clientId, i.id]),
          "No machine identities.",
        ),
      );
    });

  identities
    .command("revoke")
    .description("revoke an identity and every access token it was given")
    .argument("<identity>", "name or id")
    .action(async (ref, _opts, cmd) => {
      const ctx = contextOf(cmd);
      const i = await findIdentity(ctx, ref);
      await confirm(`Revoke machine identity ${JSON.stringify(i.name)} (${i.id}) and its access tokens`, ctx.yes);
      const revoked = await ctx.client().revokeIdentity(i.id);
      ctx.out.result(revoked, (x) => ctx.out.line(`Revoked machine identity ${x.name}.`));
    });
}
