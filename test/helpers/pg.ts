/** Access to the PostgreSQL clusters started by test/global-setup.ts, and small helpers around them. */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Client } from "pg";
import { isLoginRefused, sqlState } from "../../runner/sqlstate";

export interface TestCluster {
  major: number;
  host: string;
  port: number;
  user: string;
  password: string;
  logFile: string;
  url(db?: string): string;
}

let cached: TestCluster[] | undefined;

/** The clusters of this jest run, highest major (17) first. */
export function testClusters(): TestCluster[] {
  if (cached) return cached;
  const file = process.env.PGROTATE_TEST_CLUSTERS;
  if (!file) throw new Error("PGROTATE_TEST_CLUSTERS is not set: run the tests through jest (jest.config.js globalSetup starts the clusters).");
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { clusters: Omit<TestCluster, "url">[] };
  cached = parsed.clusters
    .map((c) => ({
      major: c.major, host: c.host, port: c.port, user: c.user, password: c.password, logFile: c.logFile,
      url: (db = "postgres") => `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${encodeURIComponent(db)}`,
    }))
    .sort((a, b) => b.major - a.major);
  return cached;
}

/** The cluster of `major` (default 17). */
export function cluster(major = 17): TestCluster {
  const found = testClusters().find((c) => c.major === major);
  if (!found) throw new Error(`No PostgreSQL ${major} test cluster (have ${testClusters().map((c) => c.major).join(", ")}).`);
  return found;
}

/** A lowercase identifier `<prefix>_<random>` (at most 63 bytes), unique per call. */
export function uniqueName(prefix: string): string {
  let base = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "") || "t";
  if (!/^[a-z_]/.test(base)) base = `t_${base}`;
  return `${base.slice(0, 50)}_${randomBytes(5).toString("hex")}`;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Connects to `url`, runs `fn`, always ends the connection. */
export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  client.on("error", () => undefined); // a backend terminated by a test must not crash the worker
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh database `<prefix>_<random>`; drop() terminates its backends and drops it. */
export async function createDatabase(c: TestCluster, prefix: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix);
  await withClient(c.url("postgres"), (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`));
  return {
    name,
    url: c.url(name),
    drop: () =>
      withClient(c.url("postgres"), async (client) => {
        await client.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [name]);
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      }),
  };
}

/** True when `user`/`password` can log in to `database` and run SELECT 1; false on an authentication failure. */
export async function canLogin(c: Pick<TestCluster, "host" | "port">, database: string, user: string, password: string): Promise<boolean> {
  const client = new Client({ host: c.host, port: c.port, database, user, password, ssl: false, connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (e) {
    if (isLoginRefused(sqlState(e))) return false;
    throw e;
  } finally {
    await client.end().catch(() => undefined);
  }
}
