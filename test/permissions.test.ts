import { canLogin, testClusters, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe.each(testClusters().map((c) => [c.major, c] as const))("Prechecks and rotation on PostgreSQL %i", (major, cluster) => {
  let t: TestRunner;
  const targets: Target[] = [];

  beforeAll(async () => {
    t = await startTestRunner({ cluster });
  });
  afterAll(async () => {
    await t?.stop();
    for (const x of targets) await x.drop();
  });

  async function setup(adminRights: "createrole+admin" | "createrole-only" | "none" | "superuser") {
    const target = await createTarget({ cluster, prefix: `perm${major}`, adminRights });
    targets.push(target);
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
    expect(conn.status).toBe(200);
    return { target, connectionId: conn.body.appConnection.id as string };
  }

  async function expectNothingChanged(target: Target) {
    expect(await canLogin(cluster, target.database, target.users[0], target.initialPasswords[0])).toBe(true);
    expect(await canLogin(cluster, target.database, target.users[1], target.initialPasswords[1])).toBe(true);
    expect((await t.api("GET", ROTATIONS)).body.secretRotations).toEqual([]);
    expect((await t.api("GET", "/api/v3/secrets/raw?workspaceId=my-project")).body.secrets).toEqual([]);
  }

  test("When the connection role lacks CREATEROLE, then create answers 422 with the SQL to grant it, and nothing is stored or changed", async () => {
    const { target, connectionId } = await setup("none");
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users));
    expect(res.status).toBe(422);
    expect(res.body.error).toBe("PrecheckFailed");
    expect(res.body.message).toContain(`ALTER ROLE "${target.admin.username}" CREATEROLE;`);
    if (major >= 16) {
      expect(res.body.message).toContain(`GRANT "${target.users[0]}" TO "${target.admin.username}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`);
    }
    expect(res.body.details.sql.length).toBeGreaterThanOrEqual(1);
    await expectNothingChanged(target);
  });

  test("When the connection role has CREATEROLE but no ADMIN OPTION, then on 16+ create answers 422 with the GRANT, and below 16 it rotates", async () => {
    const { target, connectionId } = await setup("createrole-only");
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: `no-admin-${major}` }));
    if (major >= 16) {
      expect(res.status).toBe(422);
      for (const u of target.users) {
        expect(res.body.message).toContain(`GRANT "${u}" TO "${target.admin.username}" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;`);
      }
      await expectNothingChanged(target);
      // The GRANT the message names is enough: run it, and the same request succeeds.
      await withClient(cluster.url(target.database), async (c) => {
        for (const sql of res.body.details.sql) await c.query(sql);
      });
      const again = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: `no-admin-${major}` }));
      expect(again.status).toBe(200);
      await t.api("DELETE", `${ROTATIONS}/${again.body.secretRotation.id}?deleteSecrets=true`);
    } else {
      expect(res.status).toBe(200);
      await t.api("DELETE", `${ROTATIONS}/${res.body.secretRotation.id}?deleteSecrets=true`);
    }
  });

  test("When a rotation user does not exist, then create answers 422 naming it, and nothing is stored", async () => {
    const { target, connectionId } = await setup("createrole+admin");
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, [target.users[0], "no_such_user_xyz"]));
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('"no_such_user_xyz"');
    await expectNothingChanged(target);
  });

  test("With least privilege (CREATEROLE + ADMIN OPTION), create and two rotations keep both users working", async () => {
    const { target, connectionId } = await setup("createrole+admin");
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: `least-${major}` }));
    expect(created.status).toBe(200);
    const id = created.body.secretRotation.id;
    for (const expected of [1, 0]) {
      const r = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
      expect(r.status).toBe(200);
      expect(r.body.secretRotation.activeIndex).toBe(expected);
      const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials;
      for (const c of creds) expect(await canLogin(cluster, target.database, c.username, c.password)).toBe(true);
    }
    expect((await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
  });

  test("When the connection role's sessions ask for more SCRAM iterations (scram_iterations, PostgreSQL 16+), then every verifier pgrotate sets uses that count; below 16 the fixed 4096", async () => {
    const { target, connectionId } = await setup("createrole+admin");
    if (major >= 16) await target.sql(`ALTER ROLE "${target.admin.username}" SET scram_iterations = 8192`);
    const expected = major >= 16 ? 8192 : 4096;
    const verifiers = async () =>
      (await target.sql<{ v: string }>("SELECT rolpassword AS v FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname", [target.users])).map((r) => r.v);
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: `iter-${major}`, projectId: "iter" }));
    expect(res.status).toBe(200);
    const id = res.body.secretRotation.id as string;
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets`)).status).toBe(200);
    for (const v of await verifiers()) expect(v.startsWith(`SCRAM-SHA-256$${expected}:`)).toBe(true);
    const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials;
    for (const c of creds) expect(await canLogin(cluster, target.database, c.username, c.password)).toBe(true);
    await t.api("DELETE", `${ROTATIONS}/${id}?revokeGeneratedCredentials=true&deleteSecrets=true`);
    for (const v of await verifiers()) expect(v.startsWith(`SCRAM-SHA-256$${expected}:`)).toBe(true); // revocation too
  });

  test("A username like a\"; DROP ROLE x; -- is treated as a literal identifier", async () => {
    const hostile = `a"; DROP ROLE ${major}x; --`;
    const target = await createTarget({ cluster, prefix: `evil${major}`, usernames: [hostile, `b'; SELECT 1; --${major}`] });
    targets.push(target);
    await target.sql(`CREATE ROLE "${major}x"`);
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users, { name: `evil-${major}`, projectId: "evil" }));
    expect(res.status).toBe(200);
    const creds = (await t.api("GET", `${ROTATIONS}/${res.body.secretRotation.id}/generated-credentials`)).body.generatedCredentials;
    expect(creds[0].username).toBe(hostile);
    expect(await canLogin(cluster, target.database, hostile, creds[0].password)).toBe(true);
    expect(await target.sql(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [`${major}x`])).toHaveLength(1);
    await t.api("DELETE", `${ROTATIONS}/${res.body.secretRotation.id}?deleteSecrets=true`);
    await target.sql(`DROP ROLE "${major}x"`);
  });
});
