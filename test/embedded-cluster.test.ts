/**
 * Behaviour of runner/embedded/cluster.ts against real PostgreSQL. One extra data directory of major 17
 * (in a temp dir) is started, restarted and stopped here; the PostgreSQL 15 check uses the global cluster.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { ClusterError, embeddedVersion, findNativeDir, startCluster, type RunningCluster } from "../runner/embedded/cluster";
import { ensurePostgresUser, reachableNativeDir, RELOCATION_ROOT } from "../runner/embedded/permissions";
import { canLogin, cluster, withClient } from "./helpers/pg";

const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? test : test.skip;
const password = `pw:/@${randomBytes(9).toString("base64url")}`;

let tmp: string;
let dataDir: string;
const running: RunningCluster[] = [];

async function start(dir = dataDir, extra: { onLog?: (l: string) => void; superuserPassword?: string } = {}): Promise<RunningCluster> {
  const c = await startCluster({ dataDir: dir, major: 17, superuserPassword: password, ...extra });
  running.push(c);
  return c;
}
const scalar = async (c: RunningCluster, sql: string): Promise<unknown> =>
  withClient(c.url(), async (client) => Object.values((await client.query(sql)).rows[0] ?? {})[0]);

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "pgrotate-cluster-test-"));
  await fs.chmod(tmp, 0o755);
  dataDir = path.join(tmp, "data");
});

afterAll(async () => {
  await Promise.allSettled(running.map((c) => c.stop()));
  // Data directories relocated to /var/lib/pgrotate/clusters (when os.tmpdir() is not reachable) go too.
  const relocated = running.map((c) => c.dataDir).filter((d) => d.startsWith(`${RELOCATION_ROOT}/`));
  for (const p of new Set([...relocated, tmp])) if (p) await fs.rm(p, { recursive: true, force: true });
});

describe("embedded PostgreSQL cluster", () => {
  test("When a cluster of major 17 starts on an empty directory, then SELECT version() reports PostgreSQL 17 on loopback with the superuser password", async () => {
    const c = await start();
    expect(c).toMatchObject({ major: 17, host: "127.0.0.1", user: "postgres", password, dataDir: await fs.realpath(dataDir) });
    expect(c.url("x y")).toBe(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${c.port}/x%20y`);
    expect(String(await scalar(c, "SELECT version()"))).toMatch(/^PostgreSQL 17\./);
    expect(await scalar(c, "SELECT current_setting('listen_addresses')")).toBe("127.0.0.1");
    expect(await scalar(c, "SELECT current_setting('unix_socket_directories')")).toBe("");
    expect(await fs.readFile(c.logFile, "utf8")).toContain("ready to accept connections");
    expect(await fs.readFile(c.logFile, "utf8")).not.toContain(password);
    expect(((await fs.stat(c.dataDir)).mode & 0o777).toString(8)).toBe("700");
  });

  test("When the global setup started PostgreSQL 15, then SELECT version() there reports 15 and the superuser can log in", async () => {
    const c15 = cluster(15);
    expect(await withClient(c15.url(), async (c) => (await c.query("SELECT version() AS v")).rows[0].v)).toMatch(/^PostgreSQL 15\./);
    expect(await canLogin(c15, "postgres", c15.user, c15.password)).toBe(true);
    expect(await canLogin(c15, "postgres", c15.user, "wrong")).toBe(false);
  });

  test("When the cluster is stopped and started again on the same data directory, then the data written before is still there", async () => {
    const first = running[running.length - 1];
    await withClient(first.url(), (c) => c.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')"));
    await first.stop();
    const second = await start();
    expect(await scalar(second, "SELECT v FROM kept")).toBe("still here");
  });

  test("When stop() is called twice, also concurrently, then every call resolves and the server no longer accepts connections", async () => {
    const c = running[running.length - 1];
    await Promise.all([c.stop(), c.stop()]);
    await expect(c.stop()).resolves.toBeUndefined();
    await expect(scalar(c, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
  });

  test("When startCluster runs again on a data directory whose server is still running, then the old server is stopped and the new one serves the same data", async () => {
    const old = await start();
    const logs: string[] = [];
    const fresh = await start(dataDir, { onLog: (l) => logs.push(l) });
    expect(logs.join("\n")).toMatch(/stopping PostgreSQL server \d+ still running on/);
    expect(await scalar(fresh, "SELECT v FROM kept")).toBe("still here");
    await expect(old.stop()).resolves.toBeUndefined();
    if (old.port !== fresh.port) await expect(scalar(old, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);
  });

  test("When the data directory holds a cluster of another major, then startCluster rejects with a ClusterError naming both majors", async () => {
    await running[running.length - 1].stop();
    const err = await startCluster({ dataDir, major: 15, superuserPassword: password }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as Error).message).toMatch(/PostgreSQL 17 cluster, but major 15 was requested/);
  });

  test("When the superuser password differs from the one the cluster was created with, then startCluster rejects and leaves no server running", async () => {
    const err = await startCluster({ dataDir, major: 17, superuserPassword: "not-the-password" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as Error).message).toMatch(/rejected the superuser password/);
    const c = await start(); // the data directory is free again
    expect(await scalar(c, "SELECT v FROM kept")).toBe("still here");
    await c.stop();
  });

  rootOnly("When the data directory sits under a mode-700 folder, then the cluster starts from a relocated directory and records where", async () => {
    const hidden = path.join(tmp, "private");
    await fs.mkdir(hidden, { mode: 0o700 });
    await fs.chmod(hidden, 0o700);
    const requested = path.join(hidden, "data");
    const logs: string[] = [];
    const c = await start(requested, { onLog: (l) => logs.push(l) });
    expect(c.dataDir.startsWith(`${RELOCATION_ROOT}/`)).toBe(true);
    expect((await fs.readFile(`${requested}.location`, "utf8")).trim()).toBe(c.dataDir);
    expect(logs.join("\n")).toMatch(/warning: the user "postgres" cannot enter/);
    expect(await scalar(c, "SELECT current_setting('data_directory')")).toBe(c.dataDir);
    await withClient(c.url(), (client) => client.query("CREATE TABLE relocated (v int)"));
    await c.stop();
    const again = await start(requested); // found again through <requested>.location
    expect(again.dataDir).toBe(c.dataDir);
    expect(await scalar(again, "SELECT count(*)::int FROM relocated")).toBe(0);
    await again.stop();

    // The user removes their data directory (rm -rf .pgrotate) and starts afresh with a new password: the old
    // relocated cluster is not reused with it (it would refuse the password) and is kept aside, not deleted.
    await fs.rm(`${requested}.location`);
    const logs2: string[] = [];
    const fresh = await start(requested, { superuserPassword: "another-password-1", onLog: (l) => logs2.push(l) });
    expect(fresh.dataDir).toBe(c.dataDir);
    expect(await scalar(fresh, "SELECT count(*)::int FROM pg_tables WHERE tablename = 'relocated'")).toBe(0);
    const aside = logs2.join("\n").match(/moved it to (\S+)/)?.[1];
    expect(aside).toBeDefined();
    expect((await fs.stat(path.join(aside!, "PG_VERSION"))).isFile()).toBe(true);
    await fresh.stop();
    await fs.rm(aside!, { recursive: true, force: true });
  });

  rootOnly("When the binaries sit under a folder the postgres user cannot enter, then they are copied once to a reachable cache with their symlinks", async () => {
    const user = await ensurePostgresUser();
    const hidden = path.join(tmp, "checkout");
    await fs.mkdir(hidden, { mode: 0o700 });
    await fs.chmod(hidden, 0o700);
    const native = path.join(hidden, "native");
    await fs.cp(findNativeDir(17), native, { recursive: true, verbatimSymlinks: true });
    const cacheRoot = path.join(tmp, "cache");
    await fs.mkdir(cacheRoot, { mode: 0o755 });

    const version = embeddedVersion(17);
    const cache = await reachableNativeDir(native, 17, version, user, cacheRoot);
    expect(cache).toBe(path.join(cacheRoot, `pgrotate-pg-17-${version}`));
    expect((await fs.lstat(path.join(cache, "lib", "libpq.so"))).isSymbolicLink()).toBe(true);
    const { stdout } = await promisify(execFile)(path.join(cache, "bin", "postgres"), ["--version"], { uid: user.uid, gid: user.gid, cwd: "/" });
    expect(stdout).toMatch(/PostgreSQL\) 17\./);
    const marker = await fs.stat(path.join(cache, ".pgrotate-complete"));
    expect(await reachableNativeDir(native, 17, version, user, cacheRoot)).toBe(cache);
    expect((await fs.stat(path.join(cache, ".pgrotate-complete"))).mtimeMs).toBe(marker.mtimeMs);
    // A reachable directory (this cache itself; the checkout may sit under a mode-700 folder) is used in place.
    expect(await reachableNativeDir(cache, 17, version, user, cacheRoot)).toBe(cache);
  });
});
