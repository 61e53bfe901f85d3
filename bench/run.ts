/**
 * `npm run bench`: every benchmark of issues 8, 13 and 14, each against a floor measured in the same run, then one table.
 * `node dist-bench/bench/run.js latency reads` runs a subset (latency, burst, precision, reads, scale, iac, console, pool, list).
 * Everything it starts (clusters, runners, servers, plugin hosts) is stopped at the end, also on failure.
 */
import { execSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { embeddedVersion } from "../runner/embedded/cluster";
import { benchConsole } from "./console";
import { benchIac } from "./iac";
import { benchList } from "./list";
import { benchPool } from "./pool";
import { benchReads } from "./reads";
import { benchBurst, benchLatency, benchPrecision, setupRotations } from "./rotations";
import { benchScale } from "./scale";
import { type Env, log, REPO, record, startEnv, stopEnv, table } from "./lib";

const ALL = ["latency", "burst", "precision", "reads", "scale", "iac", "console", "pool", "list"] as const;

function machine(): string {
  const sh = (c: string) => {
    try { return execSync(c, { encoding: "utf8" }).trimEnd(); } catch { return "?"; }
  };
  return [
    `- nproc: ${sh("nproc")} (${os.cpus()[0]?.model ?? "?"})`,
    `- free -h:\n\n\`\`\`\n${sh("free -h")}\n\`\`\``,
    `- node ${process.version}, ${os.type()} ${os.release()}`,
    `- PostgreSQL (embedded, store and target): ${embeddedVersion(17)}`,
  ].join("\n");
}

async function main(): Promise<number> {
  const wanted = new Set(process.argv.slice(2).length ? process.argv.slice(2) : ALL);
  for (const w of wanted) if (!(ALL as readonly string[]).includes(w)) throw new Error(`unknown benchmark ${w}; choose from ${ALL.join(", ")}`);
  let env: Env | undefined;
  const onSignal = () => {
    log("interrupted: stopping everything");
    void stopEnv(env).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const started = Date.now();
  try {
    env = await startEnv();
    log(`clusters up: store :${env.store.port}, target :${env.target.port} (${env.tmp})`);
    const needRotations = ["latency", "burst", "precision", "reads"].some((w) => wanted.has(w));
    if (needRotations) {
      const s = await setupRotations(env);
      const guard = async (name: string, fn: () => Promise<void>) => {
        if (!wanted.has(name)) return;
        try {
          await fn();
        } catch (e) {
          record({ bench: name, figure: "error", value: (e as Error).message.slice(0, 200), floor: "", ratio: "", target: "", pass: "FAIL" });
        }
      };
      await guard("latency", () => benchLatency(env!, s));
      let ids: string[] = [];
      await guard("burst", async () => { ids = await benchBurst(env!, s); });
      await guard("precision", async () => {
        if (!ids.length) throw new Error("needs the burst benchmark's rotations");
        await benchPrecision(s, ids);
      });
      await s.runner.stop(); // the reads benchmark runs the runner in a child process on the same store
      await guard("reads", () => benchReads(env!, s));
    }
    for (const [name, fn] of [["scale", benchScale], ["iac", benchIac], ["console", benchConsole], ["pool", benchPool], ["list", benchList]] as const) {
      if (!wanted.has(name)) continue;
      try {
        await fn(env);
      } catch (e) {
        record({ bench: name, figure: "error", value: (e as Error).message.slice(0, 200), floor: "", ratio: "", target: "", pass: "FAIL" });
      }
    }
  } finally {
    await stopEnv(env);
  }
  const out = `${table()}\n\nTotal bench time ${((Date.now() - started) / 1000).toFixed(0)} s, ${new Date().toISOString()}.\n\n${machine()}\n`;
  log(`\n${out}`);
  fs.mkdirSync(path.join(REPO, "dist-bench"), { recursive: true });
  fs.writeFileSync(path.join(REPO, "dist-bench/results.md"), out);
  return 0; // misses are in the table; only a crash is a non-zero exit
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(2);
  },
);
