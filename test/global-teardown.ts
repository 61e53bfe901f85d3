/** jest globalTeardown: stops the clusters of test/global-setup.ts and removes their directory. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { TestClusterState } from "./global-setup";

export default async function globalTeardown(): Promise<void> {
  const state: TestClusterState | undefined = globalThis.__PGROTATE_TEST_CLUSTERS__;
  if (!state) return;
  globalThis.__PGROTATE_TEST_CLUSTERS__ = undefined;
  await Promise.allSettled(state.clusters.map((c) => c.stop()));
  for (const c of state.clusters) {
    // A data directory relocated out of the temp dir (see runner/embedded/permissions.ts) goes too.
    const relative = path.relative(state.dir, c.dataDir);
    if (relative.startsWith("..") || path.isAbsolute(relative)) await fs.rm(c.dataDir, { recursive: true, force: true }).catch(() => undefined);
  }
  await fs.rm(state.dir, { recursive: true, force: true });
}
