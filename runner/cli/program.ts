/** The `pgrotate` command line: global options, then one module per command (commands/index.ts). */
import { Command, Option } from "@commander-js/extra-typings";
import { packageVersion } from "../version";
import { COMMANDS } from "./commands";
import { addExamples, configureHelp } from "./help";

export function buildProgram(): Command {
  const program = new Command()
    .name("pgrotate")
    .description("Scheduled dual-user PostgreSQL credential rotation: the runner (serve) and an operator CLI over its API.")
    .version(packageVersion())
    .addOption(new Option("--url <url>", "runner URL").env("PGROTATE_URL").default("http://127.0.0.1:8080"))
    .addOption(
      new Option("--token <token>", "bearer token (prefer PGROTATE_TOKEN: arguments show in ps); default for a local runner: <data dir>/admin.token").env(
        "PGROTATE_TOKEN",
      ),
    )
    .addOption(new Option("--ca-file <file>", "PEM file of the CA that signed the runner's HTTPS certificate (trusted beside the system's CAs)").env("PGROTATE_CA_FILE"))
    .addOption(new Option("--profile <name>", 'the profile pgrotate login saved to use (default: the one named "default", if saved)').env("PGROTATE_PROFILE"))
    .option("--project <id>", "project of the rotation named on the command line (filters lists and scopes tokens when given)", "default")
    .option("--environment <slug>", "environment (see --project)", "dev")
    .option("--path <path>", "secret path (see --project)", "/")
    .option("--json", "machine output: one JSON document on stdout, nothing else")
    .option("--no-color", "no colours (also NO_COLOR)")
    .option("-y, --yes", "confirm destructive commands without asking (required when stdin is not a terminal)")
    .showHelpAfterError("(run pgrotate --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  configureHelp(program);
  for (const register of COMMANDS) register(program);
  addExamples(program);
  return program;
}
