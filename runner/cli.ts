#!/usr/bin/env node
import { Command } from "commander";
import { loadConfig } from "./config";
import { crashHooksFromEnv } from "./rotation/faults";
import { startRunner } from "./runtime";

const program = new Command()
  .name("pgrotate")
  .description("Scheduled dual-user PostgreSQL credential rotation (runner). Configured by PGROTATE_* environment variables.");

program
  .command("serve", { isDefault: true })
  .description("start the runner: API, scheduler, and the embedded store unless PGROTATE_DATABASE_URL is set")
  .action(async () => {
    const runner = await startRunner(loadConfig(), { faults: crashHooksFromEnv() });
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

program.parseAsync().catch((err: unknown) => {
  // Configuration and startup errors are written for people; they never carry a secret.
  process.stderr.write(`pgrotate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
