/**
 * A PostgreSQL cluster of its own for suites that need server-level settings (log_connections, ssl),
 * which the run's shared clusters must not get. Its data directory and log live in a fresh temp folder
 * that stop() removes.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startCluster, type EmbeddedMajor, type RunningCluster } from "../../runner/embedded/cluster";
import { ensurePostgresUser, isRoot, type RunAs } from "../../runner/embedded/permissions";

export interface DedicatedCluster extends RunningCluster {
  /** The folder holding the data directory, the log and any file a test puts there for the server. */
  dir: string;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

/** The user the server runs as when the tests run as root (PostgreSQL refuses root), else undefined. */
export async function serverUser(): Promise<RunAs | undefined> {
  return isRoot() ? ensurePostgresUser() : undefined;
}

/** A fresh folder every user can enter (the server user must reach the data directory below it). */
export async function serverReachableDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `pgrotate-${prefix}-`));
  await fs.chmod(dir, 0o755);
  return dir;
}

export async function startDedicatedCluster(opts: { prefix: string; settings: Record<string, string>; major?: EmbeddedMajor; dir?: string }): Promise<DedicatedCluster> {
  const dir = opts.dir ?? (await serverReachableDir(opts.prefix));
  let running: RunningCluster;
  try {
    running = await startCluster({
      major: opts.major ?? 17,
      dataDir: path.join(dir, "data"),
      logFile: path.join(dir, "server.log"),
      superuserPassword: randomBytes(18).toString("base64url"),
      settings: { log_line_prefix: "%m [%p] %d %u ", ...opts.settings },
    });
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...running,
    dir,
    dispose: async () => {
      await running.stop();
      if (path.relative(dir, running.dataDir).startsWith("..")) await fs.rm(running.dataDir, { recursive: true, force: true });
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
