import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { configVariables } from "../../config";
import type { Runner } from "../../runtime";
import { errorLines } from "../errors";
import { writeLines } from "../output";

/** `pgrotate serve` (`npm start`; the container's and the systemd unit's command): the runner, configured by PGROTATE_* environment variables. */
export function registerServe(program: CommandUnknownOpts): void {
  program
    .command("serve")
    .description("start the runner: API, scheduler, and the embedded store unless PGROTATE_DATABASE_URL is set (configured by PGROTATE_* variables)")
    .addHelpText("after", environmentHelp)
    .action(async () => {
      let runner: Runner;
      try {
        // Loaded here: the operator commands need none of the runner's modules.
        const [{ loadConfig }, { crashHooksFromEnv }, { startRunner }] = await Promise.all([import("../../config"), import("../../rotation/faults"), import("../../runtime")]);
        runner = await startRunner(loadConfig(), { faults: crashHooksFromEnv() });
      } catch (err) {
        // Configuration and startup errors are written for people; they never carry a secret. Exit at once:
        // a half-started store must not keep the process alive.
        writeLines(process.stderr, errorLines(err));
        process.exit(1);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        runner.logger.info({ signal }, "shutting down");
        runner.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
    });
}

/** Every variable the runner reads, from the configuration's own table: what it means and its default. */
function environmentHelp(): string {
  const variables = configVariables();
  const width = Math.max(...variables.map((v) => v.name.length)) + 2;
  return [
    "",
    "Environment (a secret setting may instead come from the file <NAME>_FILE names, as container secrets and",
    "systemd credentials are given; a bad value stops the runner with a message naming the variable, never its value):",
    ...variables.map((v) => `  ${v.name.padEnd(width)}${v.meaning} (default: ${v.default})`),
  ].join("\n");
}
