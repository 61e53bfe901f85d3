/**
 * A lease is a fencing token: every write a rotation makes is checked against it, so a runner that lost its
 * lease (it waited too long in a queue, on a slow target, in a pause) never changes the target again and never
 * writes over the work of the runner that took the rotation over. Two runners on one store, step hooks to put
 * the takeover exactly where it hurts.
 */
import crypto from "node:crypto";
import { Client } from "pg";
import { performance } from "node:perf_hooks";
import { claimDue } from "../runner/store/leased";
import { canLogin, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const LEASE_SECONDS = 2;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("Leases are fencing tokens", () => {
  let a: TestRunner;
  let b: TestRunner;
  let target: Target;
  let connectionId: string;
  /** What runner A does at its step boundaries, per test. */
  const hooks: { afterUsageRead?: () => Promise<void>; afterAlter?: () => Promise<void>; afterVerify?: () => Promise<void> } = {};

  beforeAll(async () => {
    target = await createTarget({ prefix: "fence" });
    a = await startTestRunner({
      leaseSeconds: LEASE_SECONDS, concurrency: 2, startScheduler: false,
      faults: { afterUsageRead: () => hooks.afterUsageRead?.(), afterAlter: () => hooks.afterAlter?.(), afterVerify: () => hooks.afterVerify?.() },
    });
    b = await startTestRunner({ storeOf: a, leaseSeconds: LEASE_SECONDS, startScheduler: false });
    connectionId = (await a.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await target?.drop();
  });
  afterEach(() => {
    hooks.afterUsageRead = undefined;
    hooks.afterAlter = undefined;
    hooks.afterVerify = undefined;
  });

  const sql = <T = Record<string, unknown>>(text: string, values?: unknown[]) => withClient(a.storeUrl, async (c) => (await c.query(text, values)).rows as T[]);
  const create = async (name: string, users: [string, string] = target.users) => {
    const res = await a.api("POST", ROTATIONS, infisicalCreateBody(connectionId, users, { name, secretPath: `/${name}`, secretsMapping: { username: "U", password: "P" } }));
    expect(res.status).toBe(200);
    return res.body.secretRotation.id as string;
  };
  const remove = async (id: string) => expect((await a.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
  const published = async (name: string) => {
    const read = async (key: string) => (await a.api("GET", `/api/v3/secrets/raw/${key}?workspaceId=my-project&environment=dev&secretPath=/${name}`)).body.secret.secretValue as string;
    return { username: await read("U"), password: await read("P") };
  };
  const successes = async (id: string) => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM rotation_history WHERE rotation_id = $1 AND trigger <> 'create' AND result = 'success'", [id]))[0].n;
  const failures = async (id: string) => (await sql<{ n: number }>("SELECT count(*)::int AS n FROM rotation_history WHERE rotation_id = $1 AND result = 'failed'", [id]))[0].n;
  /** Another runner takes the rotation over (what its claim does once this runner's lease has run out). */
  const takeOver = async (id: string) => {
    const token = crypto.randomUUID();
    await sql("UPDATE rotations SET lease_owner = 'runner-b', lease_token = $2, lease_until = now() + interval '1 minute' WHERE id = $1", [id, token]);
    return token;
  };

  test("When a claimed rotation waited past its lease and another runner rotated it meanwhile, then the first runner does not touch the target: the pair the other published still logs in (Vault #18738)", async () => {
    const id = await create("stale-claim");
    await sql("UPDATE rotations SET next_rotation_at = now() WHERE id = $1", [id]);
    // Runner A claims it; its worker is busy elsewhere, so the claim waits in its hands past the lease.
    const acquiredAt = performance.now();
    const [claimed] = await claimDue(a.runner.pool, { now: new Date(), owner: a.runner.runnerId, token: crypto.randomUUID(), leaseMs: LEASE_SECONDS * 1000, limit: 1 });
    expect(claimed?.id).toBe(id);
    await sql("UPDATE rotations SET lease_until = now() - interval '1 second' WHERE id = $1", [id]);
    // Runner B claims it and rotates it in full: user 2 becomes the active user.
    expect((await b.runner.scheduler.tick()).claimed).toBe(1);
    const afterB = await published("stale-claim");
    expect(afterB.username).toBe(target.users[1]);
    // Now runner A's worker gets to its stale claim.
    await expect(a.runner.engine.rotate(id, { trigger: "scheduled", leased: { token: claimed.leaseToken!, acquiredAt } })).rejects.toMatchObject({ code: "LeaseLost" });
    expect(await canLogin(target.cluster, target.database, afterB.username, afterB.password)).toBe(true);
    expect(await published("stale-claim")).toEqual(afterB);
    expect([await successes(id), await failures(id)]).toEqual([1, 0]);
    await remove(id);
  });

  test("When another runner took the rotation over while this one waited on the target and the target then failed, then no failure is recorded over the new holder's work: its lease and the intent stay as they are", async () => {
    const id = await create("late-failure");
    let token = "";
    hooks.afterAlter = async () => {
      token = await takeOver(id);
      throw new Error("the target went away");
    };
    const res = await a.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect([res.status, res.body.error]).toEqual([409, "LeaseLost"]);
    const [row] = await sql<{ lease_owner: string; lease_token: string; rotation_status: string; retry_attempt: number }>("SELECT lease_owner, lease_token, rotation_status, retry_attempt FROM rotations WHERE id = $1", [id]);
    expect(row).toEqual({ lease_owner: "runner-b", lease_token: token, rotation_status: "success", retry_attempt: 0 });
    expect(await sql("SELECT target_index, attempts FROM rotation_intents WHERE rotation_id = $1", [id])).toEqual([{ target_index: 1, attempts: 0 }]);
    expect(await failures(id)).toBe(0);
    // The new holder's lease runs out too: recovery rolls the intent forward with its own password.
    await sql("UPDATE rotations SET lease_until = now() - interval '1 second' WHERE id = $1", [id]);
    expect(await b.runner.engine.recover({ atStart: false })).toBe(1);
    const pair = await published("late-failure");
    expect(pair.username).toBe(target.users[1]);
    expect(await canLogin(target.cluster, target.database, pair.username, pair.password)).toBe(true);
    await remove(id);
  });

  test("When another runner took the rotation over while this one read who uses the retiring user, then this one writes nothing (no hold, no intent) and changes no password", async () => {
    const id = await create("late-usage");
    const creds = (await a.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials as Array<{ username: string; password: string }>;
    // billing-app is still on the retiring user: this runner's read finds it and would hold the rotation.
    const session = new Client({ host: target.cluster.host, port: target.cluster.port, database: target.database, user: creds[1].username, password: creds[1].password, application_name: "billing-app" });
    session.on("error", () => undefined);
    await session.connect();
    try {
      let token = "";
      let read = false;
      hooks.afterUsageRead = async () => {
        read = true;
        token = await takeOver(id);
      };
      await sql("UPDATE rotations SET next_rotation_at = now() WHERE id = $1", [id]);
      expect((await a.runner.scheduler.tick()).claimed).toBe(1);
      expect(read).toBe(true);
      const [row] = await sql("SELECT lease_owner, lease_token, rotation_status, held_since, active_index FROM rotations WHERE id = $1", [id]);
      expect(row).toEqual({ lease_owner: "runner-b", lease_token: token, rotation_status: "success", held_since: null, active_index: 0 });
      expect(await sql("SELECT target_index FROM rotation_intents WHERE rotation_id = $1", [id])).toEqual([]);
      expect([await successes(id), await failures(id)]).toEqual([0, 0]);
      for (const c of creds) expect(await canLogin(target.cluster, target.database, c.username, c.password)).toBe(true);
    } finally {
      await session.end();
    }
    await sql("UPDATE rotations SET lease_until = now() - interval '1 second' WHERE id = $1", [id]); // runner-b's lease ends
    await remove(id);
  });

  test("When another runner took the rotation over before this one's commit, then the late commit changes nothing (no flip, no history, the intent stays) and the new holder finishes it with the same password", async () => {
    const id = await create("late-commit");
    const before = await published("late-commit");
    hooks.afterVerify = async () => void (await takeOver(id));
    const res = await a.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect([res.status, res.body.error]).toEqual([409, "LeaseLost"]);
    expect(await published("late-commit")).toEqual(before);
    expect((await sql("SELECT active_index FROM rotations WHERE id = $1", [id]))[0]).toEqual({ active_index: 0 });
    const [intent] = await sql<{ job_id: string }>("SELECT job_id FROM rotation_intents WHERE rotation_id = $1", [id]);
    expect(intent).toBeDefined();
    expect([await successes(id), await failures(id)]).toEqual([0, 0]);
    await sql("UPDATE rotations SET lease_until = now() - interval '1 second' WHERE id = $1", [id]);
    expect(await b.runner.engine.recover({ atStart: false })).toBe(1);
    const history = await sql<{ job_id: string }>("SELECT job_id FROM rotation_history WHERE rotation_id = $1 AND trigger = 'recovery' AND result = 'success'", [id]);
    expect(history).toEqual([{ job_id: intent.job_id }]); // the intent A stored, finished by B
    const after = await published("late-commit");
    expect(await canLogin(target.cluster, target.database, after.username, after.password)).toBe(true);
    expect(await canLogin(target.cluster, target.database, before.username, before.password)).toBe(true);
    await remove(id);
  });

  test("When a rotation takes longer than its lease (a slow target), then its runner renews the lease: another runner cannot take it meanwhile, and it succeeds once", async () => {
    const id = await create("renewed");
    let other: { status: number; error?: string } | undefined;
    hooks.afterAlter = async () => {
      await sleep(LEASE_SECONDS * 1500);
      const res = await b.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
      other = { status: res.status, error: res.body?.error };
      const [row] = await sql<{ ahead: boolean }>("SELECT lease_until > now() AS ahead FROM rotations WHERE id = $1", [id]);
      expect(row.ahead).toBe(true);
      await sleep(LEASE_SECONDS * 1000);
    };
    const res = await a.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect(res.status).toBe(200);
    expect(other).toEqual({ status: 409, error: "Conflict" });
    expect([await successes(id), await failures(id)]).toEqual([1, 0]);
    const pair = await published("renewed");
    expect(await canLogin(target.cluster, target.database, pair.username, pair.password)).toBe(true);
    await remove(id);
  });

  test("When rotations fall due while the runner's workers are busy, then it holds leases only on what its workers run (never more than its concurrency)", async () => {
    const extra = [await target.addRole("x1"), await target.addRole("x2"), await target.addRole("x3"), await target.addRole("x4"), await target.addRole("x5"), await target.addRole("x6")];
    const pairs: Array<[string, string]> = [target.users, [extra[0], extra[1]], [extra[2], extra[3]], [extra[4], extra[5]]];
    const ids = [];
    for (const [i, users] of pairs.entries()) ids.push(await create(`busy-${i}`, users));
    await sql("UPDATE rotations SET next_rotation_at = now() WHERE id = ANY($1)", [ids]);
    let slow = true;
    hooks.afterAlter = () => sleep(slow ? ((slow = false), 1500) : 150); // the first to get there is slow, the others quick
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM rotations WHERE lease_owner = $1 AND lease_until > now()", [a.runner.runnerId]);
        most = Math.max(most, row.n);
        await sleep(15);
      }
    })();
    expect((await a.runner.scheduler.tick()).claimed).toBe(4);
    sampling = false;
    await sampler;
    expect(most).toBeLessThanOrEqual(2);
    for (const id of ids) expect(await successes(id)).toBe(1);
    for (const id of ids) await remove(id);
  });
});
