/**
 * Helpers for running embedded PostgreSQL as root: PostgreSQL refuses to run as root, so the server runs
 * as the system user "postgres", which must be able to reach the binaries and the data directory.
 * When a checkout lives under a mode-700 folder (e.g. /root/x) they are moved somewhere reachable.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Every failure of the embedded cluster manager; the message says what to do. */
export class ClusterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ClusterError";
  }
}

/** The account the server processes run as (only when this process runs as root). */
export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

export const RELOCATION_ROOT = "/var/lib/pgrotate/clusters";
const CACHE_MARKER = ".pgrotate-complete";

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  let line: string | undefined;
  try {
    line = (await exec("getent", ["passwd", name])).stdout.trim();
  } catch (e) {
    if (errno(e) !== "ENOENT") return undefined; // getent exit code 2: no such user
    const passwd = await fs.readFile("/etc/passwd", "utf8").catch(() => "");
    line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
  }
  const f = line?.split(":") ?? [];
  const uid = Number(f[2]);
  const gid = Number(f[3]);
  return f.length >= 4 && Number.isInteger(uid) && Number.isInteger(gid) ? { name, uid, gid } : undefined;
}

/** The "postgres" system user, created (groupadd/useradd --system, or busybox addgroup/adduser) if missing. */
export async function ensurePostgresUser(): Promise<RunAs> {
  let user = await lookupUser("postgres");
  if (!user) {
    const attempts: [string, string[]][][] = [
      [
        ["groupadd", ["--system", "postgres"]],
        ["useradd", ["--system", "--gid", "postgres", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "postgres"]],
      ],
      [
        ["addgroup", ["-S", "postgres"]],
        ["adduser", ["-S", "-D", "-H", "-G", "postgres", "postgres"]],
      ],
    ];
    const failures: string[] = [];
    for (const steps of attempts) {
      for (const [cmd, args] of steps) {
        // A failing groupadd (group already exists) is fine as long as the user exists at the end.
        await exec(cmd, args).catch((e: unknown) => failures.push(`${cmd}: ${(e as Error).message.trim()}`));
      }
      user = await lookupUser("postgres");
      if (user) break;
    }
    if (!user) {
      throw new ClusterError(
        "PostgreSQL refuses to run as root, and the system user \"postgres\" is missing and could not be created " +
          `(${failures.join("; ")}). Create it (useradd --system postgres) or run as a non-root user.`,
      );
    }
  }
  if (user.uid === 0) throw new ClusterError('The user "postgres" has uid 0; PostgreSQL refuses to run as root. Give it its own uid.');
  return user;
}

/** `p` with symlinks resolved as far as the path exists, the missing rest appended. */
async function realpathExisting(p: string): Promise<string> {
  const rest: string[] = [];
  let cur = path.resolve(p);
  for (;;) {
    try {
      return path.join(await fs.realpath(cur), ...rest);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return path.resolve(p);
      rest.unshift(path.basename(cur));
      cur = parent;
    }
  }
}

/**
 * The first directory among `dir` and its ancestors that `user` cannot enter (search bit for owner, group
 * or other; spawn drops supplementary groups, so only the primary gid counts), or undefined.
 * Components that do not exist yet are skipped: they will be created by this (root) process.
 */
export async function firstBlockedDir(user: RunAs, dir: string): Promise<string | undefined> {
  const real = await realpathExisting(dir);
  const chain: string[] = [];
  for (let d = real; ; d = path.dirname(d)) {
    chain.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of chain) {
    const st = await fs.stat(d).catch(() => undefined);
    if (!st) return undefined;
    if (!st.isDirectory() || !(st.mode & modeBit(st, user, 0o1))) return d;
  }
  return undefined;
}

function modeBit(st: { uid: number; gid: number }, user: RunAs, bit: number): number {
  return st.uid === user.uid ? bit << 6 : st.gid === user.gid ? bit << 3 : bit;
}

async function nativeBlocked(user: RunAs, nativeDir: string): Promise<string | undefined> {
  for (const sub of ["bin", "lib", "share"]) {
    const blocked = await firstBlockedDir(user, path.join(nativeDir, sub));
    if (blocked) return blocked;
  }
  for (const exe of ["initdb", "postgres"]) {
    const file = path.join(nativeDir, "bin", exe);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st || !(st.mode & modeBit(st, user, 0o1)) || !(st.mode & modeBit(st, user, 0o4))) return file;
  }
  return undefined;
}

/** True when `cache` is a finished copy; throws when it exists but is not trustworthy (could hold foreign binaries). */
async function completeCache(cache: string): Promise<boolean> {
  const st = await fs.lstat(cache).catch(() => undefined);
  if (!st) return false;
  if (!st.isDirectory() || st.uid !== process.getuid?.() || st.mode & 0o022) {
    throw new ClusterError(`Refusing to run PostgreSQL binaries from ${cache}: it is not a directory owned by this user and writable only by it. Remove it and retry.`);
  }
  const marker = await fs.stat(path.join(cache, CACHE_MARKER)).catch(() => undefined);
  const postgres = await fs.stat(path.join(cache, "bin", "postgres")).catch(() => undefined);
  return Boolean(marker && postgres);
}

async function chmodTree(dir: string): Promise<void> {
  await fs.chmod(dir, 0o755);
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chmodTree(p);
    else if (entry.isFile()) await fs.chmod(p, (await fs.stat(p)).mode & 0o111 ? 0o755 : 0o644);
  }
}

/**
 * `nativeDir` when `user` can use the binaries there; otherwise a copy in
 * `<cacheRoot>/pgrotate-pg-<major>-<version>` (made once: copied to a temporary name, then renamed).
 */
export async function reachableNativeDir(nativeDir: string, major: number, version: string, user: RunAs, cacheRoot = os.tmpdir()): Promise<string> {
  if (!(await nativeBlocked(user, nativeDir))) return nativeDir;
  const cache = path.join(cacheRoot, `pgrotate-pg-${major}-${version}`);
  if (!(await completeCache(cache))) {
    const tmp = `${cache}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      await fs.cp(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
      await chmodTree(tmp);
      await fs.writeFile(path.join(tmp, CACHE_MARKER), `${version}\n`, { mode: 0o644 });
      await fs.rename(tmp, cache).catch(async (e: unknown) => {
        if (await completeCache(cache)) return; // another process finished the same copy first
        await fs.rm(cache, { recursive: true, force: true });
        await fs.rename(tmp, cache).catch((e2: unknown) => {
          throw new ClusterError(`Could not install the PostgreSQL binaries into ${cache}: ${(e2 as Error).message}`, { cause: e });
        });
      });
    } catch (e) {
      if (e instanceof ClusterError) throw e;
      throw new ClusterError(`Could not copy the PostgreSQL binaries from ${nativeDir} to ${cache} (${(e as Error).message}). Check free space in ${cacheRoot} or set TMPDIR.`, { cause: e });
    } finally {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  const blocked = await nativeBlocked(user, cache);
  if (blocked) {
    throw new ClusterError(`The user "postgres" cannot reach ${blocked}, neither the installed PostgreSQL binaries. Set TMPDIR to a directory every user can enter (e.g. /tmp).`);
  }
  return cache;
}

/**
 * The data directory to use for `requested`: a previously recorded `<requested>.location`, else `requested`
 * when `user` can reach it, else `/var/lib/pgrotate/clusters/<sha256(requested), 16 hex>` (recorded in
 * `<requested>.location` so the next start finds it).
 */
export async function resolveDataDir(requested: string, user: RunAs | undefined, log: (line: string) => void): Promise<string> {
  const req = path.resolve(requested);
  const locationFile = `${req}.location`;
  const recorded = await fs.readFile(locationFile, "utf8").then((s) => s.trim(), () => "");
  if (recorded) {
    log(`using data directory ${recorded} (recorded in ${locationFile})`);
    return recorded;
  }
  await fs.mkdir(path.dirname(req), { recursive: true });
  if (!user) return req;
  const blocked = await firstBlockedDir(user, path.dirname(req));
  if (!blocked) return req;
  const dir = path.join(RELOCATION_ROOT, createHash("sha256").update(req).digest("hex").slice(0, 16));
  await fs.mkdir(RELOCATION_ROOT, { recursive: true, mode: 0o755 });
  await fs.chmod(path.dirname(RELOCATION_ROOT), 0o755);
  await fs.chmod(RELOCATION_ROOT, 0o755);
  const blocked2 = await firstBlockedDir(user, RELOCATION_ROOT);
  if (blocked2) {
    throw new ClusterError(`The user "postgres" can reach neither ${blocked} (for ${req}) nor ${blocked2} (for ${RELOCATION_ROOT}). Choose a data directory under a folder with mode 755.`);
  }
  // No record, yet the directory exists: it belongs to an earlier data directory at this path that was removed
  // (e.g. `rm -rf .pgrotate`). Never reuse it with the new one's password, never delete it: move it aside.
  if (await fs.stat(dir).then(() => true, () => false)) {
    const aside = `${dir}.orphaned-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    await fs.rename(dir, aside);
    log(`warning: ${dir} was left by an earlier ${req} that no longer exists; moved it to ${aside}`);
  }
  await fs.writeFile(locationFile, `${dir}\n`, { mode: 0o644 });
  log(`warning: the user "postgres" cannot enter ${blocked}, so the data directory for ${req} is ${dir} (recorded in ${locationFile})`);
  return dir;
}

async function chownTree(p: string, user: RunAs): Promise<void> {
  await fs.lchown(p, user.uid, user.gid);
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return;
  for (const name of await fs.readdir(p)) await chownTree(path.join(p, name), user);
}

/** Creates `dir` when missing, mode 0700, owned by `user` when given (recursively when it was not). */
export async function prepareOwnedDir(dir: string, user: RunAs | undefined): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (user) {
    const st = await fs.stat(dir);
    if (st.uid !== user.uid || st.gid !== user.gid) await chownTree(dir, user);
  }
  await fs.chmod(dir, 0o700);
}
