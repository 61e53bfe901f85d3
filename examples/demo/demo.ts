/**
 * `npm run demo`: a full rotation against an embedded target database, in well under a minute.
 * Starts an embedded PostgreSQL target with two login users and a least-privilege connection role,
 * starts a runner (embedded store), creates a connection and a rotation, rotates twice, and shows which
 * user is active and that each login works. Passwords are never printed.
 *
 * Without options everything lives in a temporary directory that is removed at the end. With `--keep`
 * (`npm run demo -- --keep`) the target and the runner keep running in a fixed directory (default
 * ./.pgrotate-demo) so the web console shows the demo's rotation; Ctrl-C (SIGINT), SIGTERM or SIGHUP
 * stops both and removes that directory. The directory holds a lock (demo.lock): a second `--keep` run on it
 * fails while the first still runs.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { RunnerClient } from "../../provider/client";
import { loadConfig } from "../../runner/config";
import { dataFiles } from "../../runner/datadir";
import { startCluster, stopStaleServer, type RunningCluster } from "../../runner/embedded/cluster";
import { startRunner, type Runner } from "../../runner/runtime";

const say = (s: string) => process.stdout.write(s + "\n");
const secret = () => crypto.randomBytes(18).toString("base64url");

const DEFAULT_DIR = "./.pgrotate-demo";
const DEFAULT_PORT = 8080;
const MARKER = ".pgrotate-demo";
const LOCK = "demo.lock";

const USAGE = `Usage: npm run demo [-- --keep [--dir <dir>] [--port <port>]]

  (no option)     a full rotation against an embedded target database, then everything is removed
  --keep          the same, then the target database and the runner (with its web console) keep running
                  until Ctrl-C, which stops both and removes the demo's directory
  --dir <dir>     with --keep: the demo's directory (default ${DEFAULT_DIR})
  --port <port>   with --keep: the runner's port (default ${DEFAULT_PORT}; 0 = any free port)
  -h, --help      this help`;

class UsageError extends Error {}
/** A failure to explain in one line (exit 1), without a stack. */
class DemoError extends Error {}
/** Ctrl-C (or SIGTERM/SIGHUP) while a --keep demo was still setting up. */
class Interrupted extends Error {}

interface DemoArgs {
  keep: boolean;
  dir: string;
  port: number;
}

function parseArgs(argv: string[]): DemoArgs | "help" {
  const args: DemoArgs = { keep: false, dir: DEFAULT_DIR, port: DEFAULT_PORT };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") continue; // `node demo.js -- --keep`: the separator npm users type is harmless here
    if (arg === "-h" || arg === "--help") return "help";
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined || next.startsWith("-")) throw new UsageError(`${name} needs a value`);
      return next;
    };
    if (name === "--keep" && inline === undefined) args.keep = true;
    else if (name === "--dir") {
      args.dir = value();
      if (!args.dir) throw new UsageError("--dir needs a value");
    } else if (name === "--port") {
      const v = value();
      if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new UsageError(`--port must be a number from 0 to 65535 (got ${JSON.stringify(v.slice(0, 40))})`);
      args.port = Number(v);
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg.slice(0, 80))}`);
    given.add(name);
  }
  for (const opt of ["--dir", "--port"]) if (given.has(opt) && !args.keep) throw new UsageError(`${opt} only applies with --keep`);
  return args;
}

async function main(args: DemoArgs): Promise<void> {
  const started = Date.now();
  let kept: KeptDir | undefined;
  let work: string;
  if (args.keep) {
    kept = await claimDir(path.resolve(args.dir));
    work = kept.dir;
  } else {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-demo-"));
  }
  fs.chmodSync(work, 0o755);
  let target: RunningCluster | undefined;
  let runner: Runner | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      if (kept) {
        // Both at once (Ctrl-C should be quick); the runner's warnings about its target going away are muted.
        const stopped = await Promise.allSettled([runner?.stop(), target?.stop()]);
        kept.remove();
        for (const s of stopped) if (s.status === "rejected") throw s.reason;
        return;
      }
      await runner?.stop();
      await target?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    })());

  // With --keep, Ctrl-C / SIGTERM / SIGHUP stop the runner and the target and remove the demo's directory.
  let ready = false;
  let interrupted = false;
  const checkpoint = () => {
    if (interrupted) throw new Interrupted();
  };
  if (kept) {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(sig, () => {
        if (interrupted) return;
        interrupted = true;
        if (!ready) return say(`\n${sig}: stopping after the current step ...`);
        say(`\n${sig}: stopping the runner and the target database ...`);
        stopAll().then(
          () => {
            say(`Stopped; removed ${shown(work)}.`);
            process.exit(0);
          },
          (err: unknown) => {
            process.stderr.write(`demo: could not stop cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(1);
          },
        );
      });
    }
  }

  try {
    if (kept && args.port !== 0) await portFree(args.port);
    say("1. Starting an embedded PostgreSQL 17 as the target database ...");
    target = await startCluster({ dataDir: path.join(work, "target"), superuserPassword: secret() });
    checkpoint();
    const admin = { user: "rotation_admin", password: secret() };
    const users = ["app_user_1", "app_user_2"];
    await sql(target.url("postgres"), [
      "CREATE DATABASE app",
      `CREATE ROLE ${admin.user} LOGIN CREATEROLE PASSWORD '${admin.password}'`,
      ...users.map((u) => `CREATE ROLE ${u} LOGIN PASSWORD '${secret()}'`),
      // Least privilege on PostgreSQL 16+: may change these users' passwords, gets none of their data rights.
      ...users.map((u) => `GRANT ${u} TO ${admin.user} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`),
    ]);
    say(`   target on 127.0.0.1:${target.port}, users ${users.join(" and ")}, connection role ${admin.user}`);

    say("2. Starting the pgrotate runner (embedded store) ...");
    const runnerDir = path.join(work, "runner");
    const config = loadConfig({ PGROTATE_DATA_DIR: runnerDir, PGROTATE_PORT: String(kept ? args.port : 0), PGROTATE_LOG_LEVEL: "warn" });
    // --keep: once stopping, the runner's warnings that its store is going away (a terminal's Ctrl-C reaches the
    // PostgreSQL servers too) are expected and left out; errors still show.
    const quietWhileStopping = { write: (line: string) => void ((!stopping || logLevel(line) >= 50) && process.stdout.write(line)) };
    runner = await startRunner(config, kept ? { logDestination: quietWhileStopping } : {});
    checkpoint();
    const api = new RunnerClient({ url: runner.url, token: runner.adminToken });
    say(`   runner at ${runner.url}`);

    say("3. Creating the app connection and the rotation ...");
    const conn = await api.createConnection({
      name: "demo-target",
      method: "username-and-password",
      credentials: { host: "127.0.0.1", port: target.port, database: "app", username: admin.user, password: admin.password },
    });
    const created = await api.createRotation({
      name: "demo-rotation",
      connectionId: conn.id,
      rotationInterval: 30,
      rotateAtUtc: { hours: 0, minutes: 0 },
      parameters: { username1: users[0], username2: users[1] },
      secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "POSTGRES_DB_PASSWORD" },
    });
    await report("after create", api, created.id, target.port);

    for (const n of [1, 2]) {
      checkpoint();
      const t0 = Date.now();
      // The second rotation comes within the 10-minute grace period of the first, so it must be forced.
      await api.rotate(created.id, { force: n === 2 });
      say(`4.${n} Rotation ${n} finished in ${Date.now() - t0} ms${n === 2 ? " (forced past the grace guard)" : ""}`);
      await report(`after rotation ${n}`, api, created.id, target.port);
    }
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    checkpoint();
    if (kept) {
      kept.record(runner.url);
      printKept(runner.url, dataFiles(runnerDir).adminToken, runnerDir, target.port, work);
      ready = true;
    }
  } catch (err) {
    if (kept) await stopAll();
    if (err instanceof Interrupted || interrupted) {
      say(`Stopped; removed ${shown(work)}.`);
      process.exit(130);
    }
    throw err;
  } finally {
    if (!kept) await stopAll();
  }
}

function printKept(url: string, tokenFile: string, runnerDir: string, targetPort: number, dir: string): void {
  const consoleUrl = `${url}/`;
  const opener = process.platform === "darwin" ? `open ${q(consoleUrl)} && pbcopy < ${q(shown(tokenFile))}` : process.platform === "win32" ? `start ${consoleUrl} & type ${shown(tokenFile)}` : `xdg-open ${q(consoleUrl)}; cat ${q(shown(tokenFile))}`;
  const paste = process.platform === "darwin" ? "the token is on the clipboard: paste it" : "paste the printed token";
  const cli = path.relative(process.cwd(), path.resolve(__dirname, "../../runner/cli.js"));
  say("");
  say("Kept running (--keep). The console shows demo-rotation and its two rotations:");
  say(`   Console:  ${consoleUrl}`);
  say(`   Token:    ${shown(tokenFile)} (the admin token: sign in on the console's Token tab with it)`);
  say(`   Sign in:  ${opener}   (then ${paste} into Token)`);
  say(`   CLI:      PGROTATE_DATA_DIR=${q(shown(runnerDir))} node ${q(cli)} rotations list --url ${url}`);
  say(`   Target:   PostgreSQL 17 on 127.0.0.1:${targetPort}, database app (rotation_admin, app_user_1, app_user_2)`);
  say(`   Stop:     Ctrl-C here (or kill -INT ${process.pid}) stops the runner and the target and removes ${shown(dir)}`);
}

/** A pino line's numeric level (30 info, 40 warn, 50 error); unreadable lines count as errors. */
function logLevel(line: string): number {
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    return typeof level === "number" ? level : 50;
  } catch {
    return 50;
  }
}

/** A path as typed from the current directory: ./relative when inside it, else absolute. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  if (!rel) return ".";
  return rel.startsWith("..") || path.isAbsolute(rel) ? p : `.${path.sep}${rel}`;
}

/** Quoted for a POSIX shell when it needs to be. */
function q(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---- the --keep directory ---------------------------------------------------------------------------

interface KeptDir {
  dir: string;
  /** Records the runner's URL in the lock (a second run names it). */
  record(url: string): void;
  /** Removes everything the demo put in the directory (and the directory, when the demo created it). */
  remove(): void;
}

interface LockInfo {
  pid: number;
  url?: string;
}

/**
 * Takes the --keep directory: refuses one another demo is running in (its lock's process is alive) and one
 * that is neither empty nor a demo's; a demo's directory left by a killed run is cleared (its servers stopped).
 */
async function claimDir(dir: string): Promise<KeptDir> {
  let created = !fs.existsSync(dir);
  if (!created && !fs.statSync(dir).isDirectory()) throw new DemoError(`${dir} is not a directory: pass another --dir`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const lockFile = path.join(dir, LOCK);
  const entries = fs.readdirSync(dir);
  if (entries.length > 0) {
    if (!entries.includes(MARKER)) throw new DemoError(`${dir} is not empty and is not a pgrotate demo directory: pass another --dir (or remove it)`);
    const running = readLock(lockFile);
    if (running && demoAlive(running.pid)) throw inUse(dir, running);
    say(`Clearing ${shown(dir)}, left by an earlier demo that did not stop cleanly ...`);
    const real = fs.realpathSync(dir);
    for (const cluster of [path.join(real, "target"), path.join(real, "runner", "pg")]) {
      if (fs.existsSync(cluster)) await stopStaleServer(cluster, () => undefined);
    }
    for (const e of entries) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
    created = true; // a demo made it: it goes when this one stops
  }
  fs.writeFileSync(path.join(dir, MARKER), "Made by `npm run demo -- --keep`; removed when it stops.\n");
  try {
    fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid } satisfies LockInfo) + "\n", { flag: "wx" });
  } catch (err) {
    // Another demo started on this directory at the same moment.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw inUse(dir, readLock(lockFile) ?? { pid: 0 });
    throw err;
  }
  const ownsLock = () => readLock(lockFile)?.pid === process.pid;
  return {
    dir,
    record: (url) => fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid, url } satisfies LockInfo) + "\n"),
    remove: () => {
      if (!ownsLock()) return;
      if (created) return fs.rmSync(dir, { recursive: true, force: true });
      for (const e of fs.readdirSync(dir)) if (e !== LOCK) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
      fs.rmSync(lockFile, { force: true });
    },
  };
}

function readLock(file: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockInfo>;
    return typeof info.pid === "number" ? { pid: info.pid, url: typeof info.url === "string" ? info.url : undefined } : undefined;
  } catch {
    return undefined;
  }
}

/** The process is alive and (where /proc tells) is a node running the demo, not a recycled pid. */
function demoAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("demo");
  } catch {
    return true;
  }
}

function inUse(dir: string, lock: LockInfo): DemoError {
  const where = lock.url ? `; its console is at ${lock.url}/` : "";
  return new DemoError(`a demo is already running in ${dir} (pid ${lock.pid}${where}). Stop it with Ctrl-C in its terminal${lock.pid ? ` (or kill -INT ${lock.pid})` : ""}, or pass another --dir and --port.`);
}

/** Fails at once, before anything starts, when the runner's port is taken. */
function portFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRINUSE" ? new DemoError(`port ${port} on 127.0.0.1 is in use (another runner or demo?): stop it, or pass --port <port> (0 = any free port)`) : e),
    );
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve()));
  });
}

// ---- the demo's checks ------------------------------------------------------------------------------

async function report(label: string, api: RunnerClient, id: string, port: number): Promise<void> {
  const creds = await api.generatedCredentials(id);
  const raw = await api.rawSecrets();
  const active = creds.generatedCredentials[creds.activeIndex];
  const mappedUser = raw.find((s) => s.secretKey === "POSTGRES_DB_USERNAME")?.secretValue;
  say(`   ${label}: active user = ${active.username} (activeIndex ${creds.activeIndex}); POSTGRES_DB_USERNAME = ${mappedUser}`);
  for (const c of creds.generatedCredentials) {
    say(`     login as ${c.username}: ${(await canLogin(port, c.username, c.password)) ? "works" : "FAILS"}`);
  }
}

async function canLogin(port: number, user: string, password: string): Promise<boolean> {
  const c = new Client({ host: "127.0.0.1", port, database: "app", user, password });
  try {
    await c.connect();
    await c.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function sql(url: string, statements: string[]): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

let parsed: DemoArgs | "help";
try {
  parsed = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`demo: ${(err as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (parsed === "help") {
  say(USAGE);
  process.exit(0);
}
main(parsed).catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
