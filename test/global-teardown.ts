/** jest globalTeardown: stops the clusters of test/global-setup.ts and removes their directory. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { TestClusterState } from "./global-setup";

export default async function globalTeardown(): Promise<void> {
  const state: TestClusterState | undefined = globalThis.__PGROTATE_TEST_CLUSTERS__;
  if (!state) return;
  globalThis.__PGROTATE_TEST_CLUSTERS__ = undefined;
  await printFigures(path.join(state.dir, "figures.jsonl"));
  await Promise.allSettled(state.clusters.map((c) => c.stop()));
  for (const c of state.clusters) {
    // A data directory relocated out of the temp dir (see runner/embedded/permissions.ts) goes too.
    const relative = path.relative(state.dir, c.dataDir);
    if (relative.startsWith("..") || path.isAbsolute(relative)) await fs.rm(c.dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
  await fs.rm(state.dir, { recursive: true, force: true });
}

/** One table of every figure the reliability suites recorded (test/helpers/profile.ts). */
async function printFigures(file: string): Promise<void> {
  const text = await fs.readFile(file, "utf8").catch(() => "");
  const rows = text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { suite: string; figure: string; value: unknown; target: string; profile: string });
  if (!rows.length) return;
  const cells = [["suite", "figure", "value", "target"], ...rows.map((r) => [r.suite, r.figure, String(r.value), r.target])];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c: string[]) => "| " + c.map((x, i) => x.padEnd(widths[i])).join(" | ") + " |";
  const out = [line(cells[0]), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...cells.slice(1).map(line)];
  process.stdout.write(`\n[pgrotate tests] reliability figures (${rows[0].profile} profile)\n${out.join("\n")}\n`);
}
