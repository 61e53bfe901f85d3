import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { packageVersion } from "../../version";
import { contextOf } from "../context";
import { errorReport } from "../errors";

/** How long `version` waits for the runner: it answers at once or is reported unreachable. */
const VERSION_TIMEOUT_MS = 5_000;

/**
 * `pgrotate version`: this CLI's version and the runner's (its API reference's info.version, no token needed).
 * Exits 0 when the runner cannot be reached, and says so: the client's version is still the answer.
 */
export function registerVersion(program: CommandUnknownOpts): void {
  program
    .command("version")
    .description("the version of this CLI and of the runner at --url (exit 0 even when the runner cannot be reached)")
    .action(async (_opts, cmd) => {
      const ctx = contextOf(cmd);
      const client = ctx.publicClient({ timeoutMs: VERSION_TIMEOUT_MS });
      let runner: { url: string; version: string | null; error?: string };
      try {
        runner = { url: client.url, version: await client.runnerVersion() };
      } catch (err) {
        runner = { url: client.url, version: null, error: errorReport(err).message };
      }
      const { out } = ctx;
      out.result({ client: packageVersion(), runner }, (v) =>
        out.fields([
          ["Client", v.client],
          ["Runner", v.runner.version === null ? out.style(`unknown: ${v.runner.error ?? "no answer"}`, "warning") : `${v.runner.version} (${v.runner.url})`],
        ]),
      );
    });
}
