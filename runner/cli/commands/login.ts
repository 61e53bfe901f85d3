import path from "node:path";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { RunnerClient } from "../../../provider/client";
import { contextOf } from "../context";
import { DEFAULT_PROFILE, saveProfile, type Profile } from "../profiles";
import { readSecret } from "../prompt";

/**
 * `pgrotate login`: saves a profile (--profile / PGROTATE_PROFILE, else "default") with the runner's URL and CA file
 * and a token (--token / PGROTATE_TOKEN, else read from stdin or a hidden prompt) or a machine identity
 * (--client-id, its secret from PGROTATE_CLIENT_SECRET, stdin or a hidden prompt). The credentials are tried
 * against the runner first (--no-verify skips that). Prints the profile, never a secret.
 */
export function registerLogin(program: CommandUnknownOpts): void {
  program
    .command("login")
    .description("save a profile (--profile, else \"default\"): --url, --ca-file and a token or machine identity, checked against the runner first")
    .option("--client-id <id>", "log in as a machine identity (its secret from PGROTATE_CLIENT_SECRET, stdin or a hidden prompt)")
    .option("--no-verify", "save without trying the credentials against the runner")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd, { profiles: false });
      const g = ctx.loginSettings();
      const name = g.profile;
      const profile: Profile = { url: g.url, ...(g.caFile ? { caFile: path.resolve(g.caFile) } : {}) };
      if (opts.clientId) {
        profile.clientId = opts.clientId;
        profile.clientSecret = process.env.PGROTATE_CLIENT_SECRET || (await readSecret("Client secret"));
      } else {
        profile.token = g.token || (await readSecret("Token"));
      }
      let who: string | undefined;
      if (opts.verify) {
        const client = ctx.publicClient();
        if (profile.clientId) {
          await client.login(profile.clientId, profile.clientSecret!);
          who = `identity with client id ${profile.clientId}`;
        } else {
          const session = await new RunnerClient({ url: client.url, token: profile.token, fetch: ctx.trustingFetch() }).session();
          who = `${session.actor} (${session.permission})`;
        }
      }
      const file = saveProfile(name, profile);
      const saved = { profile: name, file, url: profile.url, caFile: profile.caFile ?? null, auth: profile.clientId ? "identity" : "token", verified: who !== undefined };
      ctx.out.result(saved, (s) => {
        ctx.out.line(`Saved profile ${s.profile} (${s.url}, ${s.auth === "identity" ? `machine identity ${profile.clientId}` : "token"}) to ${s.file}.`);
        ctx.out.line(who ? `Verified: the runner accepts it as ${who}.` : "Not verified (--no-verify).");
        if (s.profile !== DEFAULT_PROFILE) ctx.out.line(`Use it with --profile ${s.profile} or PGROTATE_PROFILE=${s.profile}.`);
      });
    });
}
