import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { RawSecret } from "../../../provider/client";
import { contextOf } from "../context";
import { folderLabel, HIDDEN } from "../views";

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
    .description("the secrets of the folder --project/--environment/--path")
    .option("--show", "print the values (a secret read, recorded in the audit log)")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const show = opts.show === true;
      const all = await ctx.client().rawSecrets(ctx.folder());
      const { out } = ctx;
      out.result(
        all.map((s) => masked(s, show)),
        (ss) =>
          out.table(
            ["NAME", "VALUE", "VERSION", "UPDATED"],
            ss.map((s) => [s.secretKey ?? "", s.secretValue ?? out.style(HIDDEN, "dim"), String(s.version), out.ago(s.updatedAt)]),
            `No secrets in ${folderLabel(ctx.folder())}.`,
          ),
      );
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
