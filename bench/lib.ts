/**
 * Shared pieces of the benchmarks: embedded clusters in a temp folder, a target with many user pairs,
 * runners (in-process or as a child process), a tiny API client, percentiles and the result table.
 */
import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Client, Pool } from "pg";
import { aad, Sealer } from "../runner/crypto/seal";
import { prepareStore } from "../runner/store/open";
import { loadConfig } from "../runner/config";
import { startCluster, type RunningCluster } from "../runner/embedded/cluster";
import { scramSha256Verifier } from "../runner/postgres/scram";
import { startRunner, type Runner } from "../runner/runtime";

export const REPO = path.resolve(__dirname, "../..");
export const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
export const PROJECT = "bench";

// ---- results ----------------------------------------------------------------------------------------

export interface Row {
  bench: string;
  figure: string;
  value: string;
  floor: string;
  ratio: string;
  target: string;
  pass: "pass" | "FAIL" | "info" | "n/a";
}
export const rows: Row[] = [];
export const notes: string[] = [];

export function record(r: Row): void {
  rows.push(r);
  log(`  ${r.figure}: ${r.value}${r.floor ? ` (floor ${r.floor}, ratio ${r.ratio})` : ""} target ${r.target || "-"} → ${r.pass}`);
}
export const ms = (n: number, digits = 1) => `${n.toFixed(digits)} ms`;
export const passIf = (ok: boolean): "pass" | "FAIL" => (ok ? "pass" : "FAIL");

export function table(): string {
  const head = ["bench", "figure", "value", "floor", "ratio", "target", "pass/fail"];
  const body = rows.map((r) => [r.bench, r.figure, r.value, r.floor, r.ratio, r.target, r.pass]);
  const lines = [head, head.map(() => "---"), ...body].map((cols) => `| ${cols.join(" | ")} |`);
  return lines.join("\n");
}

export const log = (s: string) => process.stdout.write(`${s}\n`);

// ---- statistics -------------------------------------------------------------------------------------

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}
export const sleep = (n: number) => new Promise<void>((r) => setTimeout(r, n));

// ---- environment ------------------------------------------------------------------------------------

export interface Env {
  tmp: string;
  store: RunningCluster;
  target: RunningCluster;
  /** The target database every rotation and floor loop uses. */
  targetDb: string;
  admin: { username: string; password: string };
  /** Every user created on the target starts with this password. */
  initialPassword: string;
  encryptionKey: Buffer;
  adminToken: string;
  children: Set<ChildProcess>;
  cleanups: Array<() => Promise<void>>;
}

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  c.on("error", () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Store and target clusters (PostgreSQL 17) in a fresh temp folder, a target database and its connection role. */
export async function startEnv(): Promise<Env> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-bench-"));
  fs.chmodSync(tmp, 0o755); // the postgres user (when run as root) must reach the data dirs
  const env: Env = {
    tmp,
    store: undefined as unknown as RunningCluster,
    target: undefined as unknown as RunningCluster,
    targetDb: "bench_target",
    admin: { username: "bench_admin", password: "admin-" + crypto.randomBytes(12).toString("hex") },
    initialPassword: "initial-" + crypto.randomBytes(12).toString("hex"),
    encryptionKey: crypto.randomBytes(32),
    adminToken: "bench-admin-token-" + crypto.randomBytes(16).toString("hex"),
    children: new Set(),
    cleanups: [],
  };
  const settings = { max_connections: "200", shared_buffers: "128MB", fsync: "on" };
  // BENCH_STORE_STATS (diagnostic): the store tracks statements, also those run by triggers (pg_stat_statements).
  const storeStats: Record<string, string> = process.env.BENCH_STORE_STATS ? { shared_preload_libraries: "pg_stat_statements", "pg_stat_statements.track": "all", track_functions: "all" } : {};
  env.store = await startCluster({ dataDir: path.join(tmp, "store"), superuserPassword: crypto.randomBytes(12).toString("hex"), settings: { ...settings, ...storeStats } });
  env.target = await startCluster({ dataDir: path.join(tmp, "target"), superuserPassword: crypto.randomBytes(12).toString("hex"), settings });
  await withClient(env.target.url(), async (c) => {
    await c.query(`CREATE DATABASE ${q(env.targetDb)}`);
    await c.query(`CREATE ROLE ${q(env.admin.username)} LOGIN CREATEROLE PASSWORD '${scramSha256Verifier(env.admin.password)}'`);
  });
  return env;
}

/** Stops every child process, runner and cluster, and removes the temp folder. Never throws. */
export async function stopEnv(env: Env | undefined): Promise<void> {
  agent.destroy();
  if (!env) return;
  for (const fn of env.cleanups.reverse()) await fn().catch((e) => log(`cleanup: ${(e as Error).message}`));
  for (const child of env.children) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  await env.target?.stop().catch(() => undefined);
  await env.store?.stop().catch(() => undefined);
  fs.rmSync(env.tmp, { recursive: true, force: true });
}

/** `count` login users `<prefix>_<i>` on the target, each with ADMIN OPTION granted to the connection role. */
export async function createUsers(env: Env, prefix: string, count: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
  // The verifier does not depend on the user name, so one computation serves every role.
  const verifier = scramSha256Verifier(env.initialPassword);
  await withClient(env.target.url(env.targetDb), async (c) => {
    for (let i = 0; i < names.length; i += 500) {
      const sql = names
        .slice(i, i + 500)
        .map((n) => `CREATE ROLE ${q(n)} LOGIN PASSWORD '${verifier}'; GRANT ${q(n)} TO ${q(env.admin.username)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`)
        .join("\n");
      await c.query(sql);
    }
  });
  return names;
}

export async function createStoreDb(env: Env, name: string): Promise<string> {
  await withClient(env.store.url(), (c) => c.query(`CREATE DATABASE ${q(name)}`));
  // What-if knob (diagnostic): BENCH_STORE_SET="synchronous_commit = off" runs every store commit that way.
  if (process.env.BENCH_STORE_SET) await withClient(env.store.url(), (c) => c.query(`ALTER DATABASE ${q(name)} SET ${process.env.BENCH_STORE_SET}`));
  return env.store.url(name);
}

/**
 * A store database made for a bench, migrated, holding one app connection to the bench's target (its password
 * sealed): what a fleet of bulk-inserted rotations then refers to. The caller ends the pool.
 */
export async function connectedStore(env: Env, dbName: string, connectionName: string): Promise<{ storeUrl: string; db: Pool; sealer: Sealer; connectionId: string }> {
  const storeUrl = await createStoreDb(env, dbName);
  const db = new Pool({ connectionString: storeUrl, max: 2 });
  const sealer = new Sealer(env.encryptionKey);
  await prepareStore(db, sealer);
  const connectionId = crypto.randomUUID();
  await db.query(
    `INSERT INTO connections (id, name, method, host, port, database, username, password_sealed)
     VALUES ($1, $2, 'username-and-password', '127.0.0.1', $3, $4, $5, $6)`,
    [connectionId, connectionName, env.target.port, env.targetDb, env.admin.username, sealer.seal(env.admin.password, aad.connectionPassword(connectionId))],
  );
  return { storeUrl, db, sealer, connectionId };
}

export function runnerEnv(env: Env, storeUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const dataDir = fs.mkdtempSync(path.join(env.tmp, "runner-"));
  return {
    PGROTATE_HOST: "127.0.0.1",
    PGROTATE_PORT: "0",
    PGROTATE_DATA_DIR: dataDir,
    PGROTATE_DATABASE_URL: storeUrl,
    PGROTATE_ENCRYPTION_KEY: env.encryptionKey.toString("base64"),
    PGROTATE_ADMIN_TOKEN: env.adminToken,
    PGROTATE_LOG_LEVEL: "info",
    ...extra,
  };
}

/** A runner in this process; its log lines are serialized as usual and then dropped. */
export async function inProcessRunner(env: Env, storeUrl: string, extra: Record<string, string> = {}): Promise<Runner> {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const runner = await startRunner(loadConfig(runnerEnv(env, storeUrl, extra)), { logDestination: sink });
  env.cleanups.push(() => runner.stop());
  return runner;
}

export interface ChildRunner {
  child: ChildProcess;
  url: string;
  startedAt: number;
  stop(): Promise<void>;
}

/** Spawns a node script that prints `listening on http://…`; resolves with the URL. */
export function spawnListening(env: Env, script: string, childEnv: Record<string, string>, args: string[] = [], nodeArgs: string[] = []): Promise<ChildRunner> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { env: { ...process.env, ...childEnv }, stdio: ["ignore", "pipe", "pipe"] });
  env.children.add(child);
  let out = "";
  const onData = (d: Buffer) => {
    if (out.length < 200_000) out += d.toString();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
    env.children.delete(child);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      void stop();
      reject(new Error(`${script} did not listen within 60 s:\n${out.slice(-2000)}`));
    }, 60_000);
    const poll = setInterval(() => {
      const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ child, url: m[1], startedAt, stop });
      }
    }, 5);
    child.once("exit", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${out.slice(-2000)}`));
    });
  });
}

export const CLI = path.join(REPO, "dist-bench/runner/cli.js");

// ---- API --------------------------------------------------------------------------------------------

/**
 * The benchmarks' HTTP client: node:http on kept-alive connections, the HTTP equivalent of the floor loop's
 * open admin connection. (fetch, undici's, costs 0.3–0.5 ms and 0.4 ms of CPU per request more on this
 * machine: the client's overhead, not the runner's.)
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function api<T = any>(base: string, token: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: T }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(base + urlPath, {
      method,
      agent,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

export async function mustApi<T = any>(base: string, token: string, method: string, urlPath: string, body?: unknown): Promise<T> {
  const res = await api<T>(base, token, method, urlPath, body);
  if (res.status >= 300) throw new Error(`${method} ${urlPath} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body;
}

export function connectionBody(env: Env, name: string) {
  return {
    name,
    method: "username-and-password",
    credentials: {
      host: "127.0.0.1", port: env.target.port, database: env.targetDb,
      username: env.admin.username, password: env.admin.password, sslEnabled: false,
    },
  };
}

export function rotationBody(connectionId: string, name: string, users: [string, string], keys: [string, string]) {
  return {
    name,
    projectId: PROJECT,
    environment: "dev",
    secretPath: "/",
    connectionId,
    isAutoRotationEnabled: true,
    rotationInterval: 30,
    rotateAtUtc: { hours: 0, minutes: 0 },
    parameters: { username1: users[0], username2: users[1] },
    secretsMapping: { username: keys[0], password: keys[1] },
  };
}

/** Runs `fn` over `items` with `concurrency` workers. */
export async function pool<T>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

// ---- CPU accounting ---------------------------------------------------------------------------------

const TICK_MS = 10; // USER_HZ is 100 on Linux

function statTicks(pid: number): { self: number; children: number; ppid: number } | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
    // fields after the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
    return { ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

/** CPU ms (user + system) used so far by one process. */
export function processCpuMs(pid: number): number {
  const s = statTicks(pid);
  return s ? s.self * TICK_MS : NaN;
}

/** CPU ms used so far by a cluster: the postmaster, its reaped children (exited backends) and live ones. */
export function clusterCpuMs(c: RunningCluster): number {
  const pid = Number(fs.readFileSync(path.join(c.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const pm = statTicks(pid);
  if (!pm) return NaN;
  let ticks = pm.self + pm.children;
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const s = statTicks(Number(d));
    if (s && s.ppid === pid) ticks += s.self;
  }
  return ticks * TICK_MS;
}

export interface CpuSnap { node: number; store: number; target: number }
export function cpuSnap(env: Env): CpuSnap {
  const u = process.cpuUsage();
  return { node: (u.user + u.system) / 1000, store: clusterCpuMs(env.store), target: clusterCpuMs(env.target) };
}
export function cpuPer(a: CpuSnap, b: CpuSnap, n: number): string {
  const f = (x: number) => ((x / n)).toFixed(1);
  return `node ${f(b.node - a.node)} + store ${f(b.store - a.store)} + target ${f(b.target - a.target)} = ${f(b.node - a.node + b.store - a.store + b.target - a.target)} ms`;
}
