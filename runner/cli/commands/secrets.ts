import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { RawSecret } from "../../../provider/client";
import { contextOf, type CliContext } from "../context";
import { folderLabel, HIDDEN } from "../views";

/** A secret's name without its value: which rotation writes it, what it holds, when it last changed. */
export interface SecretName {
  secretKey: string;
  holds: "username" | "password";
  rotation: { id: string; name: string };
  /** When the rotation last wrote it (its last rotation). */
  updatedAt: string | null;
}

/**
 * The names of the folder's secrets from the rotations that write them (GET of the rotations: no secret value is
 * read, sent or audited as a read). The runner's secrets are the rotations' secretsMapping; a secret a deleted
 * rotation left behind (`rotations delete` without --delete-secrets) is listed only with --show.
 */
async function secretNames(ctx: CliContext): Promise<SecretName[]> {
  const f = ctx.folder();
  const rotations = (await ctx.client().listRotations(f.projectId)).filter((r) => r.environment.slug === f.environment && r.folder.path === f.secretPath);
  return rotations
    .flatMap((r) =>
      (["username", "password"] as const).map((holds) => ({ secretKey: r.secretsMapping[holds], holds, rotation: { id: r.id, name: r.name }, updatedAt: r.lastRotatedAt })),
    )
    .sort((a, b) => a.secretKey.localeCompare(b.secretKey));
}

/** Without --show a secret's value is left out (the JSON too): it is printed only when asked for. */
const masked = (s: RawSecret, show: boolean): Partial<RawSecret> => {
  if (show) return s;
  const { secretValue: _value, ...rest } = s;
  return rest;
};

/** `pgrotate secrets list|get`: what applications read in the folder of --project/--environment/--path. */
export function registerSecrets(program: CommandUnknownOpts): void {
  const secrets = program.command("secrets").description("the secrets applications read (Infisical's raw secrets); values only with --show");

  secrets
    .command("list")
    .description("the secrets of the folder --project/--environment/--path: names from the rotations that write them; values only with --show")
    .option("--show", "read and print the values (a secret read, recorded in the audit log)")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const { out } = ctx;
      const empty = `No secrets in ${folderLabel(ctx.folder())}.`;
      if (opts.show !== true) {
        out.result(await secretNames(ctx), (ss) =>
          out.table(["NAME", "VALUE", "HOLDS", "UPDATED"], ss.map((s) => [s.secretKey, out.style(HIDDEN, "dim"), `${s.holds} of rotation ${s.rotation.name}`, out.ago(s.updatedAt)]), empty),
        );
        return;
      }
      const all = await ctx.client().rawSecrets(ctx.folder());
      out.result(all, (ss) => out.table(["NAME", "VALUE", "VERSION", "UPDATED"], ss.map((s) => [s.secretKey, s.secretValue, String(s.version), out.ago(s.updatedAt)]), empty));
    });

  secrets
    .command("get")
    .description("one secret of the folder --project/--environment/--path")
    .argument("<name>", "the secret's name")
    .option("--show", "print the value")
    .action(async (name, opts, cmd) => {
      const ctx = contextOf(cmd);
      const secret = masked(await ctx.client().rawSecret(name, ctx.folder()), opts.show === true);
      ctx.out.result(secret, (s) => {
        if (s.secretValue !== undefined) ctx.out.value(s.secretValue);
        else ctx.out.fields([["Name", s.secretKey ?? name], ["Value", ctx.out.style(HIDDEN, "dim")], ["Version", String(s.version)], ["Updated", ctx.out.when(s.updatedAt)]]);
      });
    });
}
