/**
 * `npm run demo`: a full rotation against an embedded target database, in well under a minute.
 * Starts an embedded PostgreSQL target with two login users and a least-privilege connection role,
 * starts a runner (embedded store), creates a connection and a rotation, rotates twice, and shows which
 * user is active and that each login works. Passwords are never printed.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { RunnerClient } from "../../provider/client";
import { loadConfig } from "../../runner/config";
import { startCluster, type RunningCluster } from "../../runner/embedded/cluster";
import { startRunner, type Runner } from "../../runner/runtime";

const say = (s: string) => process.stdout.write(s + "\n");
const secret = () => crypto.randomBytes(18).toString("base64url");

async function main(): Promise<void> {
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-demo-"));
  fs.chmodSync(work, 0o755);
  let target: RunningCluster | undefined;
  let runner: Runner | undefined;
  try {
    say("1. Starting an embedded PostgreSQL 17 as the target database ...");
    target = await startCluster({ dataDir: path.join(work, "target"), superuserPassword: secret() });
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
    const config = loadConfig({ PGROTATE_DATA_DIR: path.join(work, "runner"), PGROTATE_PORT: "0", PGROTATE_LOG_LEVEL: "warn" });
    runner = await startRunner(config);
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
      const t0 = Date.now();
      // The second rotation comes within the 10-minute grace period of the first, so it must be forced.
      await api.rotate(created.id, { force: n === 2 });
      say(`4.${n} Rotation ${n} finished in ${Date.now() - t0} ms${n === 2 ? " (forced past the grace guard)" : ""}`);
      await report(`after rotation ${n}`, api, created.id, target.port);
    }
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  } finally {
    await runner?.stop();
    await target?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

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

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
