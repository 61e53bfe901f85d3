import fs from "node:fs";
import { canLogin, testClusters } from "./helpers/pg";
import { dumpStore } from "./helpers/store-state";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

/** Every field DESIGN.md lists for secretRotation (and Infisical's folderId). */
const ROTATION_FIELDS = [
  "id", "name", "description", "type", "projectId", "connectionId", "connection", "environment", "folderId", "folder",
  "isAutoRotationEnabled", "rotationInterval", "rotateAtUtc", "rotateAt", "timeZone", "activeIndex", "rotationStatus",
  "lastRotationAttemptedAt", "lastRotatedAt", "lastRotationJobId", "nextRotationAt", "isLastRotationManual",
  "lastRotationMessage", "parameters", "secretsMapping", "createdAt", "updatedAt",
];

describe.each(testClusters().map((c) => [c.major, c] as const))("Dual-user rotation through the API on PostgreSQL %i", (major, cluster) => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  let rotationId: string;
  const passwordsSeen = new Set<string>();
  let logOffset = 0;
  let createResponse = "";

  const login = (user: string, password: string) => canLogin(target.cluster, target.database, user, password);
  const creds = async () => {
    const res = await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`);
    expect(res.status).toBe(200);
    for (const c of res.body.generatedCredentials) passwordsSeen.add(c.password);
    return res.body as { generatedCredentials: Array<{ username: string; password: string }>; activeIndex: number };
  };
  const raw = async () => {
    const res = await t.api("GET", "/api/v3/secrets/raw?workspaceId=my-project&environment=dev&secretPath=/");
    expect(res.status).toBe(200);
    return Object.fromEntries(res.body.secrets.map((s: { secretKey: string; secretValue: string }) => [s.secretKey, s.secretValue]));
  };

  beforeAll(async () => {
    target = await createTarget({ cluster, prefix: `life${major}` });
    // The target logs every statement (lines name database and user: test/global-setup.ts); so does the store (a database of the same cluster), from
    // the runner's next connections on: the cluster's log then shows the order of a rotation's steps.
    await target.sql(`ALTER DATABASE "${target.database}" SET log_statement = 'all'`);
    logOffset = fs.statSync(target.cluster.logFile).size;
    t = await startTestRunner({ cluster });
    await target.sql(`ALTER DATABASE "${new URL(t.storeUrl).pathname.slice(1)}" SET log_statement = 'all'`);
    await t.restart();
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
    expect(conn.status).toBe(200);
    expect(JSON.stringify(conn.body)).not.toContain(target.admin.password);
    connectionId = conn.body.appConnection.id;
  });

  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("When Infisical's documented create request is sent, then it is accepted and the response carries every DESIGN.md field", async () => {
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users));
    expect(res.status).toBe(200);
    const r = res.body.secretRotation;
    for (const f of ROTATION_FIELDS) expect(r).toHaveProperty(f);
    rotationId = r.id;
    expect(r).toMatchObject({
      name: "my-pg-rotation",
      type: "postgres-credentials",
      projectId: "my-project",
      description: "my database credentials rotation",
      connectionId,
      connection: { app: "postgres", id: connectionId },
      environment: { slug: "dev", name: "dev" },
      folder: { path: "/" },
      isAutoRotationEnabled: true,
      rotationInterval: 30,
      rotateAtUtc: { hours: 0, minutes: 0 },
      activeIndex: 0,
      rotationStatus: "success",
      parameters: { username1: target.users[0], username2: target.users[1] },
      secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "POSTGRES_DB_PASSWORD" },
    });
    // Created today at some time past 00:00 UTC: a full interval passes, so the next rotation is 31 days out at 00:00Z.
    const next = new Date(r.nextRotationAt);
    expect(next.getUTCHours()).toBe(0);
    expect(next.getUTCMinutes()).toBe(0);
    const days = (next.getTime() - new Date(r.createdAt).getTime()) / 86400000;
    expect(days).toBeGreaterThan(30);
    expect(days).toBeLessThanOrEqual(31);
    createResponse = res.text;
  });

  test("After create, both generated credentials log in, the initial passwords do not, and the secrets hold user1's", async () => {
    const c = await creds();
    expect(c.activeIndex).toBe(0);
    for (const x of c.generatedCredentials) expect(createResponse).not.toContain(x.password);
    expect(c.generatedCredentials.map((x) => x.username)).toEqual(target.users);
    for (const x of c.generatedCredentials) {
      expect(x.password).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(await login(x.username, x.password)).toBe(true);
    }
    expect(await login(target.users[0], target.initialPasswords[0])).toBe(false);
    expect(await login(target.users[1], target.initialPasswords[1])).toBe(false);
    expect(await raw()).toEqual({ POSTGRES_DB_USERNAME: target.users[0], POSTGRES_DB_PASSWORD: c.generatedCredentials[0].password });
  });

  test("After one rotation, user2 logs in with a new password, user1 is unchanged and still logs in, and the secrets hold user2", async () => {
    const before = await creds();
    const res = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`);
    expect(res.status).toBe(200);
    expect(res.body.secretRotation).toMatchObject({ activeIndex: 1, rotationStatus: "success", isLastRotationManual: true });
    const after = await creds();
    expect(after.activeIndex).toBe(1);
    expect(after.generatedCredentials[0].password).toBe(before.generatedCredentials[0].password);
    expect(after.generatedCredentials[1].password).not.toBe(before.generatedCredentials[1].password);
    expect(await login(target.users[1], after.generatedCredentials[1].password)).toBe(true);
    expect(await login(target.users[1], before.generatedCredentials[1].password)).toBe(false);
    expect(await login(target.users[0], after.generatedCredentials[0].password)).toBe(true);
    expect(await raw()).toEqual({ POSTGRES_DB_USERNAME: target.users[1], POSTGRES_DB_PASSWORD: after.generatedCredentials[1].password });
    const single = await t.api("GET", "/api/v3/secrets/raw/POSTGRES_DB_USERNAME?workspaceId=my-project&environment=dev&secretPath=/");
    expect(single.status).toBe(200);
    expect(single.body.secret).toMatchObject({ secretKey: "POSTGRES_DB_USERNAME", secretValue: target.users[1], type: "shared", version: 2 });
  });

  test("When a second rotation comes within the grace period, then it answers 409 and names when it is allowed; with force it changes user1 and leaves user2 working", async () => {
    const before = await creds();
    const guarded = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`);
    expect(guarded.status).toBe(409);
    expect(guarded.body).toMatchObject({ statusCode: 409, error: "GracePeriod" });
    expect(guarded.body.message).toMatch(/force=true/);
    expect(Date.parse(guarded.body.details.allowedAt)).toBeGreaterThan(Date.now());
    expect((await creds()).generatedCredentials).toEqual(before.generatedCredentials);

    const res = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`);
    expect(res.status).toBe(200);
    const after = await creds();
    expect(after.activeIndex).toBe(0);
    expect(after.generatedCredentials[0].password).not.toBe(before.generatedCredentials[0].password);
    expect(after.generatedCredentials[1].password).toBe(before.generatedCredentials[1].password);
    expect(await login(target.users[0], after.generatedCredentials[0].password)).toBe(true);
    expect(await login(target.users[1], after.generatedCredentials[1].password)).toBe(true);
    expect(await raw()).toEqual({ POSTGRES_DB_USERNAME: target.users[0], POSTGRES_DB_PASSWORD: after.generatedCredentials[0].password });
  });

  test("With log_statement=all on the target, the server log holds none of the generated passwords, and it did log the ALTER ROLE", async () => {
    expect(passwordsSeen.size).toBeGreaterThanOrEqual(4);
    const log = fs.readFileSync(target.cluster.logFile, "utf8").slice(logOffset);
    expect(log).toMatch(/ALTER ROLE/);
    for (const p of passwordsSeen) expect(log.includes(p)).toBe(false);
  });

  test("The store holds no plaintext password in any table, and no runner log line holds one", async () => {
    const dump = (await dumpStore(t.storeUrl)).text;
    expect(dump).toContain(target.users[0]);
    const secrets = [...passwordsSeen, target.admin.password];
    for (const p of secrets) expect(dump.includes(p)).toBe(false);
    expect(t.logs.length).toBeGreaterThan(5);
    const logs = t.logs.join("\n");
    for (const p of secrets) expect(logs.includes(p)).toBe(false);
  });

  test("The cluster's own log shows a rotation's order: ALTER ROLE of the inactive user, then that user's login check, then the store's commit", async () => {
    const from = fs.statSync(target.cluster.logFile).size;
    const res = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`);
    expect(res.status).toBe(200);
    const user = target.users[res.body.secretRotation.activeIndex as 0 | 1];
    const storeDb = new URL(t.storeUrl).pathname.slice(1);
    // The server's logging collector writes the file a moment after the statements ran: read until the commit is there.
    const isCommit = (l: string) => l.includes(` ${storeDb} `) && /execute pgrotate_\w+: WITH held AS \(SELECT r\.id FROM rotations r/.test(l);
    let lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      lines = fs.readFileSync(target.cluster.logFile, "utf8").slice(from).split("\n");
      if (lines.some(isCommit)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const first = (what: string, test: (l: string) => boolean) => {
      const i = lines.findIndex(test);
      expect([what, i >= 0]).toEqual([what, true]);
      return i;
    };
    const alter = first("ALTER ROLE", (l) => l.includes(` ${target.database} `) && l.includes(`ALTER ROLE "${user}" WITH PASSWORD`));
    const login = first("login check", (l) => l.includes(` ${target.database} ${user} `) && l.includes("statement: SELECT 1"));
    // The commit is one prepared statement; its first line opens with the row it holds under the lease (store/leased.ts writeLeased).
    const commit = first("commit", isCommit);
    expect(alter).toBeLessThan(login);
    expect(login).toBeLessThan(commit);
  });

  test("When the rotation is deleted with revokeGeneratedCredentials and deleteSecrets, then the old passwords stop working and the secrets are gone", async () => {
    const c = await creds();
    const res = await t.api("DELETE", `${ROTATIONS}/${rotationId}?revokeGeneratedCredentials=true&deleteSecrets=true`);
    expect(res.status).toBe(200);
    expect(res.body.secretRotation.id).toBe(rotationId);
    for (const x of c.generatedCredentials) expect(await login(x.username, x.password)).toBe(false);
    expect((await t.api("GET", `${ROTATIONS}/${rotationId}`)).status).toBe(404);
    expect(await raw()).toEqual({});
  });
});
