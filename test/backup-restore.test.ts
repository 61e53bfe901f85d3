/**
 * `pgrotate backup` and `pgrotate restore` on the embedded store, as an operator runs them: a backup while the
 * runner runs, the data directory wiped (the key and token kept apart, as the docs say), a restore, and the runner
 * started again serves the same credentials, accepts the same tokens and keeps rotating. A restore refuses a store
 * with content (without --force), another encryption key, a keyring that lacks a key the backup's values need, and a
 * damaged or truncated file — before writing anything.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { Client } from "pg";
import { keyIdOf } from "../runner/crypto/seal";
import { canLogin, cluster, createDatabase } from "./helpers/pg";
import { runCli } from "./helpers/cli";
import { startRunnerProcess, stopRunnerProcess, type RunnerProcess } from "./helpers/process";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Backup and restore of the embedded store", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-backup-"));
  const dataDir = path.join(work, "data");
  const backup = path.join(work, "store.ndjson");
  const env = { PGROTATE_DATA_DIR: dataDir, PGROTATE_PORT: "0", PGROTATE_LOG_LEVEL: "warn" };
  let running: RunnerProcess | undefined;
  let target: Target;

  beforeAll(async () => {
    target = await createTarget({ prefix: "backup" });
  });
  afterAll(async () => {
    if (running) await stopRunnerProcess(running);
    await target?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const adminToken = () => fs.readFileSync(path.join(dataDir, "admin.token"), "utf8").trim();
  const api = async (method: string, p: string, body?: unknown, token = adminToken()) => {
    const res = await fetch(running!.url + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: res.status, body: (await res.json()) };
  };
  const served = async (token: string) => {
    const res = await api("GET", "/api/v3/secrets/raw?workspaceId=my-project&environment=dev&secretPath=/", undefined, token);
    return Object.fromEntries((res.body.secrets as Array<{ secretKey: string; secretValue: string }>).map((s) => [s.secretKey, s.secretValue]));
  };
  const cli = (args: string[]) => runCli(args, { env: { ...env, PGROTATE_URL: running?.url, PGROTATE_TOKEN: running ? adminToken() : undefined }, timeoutMs: 60_000 });

  test("When the store is backed up while the runner runs, the data directory wiped and the backup restored, then the runner serves the same credentials and tokens and keeps rotating", async () => {
    running = await startRunnerProcess(env);
    const conn = await api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
    const rot = await api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users));
    expect(rot.status).toBe(200);
    expect((await api("POST", `${ROTATIONS}/${rot.body.secretRotation.id}/rotate-secrets?force=true`)).status).toBe(200);
    // A rotation window and a project freeze are part of the store too.
    const window = { weekdays: ["sat", "sun"], startTime: "01:00", endTime: "04:00", blackouts: [{ from: "2030-12-20", to: "2031-01-04", reason: "year end" }] };
    expect((await api("PATCH", `${ROTATIONS}/${rot.body.secretRotation.id}`, { rotationWindow: window })).status).toBe(200);
    expect((await api("PUT", "/api/v1/projects/my-project/freeze", { frozen: true, reason: "migration week" })).status).toBe(200);
    const reader = (await api("POST", "/api/v1/auth/tokens", { name: "reader", projectId: "my-project", permission: "read" })).body.secret as string;
    const before = await served(reader);
    expect(Object.keys(before)).toEqual(["POSTGRES_DB_PASSWORD", "POSTGRES_DB_USERNAME"].sort());

    const made = await cli(["backup", "--out", backup]);
    expect([made.code, made.stderr]).toEqual([0, ""]);
    expect(made.stdout).toMatch(/Backup written to .*store\.ndjson: \d+ rows/);
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(backup, "utf8");
    expect(text).not.toContain(before.POSTGRES_DB_PASSWORD); // sealed, as in the store
    expect(text).not.toContain(target.admin.password);

    // The operator keeps the key and the admin token apart from the backup; the data directory is lost.
    const key = fs.readFileSync(path.join(dataDir, "encryption.key"));
    const token = fs.readFileSync(path.join(dataDir, "admin.token"));
    expect(await stopRunnerProcess(running)).toBe(0);
    running = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { mode: 0o755 });
    // Without the key the restore is refused (the backup never holds it).
    const noKey = await cli(["restore", backup]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/No encryption key/);
    fs.writeFileSync(path.join(dataDir, "encryption.key"), key, { mode: 0o600 });
    fs.writeFileSync(path.join(dataDir, "admin.token"), token, { mode: 0o600 });

    const restored = await cli(["restore", backup]);
    expect([restored.code, restored.stderr.replace(/^.*warning.*\n/gim, "")]).toEqual([0, ""]);
    expect(restored.stdout).toMatch(/Restored \d+ rows/);
    const again = await cli(["restore", backup]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty .* without --force/);

    running = await startRunnerProcess(env);
    expect(await served(reader)).toEqual(before); // the same pair, read with a token made before the backup
    expect((await api("GET", `${ROTATIONS}/${rot.body.secretRotation.id}`)).body.secretRotation.rotationWindow).toEqual(window);
    expect((await api("GET", "/api/v1/projects/my-project/freeze")).body).toMatchObject({ frozen: true, frozenReason: "migration week" });
    const creds = (await api("GET", `${ROTATIONS}/${rot.body.secretRotation.id}/generated-credentials`)).body;
    for (const c of creds.generatedCredentials) expect(await canLogin(target.cluster, target.database, c.username, c.password)).toBe(true);
    // The start's check of a restored store may hold the rotation for a moment: "busy" (409 Conflict) is retried.
    const rotateNow = () => api("POST", `${ROTATIONS}/${rot.body.secretRotation.id}/rotate-secrets?force=true`);
    let rotated = await rotateNow();
    for (let i = 0; i < 50 && rotated.status === 409 && /busy/.test(String(rotated.body.message)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      rotated = await rotateNow();
    }
    expect([rotated.status, rotated.body.message]).toEqual([200, undefined]);
    const after = await served(reader);
    expect(after.POSTGRES_DB_USERNAME).not.toBe(before.POSTGRES_DB_USERNAME);
    expect(await canLogin(target.cluster, target.database, after.POSTGRES_DB_USERNAME, after.POSTGRES_DB_PASSWORD)).toBe(true);
    expect((await api("GET", "/readyz")).status).toBe(200);
    expect(await stopRunnerProcess(running)).toBe(0);
    running = undefined;
  }, 180_000);

  test("A restore refuses another encryption key and a damaged or truncated backup, and writes nothing", async () => {
    const store = await createDatabase(cluster(), "restore_into");
    try {
      const into = { PGROTATE_DATABASE_URL: store.url, PGROTATE_DATA_DIR: path.join(work, "ext"), PGROTATE_LOG_LEVEL: "warn" };
      const run = (args: string[], key: string) => runCli(args, { env: { ...into, PGROTATE_ENCRYPTION_KEY: key }, timeoutMs: 60_000 });
      const wrongKey = await run(["restore", backup], crypto.randomBytes(32).toString("base64"));
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stderr).toMatch(/sealed with another encryption key/);
      const key = fs.readFileSync(path.join(dataDir, "encryption.key"), "utf8").trim();
      const lines = fs.readFileSync(backup, "utf8").trimEnd().split("\n");
      const truncated = path.join(work, "truncated.ndjson");
      fs.writeFileSync(truncated, lines.slice(0, -3).join("\n") + "\n");
      const cut = await run(["restore", truncated], key);
      expect(cut.code).toBe(1);
      expect(cut.stderr).toMatch(/truncated, and nothing was restored/);
      const damaged = path.join(work, "damaged.ndjson");
      fs.writeFileSync(damaged, [lines[0], "{not json", ...lines.slice(1)].join("\n") + "\n");
      expect((await run(["restore", damaged], key)).stderr).toMatch(/line 2 is not JSON/);
      const notOurs = path.join(work, "other.ndjson");
      fs.writeFileSync(notOurs, '{"hello":"world"}\n');
      expect((await run(["restore", notOurs], key)).stderr).toMatch(/not a pgrotate backup/);
      // Nothing was written by any of them: the store has no rotation.
      const c = new Client({ connectionString: store.url });
      await c.connect();
      try {
        expect((await c.query("SELECT count(*)::int AS n FROM rotations")).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
      // And the whole file restores into it.
      expect((await run(["restore", backup], key)).code).toBe(0);
    } finally {
      await store.drop();
    }
  }, 120_000);

  test("When the backed-up store was on keyring B,A (its key check still A's), then a restore with A alone is refused naming key B and writes nothing, and with B,A it restores", async () => {
    const [from, into] = [await createDatabase(cluster(), "restore_keyring_from"), await createDatabase(cluster(), "restore_keyring_into")];
    const [a, b] = [crypto.randomBytes(32), crypto.randomBytes(32)];
    const token = crypto.randomBytes(24).toString("hex");
    const keyringBackup = path.join(work, "keyring.ndjson");
    const base = { PGROTATE_DATA_DIR: path.join(work, "keyring-runner"), PGROTATE_PORT: "0", PGROTATE_LOG_LEVEL: "warn", PGROTATE_ADMIN_TOKEN: token };
    const call = async (url: string, method: string, p: string, body?: unknown) =>
      (await fetch(url + p, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined })).json();
    try {
      // The connection sealed with A; then the keyring B,A, and the rotation's values sealed with B.
      let runner = await startRunnerProcess({ ...base, PGROTATE_DATABASE_URL: from.url, PGROTATE_ENCRYPTION_KEY: a.toString("base64") });
      const conn = (await call(runner.url, "POST", "/api/v1/app-connections/postgres", target.connectionBody("keyring-db"))).appConnection.id;
      expect(await stopRunnerProcess(runner)).toBe(0);
      runner = await startRunnerProcess({ ...base, PGROTATE_DATABASE_URL: from.url, PGROTATE_ENCRYPTION_KEYS: `${b.toString("base64")},${a.toString("base64")}` });
      const rot = await call(runner.url, "POST", ROTATIONS, infisicalCreateBody(conn, target.users, { name: "keyring-rotation", secretPath: "/keyring" }));
      expect(rot.secretRotation.name).toBe("keyring-rotation");
      const made = await runCli(["backup", "--out", keyringBackup], { env: { PGROTATE_URL: runner.url, PGROTATE_TOKEN: token }, timeoutMs: 60_000 });
      expect(made.code).toBe(0);
      expect(await stopRunnerProcess(runner)).toBe(0);

      const restore = (keys: Record<string, string>) =>
        runCli(["restore", keyringBackup], { env: { PGROTATE_DATABASE_URL: into.url, PGROTATE_DATA_DIR: path.join(work, "keyring-restore"), PGROTATE_LOG_LEVEL: "warn", ...keys }, timeoutMs: 60_000 });
      const oldOnly = await restore({ PGROTATE_ENCRYPTION_KEY: a.toString("base64") });
      expect(oldOnly.code).toBe(1);
      expect(oldOnly.stderr).toContain(`PGROTATE_ENCRYPTION_KEYS lacks key ${keyIdOf(b)}`);
      expect(oldOnly.stderr).not.toContain(b.toString("base64"));
      const c = new Client({ connectionString: into.url });
      await c.connect();
      try {
        expect((await c.query("SELECT count(*)::int AS n FROM rotations")).rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
      expect((await restore({ PGROTATE_ENCRYPTION_KEYS: `${b.toString("base64")},${a.toString("base64")}` })).code).toBe(0);
    } finally {
      await from.drop();
      await into.drop();
    }
  }, 180_000);
});
