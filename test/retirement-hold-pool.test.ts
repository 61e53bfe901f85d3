/**
 * Retirement hold, the consumer half (issue 25): a `pgrotate/pg` pool that still holds a connection as the user a
 * rotation would retire is named by its app name — in the 409 a manual rotation gets, in `GET …?include=usage`,
 * and in the held status of a scheduled one — and once it lets go, the rotation proceeds. Real PostgreSQL, a real
 * runner (a fake clock for the schedule and the grace guard), a real pool following the change feed.
 */
import { createRotatingPool, type RotatingPool } from "../pg";
import { fakeClock } from "./helpers/clock";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { until } from "./helpers/until";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const FOLDER = { projectId: "holdpool", environment: "dev", secretPath: "/pool" };
const MINUTE = 60_000;

describe("Retirement hold: a pgrotate/pg pool still on the retiring user is named by its app name", () => {
  let target: Target;
  let t: TestRunner;
  let pool: RotatingPool | undefined;
  const clock = fakeClock("2031-05-12T10:00:00Z");

  beforeAll(async () => {
    target = await createTarget({ prefix: "holdpool" });
    t = await startTestRunner({ clock: clock.now, startScheduler: false, logLevel: "warn", feed: { heartbeatMs: 500 } });
  });
  afterAll(async () => {
    if (pool && !pool.ending) await pool.end();
    await t?.stop();
    await target?.drop();
  });

  test("When a billing-app pool keeps a connection as the user the next rotation would change, then a manual rotation is refused naming billing-app as a consumer, usage shows it, a scheduled run is held by it, and once the pool lets go the rotation proceeds", async () => {
    const connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "pool-hold", ...FOLDER, rotationInterval: 1 }));
    expect(created.status).toBe(200);
    const id: string = created.body.secretRotation.id;
    const token = (await t.api("POST", "/api/v1/auth/tokens", { name: "billing-read", ...FOLDER, permission: "read" })).body.secret as string;
    const [user1, user2] = target.users;

    pool = createRotatingPool({
      runnerUrl: t.runner.url,
      token,
      ...FOLDER,
      usernameKey: "POSTGRES_DB_USERNAME",
      passwordKey: "POSTGRES_DB_PASSWORD",
      appName: "billing-app",
      pool: { host: target.cluster.host, port: target.cluster.port, database: target.database },
    });
    // The app holds a connection (a long transaction, say) as the active user, user1.
    const held = await pool.connect();
    expect((await held.query<{ u: string }>("SELECT session_user AS u")).rows[0].u).toBe(user1);

    // A rotation makes user2 active; the pool follows it, but its open connection is still user1's.
    const first = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect([first.status, first.body.secretRotation?.activeIndex]).toEqual([200, 1]);
    await until(async () => (await pool!.query<{ u: string }>("SELECT session_user AS u")).rows[0].u, (u) => u === user2, 10_000, "the pool follows the rotation");
    clock.add(11 * MINUTE); // past the grace guard: only the hold can stop the next rotation now

    const usage = await until(
      async () => (await t.api("GET", `${ROTATIONS}/${id}?include=usage`)).body.usage,
      (u) => u?.users?.find((x: { username: string }) => x.username === user1)?.consumers.length > 0,
      10_000,
      "the pool is reported as using user1",
    );
    const retiring = usage.users.find((x: { username: string }) => x.username === user1);
    expect(retiring).toMatchObject({ active: false, consumers: [{ appName: "billing-app" }] });
    expect(usage.users.find((x: { username: string }) => x.username === user2)).toMatchObject({ active: true, consumers: [{ appName: "billing-app" }] });

    const refused = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe("RetiringUserInUse");
    expect(refused.body.details).toMatchObject({ username: user1, consumers: ["billing-app"] });
    expect(refused.body.message).toContain("billing-app");

    // The scheduled run, when due, is held by it.
    clock.set((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation.nextRotationAt);
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    const heldRow = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    expect(heldRow).toMatchObject({ rotationStatus: "held", activeIndex: 1 });
    expect(heldRow.heldBy).toContain("billing-app");

    // The app lets go of its old connection: the pool says so at once, and the next look proceeds.
    held.release();
    await until(async () => (await t.api("GET", `${ROTATIONS}/${id}?include=usage`)).body.usage.users.find((x: { username: string }) => x.username === user1),
      (u) => u.consumers.length === 0 && u.sessions.count === 0, 10_000, "user1 is free");
    clock.set(heldRow.nextRotationAt);
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    const done = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    expect(done).toMatchObject({ rotationStatus: "success", activeIndex: 0, heldSince: null, heldBy: null });
    // The app never noticed: its pool follows to user1 with the new password.
    await until(async () => (await pool!.query<{ u: string }>("SELECT session_user AS u")).rows[0].u, (u) => u === user1, 10_000, "the pool follows again");
  });
});
