import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { UsageError } from "../errors";

/** A backup's lines, parsed (store/backup.ts); a line that is no JSON is a damaged file. */
async function* linesOf(file: string): AsyncGenerator<unknown> {
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (!line.trim()) continue;
    try {
      yield JSON.parse(line) as unknown;
    } catch {
      throw new UsageError(`${file}: line ${n} is not JSON: the backup is damaged`);
    }
  }
}

/**
 * `pgrotate backup --out FILE`: the store's backup through the runner (a consistent snapshot while it runs; the
 * admin token). `pgrotate restore FILE`: puts one back into the store of the runner configured by the same
 * PGROTATE_* variables as `serve` — with every runner on that store stopped (for the embedded store, the
 * runner of that data directory). Neither holds or needs more than the encryption key's file or variable.
 */
export function registerBackup(program: CommandUnknownOpts): void {
  program
    .command("backup")
    .description("write the store's backup (a consistent snapshot while the runner runs; sealed values stay sealed, the key is not in it)")
    .requiredOption("--out <file>", "where to write it (mode 0600; written whole or not at all)")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const body = await ctx.client({ timeoutMs: 30 * 60_000 }).backup();
      const out = path.resolve(opts.out);
      const partial = `${out}.partial-${process.pid}`;
      const file = fs.createWriteStream(partial, { mode: 0o600 });
      let tail = "";
      try {
        for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
          if (!file.write(chunk)) await new Promise<void>((r) => file.once("drain", () => r()));
          tail = (tail + Buffer.from(chunk).toString("utf8")).slice(-200);
        }
        await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
        const last = tail.trimEnd().split("\n").pop() ?? "";
        const end = JSON.parse(last) as { end?: boolean; rows?: number };
        if (!end.end) throw new Error("no end line");
        fs.renameSync(partial, out);
        ctx.out.result({ file: out, rows: end.rows }, (r) => ctx.out.line(`Backup written to ${r.file}: ${r.rows} rows. It holds sealed secrets: keep it like the store; the encryption key is not in it.`));
      } catch (err) {
        file.destroy();
        fs.rmSync(partial, { force: true });
        throw err instanceof SyntaxError || (err instanceof Error && err.message === "no end line")
          ? new UsageError("The runner's backup ended early (it failed while reading the store): nothing was written; try again")
          : err;
      }
    });

  program
    .command("restore")
    .description("put a backup back into the store of the runner configured by PGROTATE_* (as serve); stop every runner on that store first")
    .argument("<file>", "a file `pgrotate backup` wrote")
    .option("--force", "replace what the store holds (refused without it when the store has connections, rotations, secrets, tokens or identities)")
    .action(async (file, opts, cmd) => {
      const ctx = contextOf(cmd);
      if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
      // The runner's modules, only for this command.
      const [{ loadConfig }, { restoreBackup }] = await Promise.all([import("../../config"), import("../../store/restore")]);
      const restored = await restoreBackup(loadConfig(), () => linesOf(file), { force: opts.force === true });
      ctx.out.result({ file: path.resolve(file), rows: restored.rows }, (r) =>
        ctx.out.line(`Restored ${r.rows} rows from ${r.file}. Start the runner(s) again: the first to start logs in with every stored password and repairs drift (the targets may hold newer passwords than the backup).`),
      );
    });
}
