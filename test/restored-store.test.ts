/**
 * Drift after a restore nobody told pgrotate about: the store's content put into another database (what
 * pg_dump/pg_restore does; here CREATE DATABASE … TEMPLATE, the same copy) or the embedded store's files put
 * back from a snapshot. The runner started on it notices — another database than the content was written in, or
 * a rotation history that counted less than this runner saw — and checks every rotation at once: the drift is
 * repaired and the mapped secrets log in again. A runner meeting a store for the first time checks nothing.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { canLogin, cluster, createDatabase, withClient } from "./helpers/pg";
import { startRunnerProcess, stopRunnerProcess, type RunnerProcess } from "./helpers/process";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("A store restored behind pgrotate's back is checked for drift at the runner's start", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-restored-"));
  const token = crypto.randomBytes(24).toString("hex");
  let target: Target;
  let running: RunnerProcess | undefined;
  const relocated: string[] = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "restored" });
  });
  afterAll(async () => {
    if (running) await stopRunnerProcess(running);
    await target?.drop();
    fs.rmSync(work, { recursive: true, force: true });
    for (const dir of relocated) fs.rmSync(dir, { recursive: true, force: true });
  });

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(running!.url + p, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: await res.json() };
  };
  const start = async (env: Record<string, string>) => {
    running = await startRunnerProcess({ PGROTATE_PORT: "0", PGROTATE_LOG_LEVEL: "warn", PGROTATE_ADMIN_TOKEN: token, ...env });
  };
  const stop = async () => {
    expect(await stopRunnerProcess(running!)).toBe(0);
    running = undefined;
  };
  const published = async (folder: string) => {
    const read = async (key: string) => (await api("GET", `/api/v3/secrets/raw/${key}?workspaceId=my-project&environment=dev&secretPath=${folder}`)).body.secret.secretValue as string;
    return { username: await read("POSTGRES_DB_USERNAME"), password: await read("POSTGRES_DB_PASSWORD") };
  };
  const logsIn = (c: { username: string; password: string }) => canLogin(target.cluster, target.database, c.username, c.password);
  const driftEntries = async (id: string) => ((await api("GET", `${ROTATIONS}/${id}/history`)).body.history as Array<{ trigger: string; result: string }>).filter((h) => h.trigger === "drift");
  const rotateTwice = async (id: string) => {
    for (let i = 0; i < 2; i++) expect((await api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
  };
  /** Waits for the scheduler's drift pass to record its repair. */
  const repaired = async (id: string) => {
    for (let i = 0; i < 150; i++) {
      const entries = await driftEntries(id);
      if (entries.length) return entries;
      await sleep(100);
    }
    return [];
  };

  test("When the store's content was copied into another database before two rotations and a runner starts on the copy, then it finds the drift at once and repairs it: the mapped secrets log in", async () => {
    const original = await createDatabase(cluster(), "restored_from");
    const copyName = `${original.name}_copy`;
    const key = crypto.randomBytes(32).toString("base64");
    const env = (url: string) => ({ PGROTATE_DATABASE_URL: url, PGROTATE_ENCRYPTION_KEY: key, PGROTATE_DATA_DIR: path.join(work, "moved-runner") });
    try {
      await start(env(original.url));
      const conn = (await api("POST", "/api/v1/app-connections/postgres", target.connectionBody("moved-db"))).body.appConnection.id;
      const id = (await api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { name: "moved", secretPath: "/moved" }))).body.secretRotation.id as string;
      expect(await driftEntries(id)).toEqual([]); // a runner meeting a store for the first time checks nothing
      await stop();

      // The "dump", then two rotations on the original.
      await withClient(cluster().url("postgres"), (c) => c.query(`CREATE DATABASE "${copyName}" TEMPLATE "${original.name}"`));
      await start(env(original.url));
      const atCopy = await published("/moved");
      await rotateTwice(id);
      expect(await logsIn(atCopy)).toBe(false);
      await stop();

      // The "restore" into another database: the runner started on it repairs the drift by itself.
      await start(env(cluster().url(copyName)));
      const entries = await repaired(id);
      expect(entries[0]).toMatchObject({ trigger: "drift", result: "success" });
      const now = await published("/moved");
      expect(now).toEqual(atCopy);
      expect(await logsIn(now)).toBe(true);
      expect((await api("GET", `${ROTATIONS}/${id}`)).body.secretRotation.rotationStatus).toBe("success");
      await stop();
    } finally {
      await withClient(cluster().url("postgres"), async (c) => {
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [copyName]);
        await c.query(`DROP DATABASE IF EXISTS "${copyName}" WITH (FORCE)`);
      });
      await original.drop();
    }
  }, 180_000);

  test("When the embedded store's files are put back from a snapshot taken before two rotations, then the runner sees its history went back and repairs the drift: the mapped secrets log in", async () => {
    const dataDir = path.join(work, "embedded");
    const env = { PGROTATE_DATA_DIR: dataDir };
    await start(env);
    const conn = (await api("POST", "/api/v1/app-connections/postgres", target.connectionBody("snapshot-db"))).body.appConnection.id;
    const id = (await api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { name: "snapshot", secretPath: "/snapshot" }))).body.secretRotation.id as string;
    const atSnapshot = await published("/snapshot");
    await stop();
    // As root the cluster may live elsewhere (a mode-700 checkout): the data dir records where.
    const located = path.join(dataDir, "pg.location");
    const pg = fs.existsSync(located) ? fs.readFileSync(located, "utf8").trim() : path.join(dataDir, "pg");
    if (pg !== path.join(dataDir, "pg")) relocated.push(pg);
    const snapshot = path.join(work, "snapshot-pg");
    execFileSync("cp", ["-a", pg, snapshot]); // owner and modes kept, as a volume snapshot keeps them

    await start(env);
    await rotateTwice(id);
    expect(await logsIn(atSnapshot)).toBe(false);
    await stop();
    fs.rmSync(pg, { recursive: true, force: true });
    execFileSync("cp", ["-a", snapshot, pg]);

    await start(env);
    const entries = await repaired(id);
    expect(entries[0]).toMatchObject({ trigger: "drift", result: "success" });
    const now = await published("/snapshot");
    expect(now).toEqual(atSnapshot);
    expect(await logsIn(now)).toBe(true);
    await stop();
  }, 180_000);
});
