/** Starts real runners (in-process) on a store database of the test cluster, and talks to their API. */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Config } from "../../runner/config";
import type { FaultHooks } from "../../runner/rotation/faults";
import { startRunner, type Runner, type RunnerOptions } from "../../runner/runtime";
import { apiCall, type ApiResponse } from "./http";
import { cluster as defaultCluster, createDatabase, type TestCluster } from "./pg";

export type { ApiResponse };

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

/** Reads and deletes of one rotation through the API; `runner` is called at each call (a suite sets it in beforeAll). */
export function rotationCalls(runner: () => TestRunner) {
  return {
    get: async (id: string) => (await runner().api("GET", `${ROTATIONS}/${id}`)).body.secretRotation,
    history: async (id: string) => (await runner().api("GET", `${ROTATIONS}/${id}/history`)).body.history as Array<Record<string, any>>,
    remove: (id: string) => runner().api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`),
  };
}

export interface TestRunner {
  runner: Runner;
  /** Every log line the runner wrote (JSON text). */
  logs: string[];
  storeUrl: string;
  dataDir: string;
  /** The configuration the runner was started with (start another one on the same store with changes). */
  config: Config;
  /** The key the runner was started with (config.encryptionKeys may change before a restart: a new keyring). */
  encryptionKey: Buffer;
  api<T = any>(method: string, urlPath: string, body?: unknown, opts?: { token?: string | null; rawBody?: string; contentType?: string; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  /** Stops this runner and starts a new one on the same store, data dir and key (and port, with keepPortOnRestart). */
  restart(opts?: Pick<TestRunnerOptions, "faults" | "clock" | "random" | "startScheduler" | "afterRekeyBatch">): Promise<void>;
  stop(): Promise<void>;
}

export interface TestRunnerOptions {
  cluster?: TestCluster;
  faults?: FaultHooks;
  clock?: () => Date;
  random?: () => number;
  /** false: the scheduler does not tick by itself; call t.runner.scheduler.tick(). */
  startScheduler?: boolean;
  logLevel?: Config["logLevel"];
  concurrency?: number;
  leaseSeconds?: number;
  /** The safety-net tick (default 1 s). */
  tickSeconds?: number;
  /** Start on the store of another test runner (several runners sharing one store). */
  storeOf?: TestRunner;
  /** Reach the store through this address instead (a TCP proxy in front of the cluster). */
  storeVia?: { host: string; port: number };
  /** PGROTATE_CACHE_MAX_AGE_SECONDS. */
  cacheMaxAgeSeconds?: number;
  /** How often the store listener is probed (RunnerOptions.listenerProbeMs). */
  listenerProbeMs?: number;
  /** Serve HTTPS (PGROTATE_TLS_CERT_FILE / _KEY_FILE), the files looked at every `tlsReloadMs`. */
  tls?: { certFile: string; keyFile: string };
  tlsReloadMs?: number;
  /** The fetch t.api() uses (HTTPS with a private CA). */
  fetch?: typeof fetch;
  webhook?: { url: string; secret: string };
  authFailuresPerMinute?: number;
  /** PGROTATE_PUBLIC_URL: where users open the console behind a TLS-terminating proxy. */
  publicUrl?: string;
  /** Change-feed timing and limits (RunnerOptions.feed). */
  feed?: RunnerOptions["feed"];
  /** Change-feed stream caps through the configuration object (Config.feed, what PGROTATE_FEED_* set). */
  feedConfig?: Config["feed"];
  /** restart() listens on the port the runner had (clients holding its URL reconnect to it). */
  keepPortOnRestart?: boolean;
  /** Called after each committed batch of a rekey (RunnerOptions.afterRekeyBatch). */
  afterRekeyBatch?: RunnerOptions["afterRekeyBatch"];
  /** PGROTATE_CONSUMER_TIMEOUT_SECONDS. */
  consumerTimeoutSeconds?: number;
  /** Live consumers one folder may have (RunnerOptions.maxConsumersPerFolder). */
  maxConsumersPerFolder?: number;
}

/** The same connection string, to another host and port. */
function via(url: string, to: { host: string; port: number }): string {
  const u = new URL(url);
  u.hostname = to.host;
  u.port = String(to.port);
  return u.toString();
}

export async function startTestRunner(opts: TestRunnerOptions = {}): Promise<TestRunner> {
  const c = opts.cluster ?? defaultCluster();
  const storeDb = opts.storeOf
    ? { url: opts.storeOf.storeUrl, drop: () => Promise.resolve() }
    : await createDatabase(c, "store");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-runner-"));
  const encryptionKey = opts.storeOf?.encryptionKey ?? crypto.randomBytes(32);
  const logs: string[] = [];
  const config: Config = {
    host: "127.0.0.1",
    port: 0,
    dataDir,
    databaseUrl: opts.storeVia ? via(storeDb.url, opts.storeVia) : storeDb.url,
    encryptionKeys: [encryptionKey],
    adminToken: opts.storeOf?.runner.adminToken ?? "test-admin-token-" + crypto.randomBytes(12).toString("hex"),
    tickSeconds: opts.tickSeconds ?? 1,
    concurrency: opts.concurrency ?? 8,
    leaseSeconds: opts.leaseSeconds ?? 120,
    authFailuresPerMinute: opts.authFailuresPerMinute ?? 30,
    webhook: opts.webhook,
    logLevel: opts.logLevel ?? "debug",
    publicUrl: opts.publicUrl,
    feed: opts.feedConfig,
    cacheMaxAgeSeconds: opts.cacheMaxAgeSeconds ?? 30,
    tls: opts.tls,
    consumerTimeoutSeconds: opts.consumerTimeoutSeconds,
  };
  const destination = { write: (line: string) => void logs.push(line) };
  const start = (o: Pick<TestRunnerOptions, "faults" | "clock" | "random" | "startScheduler" | "afterRekeyBatch">) =>
    startRunner(config, {
      logDestination: destination, faults: o.faults, clock: o.clock, random: o.random, startScheduler: o.startScheduler, feed: opts.feed, listenerProbeMs: opts.listenerProbeMs, tlsReloadMs: opts.tlsReloadMs,
      afterRekeyBatch: o.afterRekeyBatch, maxConsumersPerFolder: opts.maxConsumersPerFolder,
    });

  const t: TestRunner = {
    runner: await start(opts),
    logs,
    storeUrl: storeDb.url,
    dataDir,
    config,
    encryptionKey,
    api(method, urlPath, body, o = {}) {
      return apiCall(t.runner.url, method, urlPath, body, { fetch: opts.fetch, ...o, token: o.token === undefined ? t.runner.adminToken : o.token });
    },
    async restart(o = { clock: opts.clock, random: opts.random, startScheduler: opts.startScheduler }) {
      await t.runner.stop();
      if (opts.keepPortOnRestart) config.port = t.runner.port;
      t.runner = await start(o);
    },
    async stop() {
      await t.runner.stop();
      await storeDb.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
