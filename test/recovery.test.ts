import net, { type AddressInfo } from "node:net";
import { aad } from "../runner/crypto/seal";
import { startRunner } from "../runner/runtime";
import { SimulatedCrash, type FaultPoint } from "../runner/rotation/faults";
import { canLogin, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Crash recovery: an interrupted rotation is rolled forward with its own password", () => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  let crashAt: FaultPoint | undefined;
  /** Runs at the last step boundary before the final commit (the lost-commit test keeps the store's state there). */
  let beforeCommit: ((rotationId: string) => Promise<void>) | undefined;

  const crashHooks = {
    afterIntent: () => { if (crashAt === "afterIntent") throw new SimulatedCrash("afterIntent"); },
    afterAlter: () => { if (crashAt === "afterAlter") throw new SimulatedCrash("afterAlter"); },
    afterVerify: async ({ rotationId }: { rotationId: string }) => {
      if (crashAt === "afterVerify") throw new SimulatedCrash("afterVerify");
      await beforeCommit?.(rotationId);
    },
    insideCommit: () => { if (crashAt === "insideCommit") throw new SimulatedCrash("insideCommit"); },
  };

  beforeAll(async () => {
    target = await createTarget({ prefix: "crash" });
    t = await startTestRunner({ faults: crashHooks });
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  async function intentPassword(rotationId: string): Promise<{ password: string; targetIndex: number } | undefined> {
    return withClient(t.storeUrl, async (c) => {
      const rows = (await c.query("SELECT target_index, password_sealed FROM rotation_intents WHERE rotation_id = $1", [rotationId])).rows;
      if (!rows.length) return undefined;
      return { targetIndex: rows[0].target_index, password: t.runner.sealer.open(rows[0].password_sealed, aad.intent(rotationId, rows[0].target_index)) };
    });
  }

  test.each<FaultPoint>(["afterAlter", "afterIntent", "afterVerify", "insideCommit"])(
    "When the runner dies at %s of a rotation, then the next start finishes it with the same password and no second one",
    async (point) => {
      crashAt = undefined;
      const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: `crash-${point.toLowerCase()}` , secretsMapping: { username: `U_${point}`, password: `P_${point}` } }));
      expect(created.status).toBe(200);
      const id = created.body.secretRotation.id;
      const before = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;

      crashAt = point;
      const crashed = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets`);
      expect(crashed.status).toBe(500); // the simulated crash surfaces as an internal error; no failure handling ran
      const intent = await intentPassword(id);
      expect(intent).toBeDefined();
      expect(intent!.targetIndex).toBe(1);
      // Whatever the step, the active credentials still log in.
      expect(await canLogin(target.cluster, target.database, before.generatedCredentials[0].username, before.generatedCredentials[0].password)).toBe(true);

      crashAt = undefined;
      await t.restart({ faults: crashHooks });
      expect(await intentPassword(id)).toBeUndefined();
      const after = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
      expect(after.activeIndex).toBe(1);
      expect(after.generatedCredentials[1].password).toBe(intent!.password);
      expect(after.generatedCredentials[0].password).toBe(before.generatedCredentials[0].password);
      for (const c of after.generatedCredentials) expect(await canLogin(target.cluster, target.database, c.username, c.password)).toBe(true);
      const secrets = (await t.api("GET", `/api/v3/secrets/raw/P_${point}?workspaceId=my-project`)).body.secret;
      expect(secrets.secretValue).toBe(intent!.password);
      const rotation = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
      expect(rotation).toMatchObject({ rotationStatus: "success", activeIndex: 1 });
      await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`);
    },
  );

  test("When the runner dies between setting user1's password and the create's commit, then the next start completes the create", async () => {
    crashAt = "afterAlter";
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "crash-create", secretsMapping: { username: "CU", password: "CP" } }));
    expect(res.status).toBe(500);
    const id = await withClient(t.storeUrl, async (c) => (await c.query("SELECT id FROM rotations WHERE name = 'crash-create'")).rows[0].id as string);
    crashAt = undefined;
    await t.restart({ faults: crashHooks });
    const r = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    expect(r.rotationStatus).toBe("success");
    const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials;
    for (const c of creds) expect(await canLogin(target.cluster, target.database, c.username, c.password)).toBe(true);
    await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`);
  });

  test("When a start fails after its recovery used the target (the port is taken), then no pooled target connection stays open", async () => {
    crashAt = undefined;
    const id = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "crash-port", secretsMapping: { username: "QU", password: "QP" } }))).body.secretRotation.id;
    crashAt = "afterIntent";
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets`)).status).toBe(500);
    crashAt = undefined;
    const blocker = net.createServer();
    await new Promise<void>((res) => blocker.listen(0, "127.0.0.1", res));
    try {
      await t.runner.stop();
      const port = (blocker.address() as AddressInfo).port;
      await expect(startRunner({ ...t.config, port }, { logDestination: { write: () => undefined }, faults: crashHooks })).rejects.toThrow(/EADDRINUSE/);
      const open = () => target.sql<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1", [target.admin.username]);
      let n = -1;
      for (let i = 0; i < 20 && n !== 0; i++) {
        n = (await open())[0].n;
        if (n) await new Promise((res) => setTimeout(res, 100));
      }
      expect(n).toBe(0);
    } finally {
      blocker.close();
      await t.restart({ faults: crashHooks });
    }
    expect((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation).toMatchObject({ rotationStatus: "success", activeIndex: 1 });
    await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`);
  });

  test("When the runner dies between taking a rotation's lease and storing its intent, then after the next start the rotation runs at once (no 409 until the lease expires)", async () => {
    crashAt = undefined;
    const id = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "crash-lease", secretsMapping: { username: "LU", password: "LP" } }))).body.secretRotation.id;
    // What such a death leaves: this runner's lease, far from expiring, and no intent.
    await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET lease_owner = $2, lease_until = now() + interval '1 hour' WHERE id = $1", [id, t.runner.runnerId]));
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(409); // busy while that life "runs"
    await t.restart({ faults: crashHooks });
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
    await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`);
  });

  test("When the store comes back without a rotation's final commit (a failover to a replica that had not received it), then recovery rolls the intent forward to the very credential that was published", async () => {
    crashAt = undefined;
    const id = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "lost-commit", secretsMapping: { username: "XU", password: "XP" } }))).body.secretRotation.id;
    const before = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
    const kept = ["rotations", "credentials", "secrets", "rotation_intents", "rotation_history"];
    const where = (table: string) => (table === "rotations" ? "id" : "rotation_id");
    // The store as it was just before the final commit: what a replica that had not received that commit holds.
    beforeCommit = (rotationId) => withClient(t.storeUrl, async (c) => {
      for (const table of kept) await c.query(`CREATE TABLE lost_${table} AS SELECT * FROM ${table} WHERE ${where(table)} = '${rotationId}'`);
    });
    const rotated = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets`);
    beforeCommit = undefined;
    expect(rotated.status).toBe(200);
    const published = (await t.api("GET", "/api/v3/secrets/raw/XP?workspaceId=my-project")).body.secret.secretValue as string;
    expect(published).not.toBe(before.generatedCredentials[1].password);

    await withClient(t.storeUrl, async (c) => {
      await c.query("BEGIN");
      const cols = (await c.query<{ l: string }>("SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS l FROM information_schema.columns WHERE table_name = 'rotations' AND table_schema = current_schema()")).rows[0].l;
      await c.query(`UPDATE rotations r SET (${cols}) = (SELECT ${cols} FROM lost_rotations) WHERE r.id = $1`, [id]);
      await c.query("UPDATE secrets s SET value_sealed = l.value_sealed, version = l.version, updated_at = l.updated_at FROM lost_secrets l WHERE s.id = l.id");
      for (const table of ["credentials", "rotation_intents", "rotation_history"]) {
        await c.query(`DELETE FROM ${table} WHERE rotation_id = $1`, [id]);
        await c.query(`INSERT INTO ${table} SELECT * FROM lost_${table}`);
      }
      for (const table of kept) await c.query(`DROP TABLE lost_${table}`);
      await c.query("COMMIT");
    });
    // After the failover: the previous credentials are back (user 1 still logs in with them), the intent is there.
    expect((await intentPassword(id))?.password).toBe(published);
    expect((await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.activeIndex).toBe(0);
    expect(await canLogin(target.cluster, target.database, before.generatedCredentials[0].username, before.generatedCredentials[0].password)).toBe(true);
    // Its lease runs out; the next recovery pass (any runner's tick) finishes the rotation.
    await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET lease_until = now() - interval '1 second' WHERE id = $1", [id]));
    expect(await t.runner.engine.recover({ atStart: false })).toBe(1);
    expect(await intentPassword(id)).toBeUndefined();
    const after = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
    expect(after.activeIndex).toBe(1);
    expect(after.generatedCredentials[1].password).toBe(published);
    expect(after.generatedCredentials[0].password).toBe(before.generatedCredentials[0].password);
    for (const cr of after.generatedCredentials) expect(await canLogin(target.cluster, target.database, cr.username, cr.password)).toBe(true);
    expect((await t.api("GET", "/api/v3/secrets/raw/XP?workspaceId=my-project")).body.secret.secretValue).toBe(published);
    await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`);
  });
});

describe("A create that fails after its intents were stored", () => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  let now = Date.parse("2030-02-01T10:00:00Z");
  /**
   * What the next create does at its step boundaries: take the connection role's right away before the first
   * ALTER, fail after the first ALTER, fail the removal or the record of the half-made rotation.
   */
  const faults = { revoke: false, alter: false, cleanup: false };
  const hooks = {
    afterIntent: async () => { if (faults.revoke) await target.sql(`ALTER ROLE "${target.admin.username}" NOCREATEROLE`); },
    afterAlter: () => { if (faults.alter) throw new Error("the target went away"); },
    createCleanup: () => { if (faults.cleanup) throw new Error("the store went away"); },
  };
  const rotationIdNamed = (name: string) =>
    withClient(t.storeUrl, async (c) => (await c.query<{ id: string }>("SELECT id FROM rotations WHERE name = $1", [name])).rows[0]?.id);

  beforeAll(async () => {
    target = await createTarget({ prefix: "failcreate" });
    t = await startTestRunner({ faults: hooks, clock: () => new Date(now), startScheduler: false, random: () => 1 });
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("When the target refuses the first password change (the right was taken away after the precheck), then the caller gets the failure and nothing is stored that recovery could complete later", async () => {
    faults.revoke = true;
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "fails-cleanly" }));
    faults.revoke = false;
    await target.sql(`ALTER ROLE "${target.admin.username}" CREATEROLE`);
    expect([res.status, res.body.error]).toEqual([422, "PrecheckFailed"]);
    expect(res.body.details).toBeUndefined();
    expect(await rotationIdNamed("fails-cleanly")).toBeUndefined();
    for (const [i, u] of target.users.entries()) expect(await canLogin(target.cluster, target.database, u, target.initialPasswords[i])).toBe(true);
    now += 10 * 60_000; // past any lease
    await t.runner.scheduler.tick();
    expect(await rotationIdNamed("fails-cleanly")).toBeUndefined();
    expect((await t.api("GET", "/api/v3/secrets/raw?workspaceId=my-project")).body.secrets).toEqual([]);
  });

  test("When the record of a failed create fails too (the store went away), then the caller is told it stays pending and will be finished, and recovery finishes it with the stored passwords once the target answers", async () => {
    faults.alter = true;
    faults.cleanup = true;
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "finished-later" }));
    expect([res.status, res.body.error]).toEqual([503, "StoreUnavailable"]);
    expect(res.body.message).toMatch(/stays pending .* finishes creating it/);
    const id = await rotationIdNamed("finished-later");
    expect(res.body.details).toEqual({ rotationId: id, pendingCompletion: true });
    expect((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation.rotationStatus).toBe("pending");

    // The lease of the failed call expires; the target still fails: recovery records it and plans a retry.
    faults.cleanup = false;
    now += 3 * 60_000;
    await t.runner.scheduler.tick();
    const retrying = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    expect(retrying.rotationStatus).toBe("pending");
    expect(Date.parse(retrying.nextRotationAt)).toBe(now + 10_000); // random() = 1: the full first backoff
    const history = (await t.api("GET", `${ROTATIONS}/${id}/history`)).body.history;
    expect(history[0]).toMatchObject({ trigger: "recovery", result: "failed", attempt: 1 });

    // The target answers again: at the planned time the next tick finishes the create.
    faults.alter = false;
    now += 10_000;
    await t.runner.scheduler.tick();
    const done = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    expect(done).toMatchObject({ rotationStatus: "success", activeIndex: 0, lastRotationMessage: null });
    expect((await t.api("GET", `${ROTATIONS}/${id}/history`)).body.history[0]).toMatchObject({ trigger: "create", result: "success", attempt: 2 });
    const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials;
    for (const c of creds) expect(await canLogin(target.cluster, target.database, c.username, c.password)).toBe(true);
    await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`);
  });
});
