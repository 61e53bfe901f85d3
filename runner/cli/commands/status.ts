import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { ApiKeys } from "../../../provider/client";
import { contextOf } from "../context";
import { EXIT } from "../errors";
import { keyCountsLine } from "../key-views";

/**
 * `pgrotate status`: readiness and counts (GET /readyz, no token needed), and with the admin token the values each
 * encryption key seals and a rekey in progress (GET /api/v1/admin/keys). Exit 1 when not ready.
 */
export function registerStatus(program: CommandUnknownOpts): void {
  program
    .command("status")
    .description("is the runner ready (store answers, scheduler runs), and how many rotations are failing or overdue")
    .action(async (_opts, cmd) => {
      const ctx = contextOf(cmd);
      const client = ctx.publicClient();
      const r = await client.readiness();
      let keys: ApiKeys | undefined;
      if (r.status === "ready") {
        // Only with the admin token: without a token, or with another one, status shows what it always showed.
        keys = await Promise.resolve()
          .then(() => ctx.client().keys())
          .catch(() => undefined);
      }
      const { out } = ctx;
      out.result(keys ? { ...r, keys } : r, () => {
        const pairs: Array<[string, string]> = [
          ["Runner", client.url],
          ["Status", r.status === "ready" ? out.style("ready", "info") : out.style(`not ready: ${r.reason}`, "danger")],
        ];
        if (r.rotations !== undefined) {
          pairs.push(
            ["Rotations", String(r.rotations)],
            ["Failing", r.failing ? out.style(String(r.failing), "danger") : "0"],
            ["Drifted", r.drifted ? out.style(String(r.drifted), "danger") : "0"],
            ["Overdue", r.overdue ? out.style(String(r.overdue), "warning") : "0"],
            ["In flight", String(r.intents ?? 0)],
          );
        }
        if (r.notifications === "down") {
          pairs.push(["Notifications", out.style(`down since ${out.when(r.notificationsDownSince)}: caches bypassed`, "warning")]);
        } else if (r.notifications) {
          pairs.push(["Notifications", "live"]);
        }
        if (keys) {
          pairs.push(["Encryption keys", keyCountsLine(out, keys)]);
          if (keys.rekey?.status === "running") pairs.push(["Rekey", `running: ${keys.rekey.resealed} re-sealed, ${keys.notOnNewest} to go`]);
        }
        out.fields(pairs);
      });
      if (r.status !== "ready") process.exitCode = EXIT.failed;
    });
}
