/**
 * Runs the CLI: parses, runs the command, turns any failure into an exit code and one report on stderr: a line
 * for people, or with --json one JSON document ({"error", "message", "exitCode", "meaning"}).
 */
import { CommanderError } from "@commander-js/extra-typings";
import { EXIT, errorLines, errorReport, meaningOf, UsageError } from "./errors";
import { allCommands } from "./help";
import { lineJson, writeLines } from "./output";
import { buildProgram } from "./program";

/** --json anywhere before a `--` (commander takes it at any position). */
const wantsJson = (args: string[]): boolean => {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).includes("--json");
};

export async function run(argv: string[]): Promise<void> {
  // No arguments at all prints the help (as kubectl does); the runner starts only with `pgrotate serve`.
  const args = argv.length > 2 ? argv : [...argv, "--help"];
  const json = wantsJson(args.slice(2));
  const program = buildProgram();
  // With --json commander's own messages (and the help it adds after one) are not written: the report below is.
  if (json) for (const cmd of allCommands(program)) cmd.configureOutput({ writeErr: () => undefined });
  try {
    await program.parseAsync(args);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message (or the help / version) already, unless --json.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      if (json && err.exitCode !== 0) process.stderr.write(lineJson(commanderReport(err)) + "\n");
      return;
    }
    if (json) process.stderr.write(lineJson(errorReport(err)) + "\n");
    else writeLines(process.stderr, errorLines(err));
    process.exitCode = errorReport(err).exitCode;
  }
}

/** Commander's refusal as a usage error: its message without "error: ". */
function commanderReport(err: CommanderError) {
  const message = err.code === "commander.help" ? "a subcommand is required (see --help)" : err.message.replace(/^error: /, "");
  return { ...errorReport(new UsageError(message)), exitCode: EXIT.usage, meaning: meaningOf(EXIT.usage) };
}
