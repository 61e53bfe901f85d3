import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { ApiKeys } from "../../../provider/client";
import { contextOf } from "../context";
import { EXIT, UsageError } from "../errors";
import { keysBlock } from "../key-views";

const POLL_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `pgrotate rekey`: the runner re-seals every stored value with its newest key (POST /api/v1/admin/keys/rekey), in
 * batches, while rotations go on; the command follows it to the end (exit 1 unless every value ended on the newest
 * key). It runs on the runner, which holds the keys: this machine needs neither the keys nor the store.
 */
export function registerRekey(program: CommandUnknownOpts): void {
  program
    .command("rekey")
    .description("re-seal every stored value with the runner's newest encryption key (online, in batches; run it again to continue after a stop)")
    .option("--batch-size <n>", "values re-sealed per transaction (1-10000)", "500")
    .option("--no-wait", "start it and return (follow it with pgrotate status)")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const batchSize = Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError("--batch-size must be a whole number from 1 to 10000");
      const client = ctx.client();
      const { out } = ctx;
      let k: ApiKeys = await client.rekey({ batchSize });
      const started = k.rekey?.startedAt;
      const tty = !out.json && process.stderr.isTTY;
      if (opts.wait && k.rekey?.status === "running") {
        if (!tty && !out.json) out.note(`Re-sealing ${k.notOnNewest} values with key ${k.newestKeyId}…`);
        while (k.rekey?.status === "running") {
          if (tty) process.stderr.write(`\rRe-sealing with key ${k.newestKeyId}: ${k.rekey.resealed} done, ${k.notOnNewest} to go…\x1b[K`);
          await sleep(POLL_MS);
          k = await client.keys();
          if (k.rekey?.startedAt !== started) {
            // Another runner answered (a load balancer): it knows the counts, not the progress of the rekey.
            if (tty) process.stderr.write("\r\x1b[K");
            out.note("Another runner answered, not the one rekeying: point --url at one runner, or follow the counts with pgrotate status.");
            out.result(k, () => keysBlock(out, k));
            process.exitCode = EXIT.failed;
            return;
          }
        }
        if (tty) process.stderr.write("\r\x1b[K");
      }
      out.result(k, () => keysBlock(out, k));
      if (opts.wait && k.rekey?.status !== "finished") process.exitCode = EXIT.failed;
    });
}
