/**
 * `pgrotate rotations wait <rotation>`, and `--watch` of `rotations list|get`: both poll the runner (the rotation's
 * own state, which the change feed does not carry: a failed attempt changes no secret).
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { ApiRotation } from "../../../provider/client";
import type { CliContext } from "../context";
import { contextOf } from "../context";
import { EXIT, TimedOut } from "../errors";
import { lineJson } from "../output";
import { findRotation } from "../resolve";
import { parseDuration } from "../scope";
import { activeUser, statusWord } from "../views";

/** How often the runner is asked (a GET of one rotation or of the list). */
export const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** In flight: being created (pending), held (someone still uses the user it would change), or due (the scheduler claims it now, or retries a failure). */
export function inFlight(r: ApiRotation, now = Date.now()): boolean {
  return r.rotationStatus === "pending" || (r.rotationStatus === "held" && r.isAutoRotationEnabled) || (r.isAutoRotationEnabled && r.nextRotationAt !== null && Date.parse(r.nextRotationAt) <= now);
}

export function registerRotationWait(rotations: CommandUnknownOpts): void {
  rotations
    .command("wait")
    .description("wait until the rotation's attempt in flight ends (being created, held, or due); exit 0 when it succeeded, 1 when it failed or drifted, 4 at --timeout")
    .argument("<rotation>", "name or id")
    .option("--timeout <duration>", "give up after this long (e.g. 90, 5m, 1h)", parseDuration, 600)
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      const deadline = Date.now() + opts.timeout * 1000;
      let r = await findRotation(ctx, ref);
      while (inFlight(r)) {
        if (Date.now() >= deadline) throw new TimedOut(`Timed out after ${opts.timeout} s: rotation ${r.name} is still ${r.rotationStatus === "pending" ? "being created" : r.rotationStatus === "held" ? `held by ${r.heldBy ?? "someone"}` : "due"}`);
        await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
        r = await ctx.client().getRotation(r.id);
      }
      const { out } = ctx;
      out.result(r, (x) => {
        if (x.rotationStatus === "success") out.line(`${x.name}: ${statusWord(out, x)}; ${activeUser(x)} is active (last rotated ${out.when(x.lastRotatedAt, "never")}).`);
        else out.line(`${x.name}: ${statusWord(out, x)}${x.lastRotationMessage ? `: ${x.lastRotationMessage}` : x.heldBy ? `: ${x.heldBy}` : ""}`);
      });
      if (r.rotationStatus !== "success") process.exitCode = EXIT.failed;
    });
}

/**
 * `--watch`: renders what `load` returns, then again each time it changes, until Ctrl-C (exit 0). With --json one
 * JSON document per line, per change.
 */
export async function watch<T>(ctx: CliContext, load: () => Promise<T>, render: (value: T) => void): Promise<void> {
  let stopped = false;
  const stop = () => void (stopped = true);
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    let last: string | undefined;
    while (!stopped) {
      const value = await load();
      const text = JSON.stringify(value);
      if (text !== last) {
        if (ctx.out.json) process.stdout.write(lineJson(value) + "\n");
        else {
          if (last !== undefined) ctx.out.line();
          render(value);
        }
        last = text;
      }
      for (let waited = 0; waited < POLL_MS && !stopped; waited += 100) await sleep(100);
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
