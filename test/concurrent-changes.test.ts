import { canLogin } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Changes that arrive while a rotation runs", () => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  /** Runs inside the engine between the proven login and the commit. */
  let duringRotation: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    target = await createTarget({ prefix: "concurrent" });
    t = await startTestRunner({ faults: { afterVerify: () => duringRotation?.() } });
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  const raw = async (folder: string, key: string) =>
    (await t.api("GET", `/api/v3/secrets/raw/${key}?workspaceId=my-project&environment=dev&secretPath=${folder}`)).body.secret?.secretValue as string | undefined;

  test("When the mapped secrets are renamed (even swapped) between a rotation's password change and its commit, the renamed secrets hold the new pair", async () => {
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "renamed", secretPath: "/renamed", secretsMapping: { username: "A", password: "B" } }));
    expect(created.status).toBe(200);
    const id = created.body.secretRotation.id;
    duringRotation = async () => {
      duringRotation = undefined;
      const patched = await t.api("PATCH", `${ROTATIONS}/${id}`, { secretsMapping: { username: "B", password: "A" } });
      expect(patched.status).toBe(200);
    };
    const rotated = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect(rotated.status).toBe(200);
    expect(duringRotation).toBeUndefined(); // the change really arrived mid-rotation
    const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
    const active = creds.generatedCredentials[creds.activeIndex];
    expect({ username: await raw("/renamed", "B"), password: await raw("/renamed", "A") }).toEqual(active);
    expect(await canLogin(target.cluster, target.database, active.username, active.password)).toBe(true);
    expect((await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200); // the users are free for the next test
  });

  test("When the grace guard refuses a rotation, nothing changes and no lease is left behind: a forced rotation right after runs", async () => {
    const id = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "guarded", secretPath: "/guarded" }))).body.secretRotation.id;
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
    const before = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    const refused = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets`);
    expect([refused.status, refused.body.details?.reason]).toEqual([409, "grace-period"]);
    expect((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation).toEqual(before); // refused: nothing changed
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
  });

  test("When a PATCH switches auto-rotation off while a rotation runs, then the rotation's commit keeps it off (no next rotation time comes back)", async () => {
    const users: [string, string] = [await target.addRole("off1"), await target.addRole("off2")];
    const id = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, users, { name: "switched-off", secretPath: "/switched-off" }))).body.secretRotation.id;
    duringRotation = async () => {
      duringRotation = undefined;
      expect((await t.api("PATCH", `${ROTATIONS}/${id}`, { isAutoRotationEnabled: false })).status).toBe(200);
    };
    const rotated = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect(rotated.status).toBe(200);
    expect(duringRotation).toBeUndefined();
    expect(rotated.body.secretRotation).toMatchObject({ isAutoRotationEnabled: false, nextRotationAt: null, activeIndex: 1 });
    expect((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation).toMatchObject({ isAutoRotationEnabled: false, nextRotationAt: null });
    expect((await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
  });

  test("When a PATCH changes the interval while a rotation runs, then the rotation's commit plans the next rotation with the new interval", async () => {
    const users: [string, string] = [await target.addRole("int1"), await target.addRole("int2")];
    const id = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, users, { name: "new-interval", secretPath: "/new-interval", rotationInterval: 30 }))).body.secretRotation.id;
    duringRotation = async () => {
      duringRotation = undefined;
      expect((await t.api("PATCH", `${ROTATIONS}/${id}`, { rotationInterval: 2 })).status).toBe(200);
    };
    const rotated = (await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).body.secretRotation;
    expect(duringRotation).toBeUndefined();
    expect(rotated.rotationInterval).toBe(2);
    // A manual rotation: the last rotation's date + 2 days (+ 1 day past today's 00:00 UTC), never 30 days.
    const days = (Date.parse(rotated.nextRotationAt) - Date.parse(rotated.lastRotatedAt)) / 86_400_000;
    expect(days).toBeGreaterThan(1);
    expect(days).toBeLessThanOrEqual(3);
    expect((await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
  });
});
