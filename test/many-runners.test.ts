/**
 * Three runner processes on one external store, 200 rotations due at once, one runner SIGKILLed mid-batch:
 * every rotation runs exactly once, none is lost.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiOf } from "./helpers/http";
import { canLogin, cluster, createDatabase, withClient } from "./helpers/pg";
import { startRunnerProcess, stopRunnerProcess, type RunnerProcess } from "./helpers/process";

const N = 200;
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Many runners on one external store", () => {
  const c = cluster();
  const tag = crypto.randomBytes(3).toString("hex");
  const userA = (i: number) => `mr${tag}_a_${i}`;
  const userB = (i: number) => `mr${tag}_b_${i}`;
  const admin = { user: `mr${tag}_admin`, password: crypto.randomBytes(16).toString("hex") };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-many-"));
  const procs: RunnerProcess[] = [];
  let store: Awaited<ReturnType<typeof createDatabase>>;
  let target: Awaited<ReturnType<typeof createDatabase>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    store = await createDatabase(c, "many_store");
    target = await createDatabase(c, "many_target");
    await withClient(target.url, async (cl) => {
      await cl.query(`CREATE ROLE ${admin.user} LOGIN SUPERUSER PASSWORD '${admin.password}'`);
      const names = Array.from({ length: N }, (_, i) => [userA(i), userB(i)]).flat();
      await cl.query(`DO $$ BEGIN ${names.map((u) => `CREATE ROLE ${u} LOGIN;`).join(" ")} END $$`);
      await cl.query(`ALTER DATABASE ${target.name} SET log_statement = 'all'`);
    });
    env = {
      PGROTATE_DATABASE_URL: store.url,
      PGROTATE_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
      PGROTATE_ADMIN_TOKEN: "many-runners-token-" + crypto.randomBytes(8).toString("hex"),
      PGROTATE_PORT: "0",
      PGROTATE_LEASE_SECONDS: "5",
      PGROTATE_LOG_LEVEL: "warn",
    };
  });

  afterAll(async () => {
    for (const p of procs) await stopRunnerProcess(p, "SIGKILL");
    await withClient(c.url(target.name), async (cl) => {
      await cl.query(`ALTER DATABASE ${target.name} RESET log_statement`);
    }).catch(() => undefined);
    await target.drop();
    await withClient(c.url(), async (cl) => {
      const names = [admin.user, ...Array.from({ length: N }, (_, i) => [userA(i), userB(i)]).flat()];
      await cl.query(`DO $$ BEGIN ${names.map((u) => `DROP ROLE IF EXISTS ${u};`).join(" ")} END $$`);
    });
    await store.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const start = async (i: number) => {
    const p = await startRunnerProcess({ ...env, PGROTATE_DATA_DIR: path.join(work, `runner-${i}`) });
    procs.push(p);
    return p;
  };

  test("When 200 rotations fall due at once on three runners and one is SIGKILLed mid-batch, then every rotation runs exactly once", async () => {
    const first = await start(0);
    const call = apiOf(() => first.url, () => env.PGROTATE_ADMIN_TOKEN);
    const api = async (method: string, p: string, body?: unknown) => {
      const res = await call(method, p, body);
      if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${res.body?.message}`);
      return res.body;
    };
    const conn = await api("POST", "/api/v1/app-connections/postgres", {
      name: "many", method: "username-and-password",
      credentials: { host: c.host, port: c.port, database: target.name, username: admin.user, password: admin.password },
    });
    const logStart = fs.statSync(c.logFile).size;
    for (let i = 0; i < N; i++) {
      await api("POST", ROTATIONS, {
        name: `r-${i}`, connectionId: conn.appConnection.id, rotationInterval: 30,
        parameters: { username1: userA(i), username2: userB(i) }, secretsMapping: { username: `U_${i}`, password: `P_${i}` },
      });
    }
    // Two more runners join; then all 200 fall due at the same instant (each runner's timer wakes for it).
    const [second, third] = await Promise.all([start(1), start(2)]);
    await withClient(store.url, (cl) => cl.query("UPDATE rotations SET next_rotation_at = now()"));

    const done = (runnerId?: string) => withClient(store.url, async (cl) => Number((await cl.query(
      "SELECT count(*) FROM rotation_history WHERE trigger <> 'create' AND result = 'success' AND ($1::text IS NULL OR runner_id = $1)", [runnerId ?? null])).rows[0].count));
    const killedId = fs.readFileSync(path.join(work, "runner-1", "runner.id"), "utf8").trim();
    for (let i = 0; i < 400 && (await done(killedId)) < 5 && (await done()) < N; i++) await new Promise((r) => setTimeout(r, 10));
    const killedDone = await done(killedId);
    await stopRunnerProcess(second, "SIGKILL"); // mid-batch: its claims are given back when their 5 s lease expires
    const doneAtKill = await done();

    const deadline = Date.now() + 60000;
    while ((await done()) < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

    const rows = await withClient(store.url, async (cl) => (await cl.query(
      `SELECT r.name, r.active_index, (SELECT count(*) FROM rotation_history h WHERE h.rotation_id = r.id AND h.trigger <> 'create' AND h.result = 'success')::int AS runs
       FROM rotations r`)).rows);
    expect(rows).toHaveLength(N);
    expect(rows.filter((r) => r.runs !== 1)).toEqual([]);
    expect(rows.every((r) => r.active_index === 1)).toBe(true);
    const byRunner = await withClient(store.url, async (cl) => (await cl.query("SELECT runner_id, count(*)::int AS n FROM rotation_history WHERE trigger <> 'create' GROUP BY 1")).rows);
    expect(byRunner.filter((r) => r.n > 0).length).toBeGreaterThanOrEqual(2);

    // From the target's own log: user B of each rotation had its password set by create and by exactly one
    // rotation. A rotation the killed runner had in hand may be rolled forward with the same password (one
    // more ALTER of the same password), never more than the killed runner's concurrency.
    const log = fs.readFileSync(c.logFile, "utf8").slice(logStart);
    const alters = (u: string) => log.split(`ALTER ROLE "${u}" WITH PASSWORD`).length - 1;
    const counts = Array.from({ length: N }, (_, i) => [alters(userA(i)), alters(userB(i))]);
    expect(counts.filter(([a]) => a !== 1)).toEqual([]);
    expect(counts.filter(([, b]) => b < 2 || b > 3)).toEqual([]);
    expect(counts.filter(([, b]) => b === 3).length).toBeLessThanOrEqual(8);
    // The killed runner was working when it died, and the batch was not finished.
    expect(killedDone).toBeGreaterThanOrEqual(5);
    expect(doneAtKill).toBeLessThan(N);

    // And every stored password logs in.
    for (let i = 0; i < N; i += 1) {
      const { id } = (await api("GET", `${ROTATIONS}/rotation-name/r-${i}`)).secretRotation;
      const creds = (await api("GET", `${ROTATIONS}/${id}/generated-credentials`)).generatedCredentials;
      for (const x of creds) expect(await canLogin(c, target.name, x.username, x.password)).toBe(true);
    }
    expect(await stopRunnerProcess(third)).toBe(0);
    expect(await stopRunnerProcess(first)).toBe(0);
  }, 180000);
});
