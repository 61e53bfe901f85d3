/**
 * A create sets both users' passwords before it stores anything readable. When it fails after a password was set
 * (user 1 changed and proved, user 2's login refused by pg_hba), that password must not be lost: the rotation is
 * kept as failed with what it set, readable in its generated credentials, and a rotation finishes it with the
 * same passwords. On a server of its own (a pg_hba rule of the test's), PostgreSQL 17 and 15.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { serverReachableDir, startDedicatedCluster, type DedicatedCluster } from "./helpers/dedicated-cluster";
import { canLogin as canLoginTo, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const ALLOW = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n";

describe.each([17, 15] as const)("A create that fails after it set a password, PostgreSQL %i", (major) => {
  let pg: DedicatedCluster;
  let hba: string;
  let t: TestRunner;
  const admin = { user: "rot_admin", password: "admin-password-1234" };
  const users: [string, string] = ["app_user_1", "app_user_2"];

  const sql = (text: string) => withClient(pg.url("postgres"), (c) => c.query(text));
  const canLogin = (user: string, password: string) => canLoginTo(pg, "postgres", user, password);
  /** pg_hba as the test wants it, read again by the server. */
  const setHba = async (text: string) => {
    await fs.writeFile(hba, text);
    await sql("SELECT pg_reload_conf()");
    await new Promise((r) => setTimeout(r, 200));
  };

  beforeAll(async () => {
    const dir = await serverReachableDir(`hba${major}`);
    hba = path.join(dir, "pg_hba.conf");
    await fs.writeFile(hba, ALLOW, { mode: 0o644 });
    pg = await startDedicatedCluster({ prefix: `hba${major}`, major, dir, settings: { hba_file: hba } });
    await sql(`CREATE ROLE ${admin.user} LOGIN CREATEROLE PASSWORD '${admin.password}'`);
    for (const u of users) {
      await sql(`CREATE ROLE ${u} LOGIN PASSWORD 'initial-${u}'`);
      if (major >= 16) await sql(`GRANT ${u} TO ${admin.user} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
    }
    t = await startTestRunner({ startScheduler: false });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await pg?.dispose();
  });

  test("When user 2's login is refused after both passwords were set, then the rotation is kept as failed with the passwords it set, the answer names the changed users, and a rotation finishes it with the same passwords", async () => {
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", {
      name: `hba-${major}`, method: "username-and-password",
      credentials: { host: pg.host, port: pg.port, database: "postgres", username: admin.user, password: admin.password },
    });
    expect(conn.status).toBe(200);
    await setHba(`host all ${users[1]} 127.0.0.1/32 reject\nhost all ${users[1]} ::1/128 reject\n${ALLOW}`);

    const res = await t.api("POST", ROTATIONS, {
      name: "refused", connectionId: conn.body.appConnection.id, rotationInterval: 30,
      parameters: { username1: users[0], username2: users[1] }, secretsMapping: { username: "DB_USER", password: "DB_PASSWORD" },
    });
    expect([res.status, res.body.error]).toEqual([502, "RotationFailed"]);
    expect(res.body.details).toEqual({ rotationId: expect.any(String), changedUsers: users, rotationKept: true });
    expect(res.body.message).toContain(users[1]);
    expect(res.body.message).toMatch(/kept/);
    const id = res.body.details.rotationId as string;

    const kept = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    expect(kept).toMatchObject({ name: "refused", rotationStatus: "failed" });
    expect(kept.lastRotationMessage).toContain(users[1]);
    const creds = await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`);
    expect(creds.status).toBe(200);
    const set = creds.body.generatedCredentials as Array<{ username: string; password: string }>;
    expect(set.map((c) => c.username)).toEqual(users);
    expect(await canLogin(users[0], set[0].password)).toBe(true); // user 1's new password is not lost
    expect(await canLogin(users[0], `initial-${users[0]}`)).toBe(false);

    // The administrator fixes pg_hba; a rotation finishes the create with the very passwords it set.
    await setHba(ALLOW);
    const finished = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets`);
    expect(finished.status).toBe(200);
    expect(finished.body.secretRotation).toMatchObject({ rotationStatus: "success", activeIndex: 0 });
    const after = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials;
    expect(after).toEqual(set);
    for (const c of after) expect(await canLogin(c.username, c.password)).toBe(true);
    const secret = (await t.api("GET", "/api/v3/secrets/raw/DB_PASSWORD?workspaceId=default&environment=dev")).body.secret;
    expect(secret.secretValue).toBe(set[0].password);
  });
});
