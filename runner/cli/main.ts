/** Runs the CLI: parses, runs the command, turns any failure into one stderr line and an exit code. */
import { CommanderError } from "@commander-js/extra-typings";
import { EXIT, errorLines, exitCodeOf } from "./errors";
import { writeLines } from "./output";
import { buildProgram } from "./program";

export async function run(argv: string[]): Promise<void> {
  // No arguments at all prints the help (as kubectl does); the runner starts only with `pgrotate serve`.
  const args = argv.length > 2 ? argv : [...argv, "--help"];
  try {
    await buildProgram().parseAsync(args);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message (or the help / version) already.
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    writeLines(process.stderr, errorLines(err));
    process.exitCode = exitCodeOf(err);
  }
}
