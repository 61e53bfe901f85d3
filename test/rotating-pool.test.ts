/**
 * pgrotate/pg against a real runner and a database prepared by setupSql(): a pool that follows rotations.
 * Load (forced rotations while workers query through the pool and through Kysely), the change feed switching
 * users ahead of time, errors that must pass through, the runner down for a while, a revoked token, machine
 * identities, and your own credentials function.
 */
import { Kysely, PostgresDialect, sql } from "kysely";
import { createRotatingPool, RunnerApiError, type RotatingPool, type RotatingPoolEvent } from "../pg";
import { cluster, withClient } from "./helpers/pg";
import { preparedDatabase, type PreparedDatabase } from "./helpers/prepared-db";
import { recordFigure, scale } from "./helpers/profile";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { infisicalCreateBody } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const FOLDER = { projectId: "pool", environment: "dev", secretPath: "/" };
const KEYS = { usernameKey: "POSTGRES_DB_USERNAME", passwordKey: "POSTGRES_DB_PASSWORD" };
const APP = "pgrotate-pool-test";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean | Promise<boolean>, ms = 5000, what = "condition", seen?: () => unknown): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms${seen ? `; seen: ${JSON.stringify(seen())}` : ""}`);
    await sleep(10);
  }
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];

describe("pgrotate/pg: a pool that follows rotations", () => {
  let t: TestRunner;
  let db: PreparedDatabase;
  let rotationId: string;
  let readToken: { id: string; secret: string };
  const pools: RotatingPool[] = [];
  const secrets = new Set<string>();

  const poolConfig = (over: Record<string, unknown> = {}) => ({ host: db.cluster.host, port: db.cluster.port, database: db.database, application_name: APP, ...over });
  const rotate = async (force = true) => {
    const res = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets${force ? "?force=true" : ""}`);
    expect(res.status).toBe(200);
  };
  const active = async () => {
    const c = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    for (const x of c.generatedCredentials) secrets.add(x.password);
    return c.generatedCredentials[c.activeIndex] as { username: string; password: string };
  };
  const make = (over: Partial<Parameters<typeof createRotatingPool>[0]> = {}, events: RotatingPoolEvent[] = []) => {
    const pool = createRotatingPool({
      runnerUrl: t.runner.url,
      token: readToken.secret,
      ...FOLDER,
      ...KEYS,
      pool: poolConfig(),
      onEvent: (e) => events.push(e),
      ...over,
    });
    pools.push(pool);
    return pool;
  };
  const sessions = async () =>
    withClient(db.cluster.url(db.database), async (c) =>
      (await c.query<{ usename: string; state: string }>("SELECT usename, state FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", [APP])).rows);

  beforeAll(async () => {
    db = await preparedDatabase(cluster(17), "pool");
    t = await startTestRunner({ logLevel: "warn", keepPortOnRestart: true, feed: { heartbeatMs: 500 } });
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", db.connectionBody());
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, db.users, { projectId: "pool" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
    const tok = await t.api("POST", "/api/v1/auth/tokens", { name: "pool-read", ...FOLDER, permission: "read" });
    readToken = { id: tok.body.token.id, secret: tok.body.secret };
    secrets.add(readToken.secret);
    secrets.add(db.connectionPassword);
  });
  afterEach(async () => {
    for (const p of pools.splice(0)) if (!p.ending) await p.end();
    // Every connection a test's pool opened is closed.
    await until(async () => (await sessions()).length === 0, 5000, "no pool connection left");
  });
  afterAll(async () => {
    for (const p of pools.splice(0)) if (!p.ending) await p.end();
    await t?.stop();
    await db?.drop();
  });

  test(`When ${scale(100, 300)} forced rotations happen while 20 workers query through the pool (10 with pg's API, 10 through Kysely), half of them back to back, then no query fails and the pool ends on the active user`, async () => {
    const events: RotatingPoolEvent[] = [];
    const switchedAt: number[] = [];
    const pool = make({ pool: poolConfig({ max: 10 }), onEvent: (e) => (events.push(e), e.type === "switched" && switchedAt.push(performance.now())) });
    const kysely = new Kysely<Record<string, never>>({ dialect: new PostgresDialect({ pool }) });
    const rotations = scale(100, 300);
    let done = false;
    let queries = 0;
    const failures: string[] = [];
    const servedBy = new Set<string>();
    const worker = async (w: number) => {
      for (let i = 0; !done; i++) {
        try {
          let user: string;
          if (w < 10) {
            if (i % 3 === 2) {
              // connect + release, with a transaction on the connection
              const c = await pool.connect();
              try {
                await c.query("BEGIN");
                user = (await c.query<{ u: string }>("SELECT session_user AS u, $1::int AS n", [i])).rows[0].u;
                await c.query("COMMIT");
              } finally {
                c.release();
              }
            } else {
              user = (await pool.query<{ u: string }>("SELECT session_user AS u, $1::int AS n", [i])).rows[0].u;
            }
          } else if (i % 2) {
            user = (await sql<{ u: string }>`SELECT session_user AS u, ${i}::int AS n`.execute(kysely)).rows[0].u;
          } else {
            user = await kysely.transaction().execute(async (trx) => (await sql<{ u: string }>`SELECT session_user AS u`.execute(trx)).rows[0].u);
          }
          servedBy.add(user);
          queries++;
        } catch (err) {
          failures.push(`${(err as { code?: string }).code ?? ""} ${(err as Error).message}`);
        }
      }
    };
    await pool.query("SELECT 1");
    const started = performance.now();
    const workers = Array.from({ length: 20 }, (_, w) => worker(w));
    const switchMs: number[] = [];
    try {
      for (let r = 0; r < rotations; r++) {
        const before = switchedAt.length;
        await rotate(true);
        const committed = performance.now();
        if (r < rotations / 2) {
          // First half: time from the rotation's answer (its commit) to the pool logging new connections in as the new user.
          await until(() => switchedAt.length > before, 5000, "the pool switched users");
          switchMs.push(switchedAt[switchedAt.length - 1] - committed);
          await sleep(Math.random() * 20);
        }
        // Second half: back to back, faster than any grace period allows, so pairs go stale under the workers.
      }
      await sleep(200);
    } finally {
      done = true;
      await Promise.all(workers);
    }
    const seconds = (performance.now() - started) / 1000;
    const now = await active();
    await until(() => pool.username === now.username, 5000, "the pool is on the active user");
    await until(async () => (await sessions()).every((s) => s.usename === now.username), 5000, "only the active user's connections are left");
    const refused = events.filter((e) => e.type === "login-refused").length;
    const viaFeed = events.filter((e) => e.type === "credentials" && e.reason === "feed" && e.changed).length;
    recordFigure("pool", "forced rotations while 20 workers query (pg + Kysely)", rotations);
    recordFigure("pool", "queries through the pool", queries);
    recordFigure("pool", "failed queries", failures.length, "0");
    recordFigure("pool", "logins refused, then retried with the re-read pair", refused);
    recordFigure("pool", "switches learnt from the change feed", viaFeed);
    recordFigure("pool", "rotation answered → pool on the new user (first half), p50 / p99 ms", `${pct(switchMs, 50).toFixed(1)} / ${pct(switchMs, 99).toFixed(1)}`);
    recordFigure("pool", "seconds under load", seconds.toFixed(1));
    expect(failures).toEqual([]);
    expect(servedBy).toEqual(new Set(db.users));
    expect(queries).toBeGreaterThan(rotations * 5);
    await active();
    const shown = JSON.stringify(events) + failures.join("\n");
    for (const secret of secrets) expect(shown).not.toContain(secret);
    await kysely.destroy(); // ends the pool (and its change feed)
    pools.splice(pools.indexOf(pool), 1);
  }, scale(120_000, 900_000));

  test("When a rotation happens, the change feed switches the pool to the new user before any login fails, and idle connections of the old user are closed", async () => {
    const events: RotatingPoolEvent[] = [];
    const pool = make({}, events);
    await Promise.all(Array.from({ length: 5 }, () => pool.query("SELECT pg_sleep(0.05)")));
    const old = pool.username!;
    expect((await sessions()).filter((s) => s.usename === old)).toHaveLength(5);
    await rotate(true);
    await until(() => events.some((e) => e.type === "switched"), 5000, "switched");
    const sw = events.find((e) => e.type === "switched") as Extract<RotatingPoolEvent, { type: "switched" }>;
    expect(sw).toMatchObject({ from: old, closedIdle: 5 });
    expect(events.find((e) => e.type === "credentials" && e.changed && e.reason !== "initial")).toMatchObject({ reason: "feed" });
    expect(events.some((e) => e.type === "login-refused")).toBe(false);
    expect((await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u).toBe(sw.to);
    await until(async () => (await sessions()).every((s) => s.usename === sw.to), 3000, "old connections closed");
  });

  test("A connection of the old user that is busy during a switch finishes its work and is closed when released", async () => {
    const pool = make();
    const held = await pool.connect();
    const old = pool.username!;
    await rotate(true);
    await until(() => pool.username !== old, 5000, "switched");
    expect((await held.query<{ u: string }>("SELECT session_user AS u")).rows[0].u).toBe(old);
    held.release();
    await until(async () => !(await sessions()).some((s) => s.usename === old), 3000, "released connection closed");
    expect(pool.totalCount).toBe(0);
  });

  test("Errors that are not about credentials pass through untouched and trigger no re-read", async () => {
    const events: RotatingPoolEvent[] = [];
    const pool = make({}, events);
    const err = await pool.query("SELEC 1").catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "42601", message: 'syntax error at or near "SELEC"' });
    expect(err!.constructor.name).toBe("DatabaseError");
    const missing = make({ pool: poolConfig({ database: "no_such_database_here" }) }, events);
    const e2 = await missing.query("SELECT 1").catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: "3D000" });
    expect(events.filter((e) => e.type === "credentials" && e.reason !== "initial" && e.reason !== "feed")).toEqual([]);
    expect(events.some((e) => e.type === "login-refused")).toBe(false);
  });

  test("A login refused with a stale pair (no change feed) triggers one shared re-read and a retry: 20 concurrent new connections all succeed", async () => {
    const events: RotatingPoolEvent[] = [];
    const pool = make({ changeFeed: false, pool: poolConfig({ max: 20 }) }, events);
    await pool.query("SELECT 1");
    const first = pool.username;
    await endIdle(pool);
    await rotate(true);
    await rotate(true); // the pool's user now has a new password
    const users = await Promise.all(Array.from({ length: 20 }, async () => (await pool.query<{ u: string }>("SELECT session_user AS u, pg_sleep(0.02)")).rows[0].u));
    expect(new Set(users).size).toBe(1);
    expect(users[0]).toBe(first);
    expect(events.filter((e) => e.type === "credentials" && e.reason === "login-refused")).toHaveLength(1);
    expect(events.filter((e) => e.type === "login-refused").length).toBeGreaterThanOrEqual(1);
  });

  test("The runner down for a while: existing connections keep working, new ones use the held pair; once that pair is rotated away new connections fail clearly naming the runner; after it is back the pool recovers by itself", async () => {
    const sibling = await startTestRunner({ storeOf: t, logLevel: "warn" });
    try {
      const events: RotatingPoolEvent[] = [];
      const pool = make({ pool: poolConfig({ max: 4 }) }, events);
      await pool.query("SELECT 1");
      const held = await pool.connect();
      const heldUser = pool.username!;
      await t.runner.stop();
      // Existing connections work, and new ones log in with the pair the pool holds.
      for (let i = 0; i < 20; i++) await pool.query("SELECT 1");
      await endIdle(pool);
      expect((await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u).toBe(heldUser);
      // A fresh pool cannot get any credentials: a clear error naming the runner, at once.
      const fresh = make();
      const t0 = Date.now();
      const freshErr = await fresh.query("SELECT 1").catch((e: unknown) => e);
      expect(freshErr).toBeInstanceOf(RunnerApiError);
      expect((freshErr as Error).message).toContain(`Could not reach the pgrotate runner at ${t.runner.url}`);
      expect(Date.now() - t0).toBeLessThan(3000);
      // Two rotations on the other runner: the held user's password changes while this pool's runner is down.
      for (let i = 0; i < 2; i++) expect((await fetch(`${sibling.runner.url}${ROTATIONS}/${rotationId}/rotate-secrets?force=true`, { method: "POST", headers: { authorization: `Bearer ${t.runner.adminToken}` } })).status).toBe(200);
      await endIdle(pool);
      const stale = await pool.query("SELECT 1").catch((e: unknown) => e);
      expect(stale).toBeInstanceOf(RunnerApiError);
      expect((stale as Error).message).toMatch(new RegExp(`refused the login of "${heldUser}" \\(28P01\\).*Could not reach the pgrotate runner at ${t.runner.url.replace(/[.]/g, "\\.")}`));
      expect(events.find((e) => e.type === "refresh-failed")).toMatchObject({ reason: "login-refused", error: expect.stringContaining(t.runner.url) });
      // The connection made before the outage still works: a password change never cuts a session.
      expect((await held.query<{ u: string }>("SELECT session_user AS u")).rows[0].u).toBe(heldUser);
      held.release();
      await t.restart();
      expect((await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u).toBe((await active()).username);
      expect((await fresh.query("SELECT 1")).rowCount).toBe(1);
      // The change feed is back too: the next rotation is followed ahead of time.
      // The feed retries with backoff (at most 10 s apart, with jitter) while the runner is away.
      const feedStates = () => events.filter((e) => e.type === "feed");
      await until(() => events.filter((e) => e.type === "feed" && e.state === "connected").length >= 2, 30_000, "feed reconnected", feedStates);
      const before = events.filter((e) => e.type === "switched").length;
      await rotate(true);
      await until(() => events.filter((e) => e.type === "switched").length > before, 5000, "switch after restart");
      expect(JSON.stringify(events) + String(stale) + String(freshErr)).not.toContain((await active()).password);
    } finally {
      await sibling.stop();
    }
  }, 60_000);

  test("A revoked token is a clear error naming the runner, not a hang", async () => {
    const tok = (await t.api("POST", "/api/v1/auth/tokens", { name: "pool-revoked", ...FOLDER, permission: "read" })).body;
    const pool = make({ token: tok.secret, changeFeed: false });
    await pool.query("SELECT 1");
    expect((await t.api("DELETE", `/api/v1/auth/tokens/${tok.token.id}`)).status).toBe(200);
    await endIdle(pool);
    await rotate(true);
    await rotate(true);
    const t0 = Date.now();
    const err = await pool.query("SELECT 1").catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(err).toBeInstanceOf(RunnerApiError);
    expect((err as Error).message).toContain(`pgrotate runner GET ${t.runner.url}/api/v3/secrets/raw answered 401: Invalid, expired or revoked token`);
    expect((err as Error).message).not.toContain(tok.secret);
    const fresh = make({ token: tok.secret });
    await expect(fresh.query("SELECT 1")).rejects.toThrow(/answered 401/);
  });

  test("With a machine identity it logs in, and logs in again when its access token stops working", async () => {
    const identity = (await t.api("POST", "/api/v1/auth/identities", { name: "pool-app", ...FOLDER, permission: "read" })).body;
    secrets.add(identity.clientSecret);
    const events: RotatingPoolEvent[] = [];
    const pool = make({ token: undefined, identity: { clientId: identity.clientId, clientSecret: identity.clientSecret }, changeFeed: false }, events);
    await pool.query("SELECT 1");
    // Revoke the access token the pool got (not the identity): the next read is refused, the pool logs in again.
    const tokens = (await t.api("GET", "/api/v1/auth/tokens")).body.tokens as Array<{ id: string; identityId: string | null; revokedAt: string | null }>;
    for (const x of tokens.filter((k) => k.identityId === identity.identity.id && !k.revokedAt)) await t.api("DELETE", `/api/v1/auth/tokens/${x.id}`);
    await pool.refresh();
    expect(pool.username).toBe((await active()).username);
    expect(JSON.stringify(events)).not.toContain(identity.clientSecret);
  });

  test("With a credentials function instead of a runner, a refused login calls it again", async () => {
    let calls = 0;
    const stale = { username: db.users[0], password: "not-the-password" };
    const pool = make({ runnerUrl: undefined, token: undefined, ...{ usernameKey: undefined, passwordKey: undefined }, credentials: async () => (++calls === 1 ? stale : { username: (await active()).username, password: (await active()).password }) });
    expect((await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u).toBe((await active()).username);
    expect(calls).toBe(2);
  });

  test("Bad options are refused at once with a clear message", () => {
    expect(() => createRotatingPool({ runnerUrl: "ftp://x", token: "t", ...KEYS })).toThrow(/must start with http/);
    expect(() => createRotatingPool({ runnerUrl: t.runner.url, ...KEYS })).toThrow(/either token or identity/);
    expect(() => createRotatingPool({ runnerUrl: t.runner.url, token: "t", ...KEYS, pool: { user: "x" } as never })).toThrow(/pool.user is set by the rotating pool/);
  });
});

/** Closes the pool's idle connections so the next query must log in. */
async function endIdle(pool: RotatingPool): Promise<void> {
  const internals = pool as unknown as { _idle: Array<{ client: unknown }>; _remove(c: unknown): void };
  for (const item of [...internals._idle]) internals._remove(item.client);
  await until(() => pool.idleCount === 0, 2000, "idle closed");
}
