/**
 * Retirement hold (issue 25): before the password of the user that is not active changes, the runner looks at who
 * still uses it — its sessions on the target, the registered consumers — and holds a scheduled rotation (status
 * held, webhook rotation.held, re-checked within a minute) or refuses a manual one (409 RetiringUserInUse), unless
 * forced, maxHoldHours is 0, or the hold ran out. Real PostgreSQL, a fake clock for the scheduler.
 */
import { Client } from "pg";
import { runCli } from "./helpers/cli";
import { fakeClock } from "./helpers/clock";
import { rotationCalls, startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("Retirement hold: a user someone still uses keeps its password", () => {
  let target: Target;
  let t: TestRunner;
  let hook: WebhookReceiver;
  let connectionId: string;
  const clock = fakeClock(new Date("2031-03-10T15:30:00Z"));
  const sessions: Client[] = [];
  let n = 0;

  const create = async (over: Record<string, unknown> = {}) => {
    n++;
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: `hold-${n}`, secretPath: `/hold-${n}`, rotationInterval: 1, ...over }));
    expect([res.status, res.body.message]).toEqual([200, undefined]);
    return res.body.secretRotation as { id: string; nextRotationAt: string; maxHoldHours: number };
  };
  const { get, history, remove } = rotationCalls(() => t);
  /** A session as the rotation's user `idx` (with its current password), as an application named `app` would open it. */
  const openSession = async (id: string, idx: 0 | 1, app: string) => {
    const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials[idx];
    const c = new Client({ host: target.cluster.host, port: target.cluster.port, database: target.database, user: creds.username, password: creds.password, application_name: app });
    c.on("error", () => undefined);
    await c.connect();
    sessions.push(c);
    return c;
  };
  const close = async (c: Client) => {
    await c.end();
    sessions.splice(sessions.indexOf(c), 1);
  };
  const heldEvents = () => hook.deliveries.map((d) => JSON.parse(d.body)).filter((e) => e.type === "rotation.held");
  const monitor = (grant: boolean) => target.sql(grant ? `GRANT pg_monitor TO "${target.admin.username}"` : `REVOKE pg_monitor FROM "${target.admin.username}"`);

  beforeAll(async () => {
    target = await createTarget({ prefix: "hold" });
    await monitor(true);
    hook = await startWebhookReceiver();
    t = await startTestRunner({ clock: clock.now, startScheduler: false, webhook: { url: hook.url, secret: "hold-webhook-secret-1234" } });
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterEach(async () => {
    for (const c of sessions.splice(0)) await c.end().catch(() => undefined);
  });
  afterAll(async () => {
    await t?.stop();
    await hook?.close();
    await target?.drop();
  });

  test("When billing-app keeps a session open as the retiring user, then the scheduled rotation is held (status, heldBy, history, one rotation.held webhook, metric) and proceeds on the next re-check, within a minute, once the session closes", async () => {
    clock.set("2031-03-10T15:30:00Z");
    const r = await create();
    expect(r.maxHoldHours).toBe(24);
    const session = await openSession(r.id, 1, "billing-app");
    const due = Date.parse(r.nextRotationAt);
    clock.set(due);
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    const held = await get(r.id);
    expect(held).toMatchObject({ rotationStatus: "held", activeIndex: 0, heldSince: new Date(due).toISOString(), nextRotationAt: new Date(due + 15_000).toISOString() });
    expect(held.heldBy).toContain('"billing-app"');
    expect(held.heldBy).toContain(target.users[1]);
    expect((await history(r.id)).map((h) => h.trigger)).toEqual(["create"]);

    // Re-checked while it is still there: still held, since the same instant, the next look a little later; no second webhook.
    clock.set(due + 15_000);
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    expect(await get(r.id)).toMatchObject({ rotationStatus: "held", heldSince: new Date(due).toISOString(), nextRotationAt: new Date(due + 30_000).toISOString() });
    await hook.waitFor(1);
    await sleep(200);
    expect(heldEvents()).toHaveLength(1);
    expect(heldEvents()[0]).toMatchObject({ rotationId: r.id, message: expect.stringContaining("billing-app") });
    const metrics = (await t.api("GET", "/metrics", undefined, { token: null })).text;
    expect(metrics).toMatch(/^pgrotate_rotations_held 1$/m);
    expect(metrics).toMatch(/^pgrotate_rotation_holds_total 1$/m);
    expect(metrics).toMatch(/^pgrotate_rotation_held_longest_seconds 15$/m);

    await close(session);
    const recheck = Date.parse((await get(r.id)).nextRotationAt);
    expect(recheck - (due + 15_000)).toBeLessThanOrEqual(60_000);
    clock.set(recheck);
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    expect(await get(r.id)).toMatchObject({ rotationStatus: "success", activeIndex: 1, heldSince: null, heldBy: null });
    const [entry] = await history(r.id);
    expect(entry).toMatchObject({ result: "success", trigger: "scheduled", targetIndex: 1 });
    expect(entry.message).toMatch(/^Held from 2031-03-12T00:00:00.000Z .*billing-app.*proceeded once the user was free$/);
    await remove(r.id);
  });

  test("When maxHoldHours is not a whole number from 0 to 720, then create and PATCH answer 422 naming it; a good PATCH changes it", async () => {
    const bad = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "hold-bad", maxHoldHours: 721 }));
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual([{ path: "maxHoldHours", message: "maxHoldHours must be at most 720 (30 days)" }]);
    clock.set("2031-02-10T15:30:00Z");
    const r = await create();
    for (const [value, message] of [[-1, "maxHoldHours must be at least 0 (0 = never hold)"], [1.5, "maxHoldHours must be a whole number of hours from 0 to 720"], ["24", "maxHoldHours must be a whole number of hours from 0 to 720"]] as const) {
      const res = await t.api("PATCH", `${ROTATIONS}/${r.id}`, { maxHoldHours: value });
      expect([res.status, res.body.details]).toEqual([422, [{ path: "maxHoldHours", message }]]);
    }
    expect((await t.api("PATCH", `${ROTATIONS}/${r.id}`, { maxHoldHours: 2 })).body.secretRotation.maxHoldHours).toBe(2);
    expect((await get(r.id)).maxHoldHours).toBe(2);
    await remove(r.id);
  });

  test("When auto-rotation is switched off while a rotation is held, then the hold ends (status success, no heldSince); a manual rotation with force then rotates", async () => {
    clock.set("2031-09-10T15:30:00Z");
    const r = await create();
    await openSession(r.id, 1, "billing-app");
    clock.set(r.nextRotationAt);
    await t.runner.scheduler.tick();
    expect((await get(r.id)).rotationStatus).toBe("held");
    const off = (await t.api("PATCH", `${ROTATIONS}/${r.id}`, { isAutoRotationEnabled: false })).body.secretRotation;
    expect(off).toMatchObject({ rotationStatus: "success", heldSince: null, heldBy: null, nextRotationAt: null, activeIndex: 0 });
    expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`)).body.error).toBe("RetiringUserInUse");
    expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`)).body.secretRotation.activeIndex).toBe(1);
    await remove(r.id);
  });

  test("When maxHoldHours is 0, then a scheduled rotation does not wait for a session on the retiring user", async () => {
    clock.set("2031-04-10T15:30:00Z");
    const r = await create({ maxHoldHours: 0 });
    await openSession(r.id, 1, "billing-app");
    clock.set(r.nextRotationAt);
    await t.runner.scheduler.tick();
    expect(await get(r.id)).toMatchObject({ rotationStatus: "success", activeIndex: 1, heldSince: null });
    await remove(r.id);
  });

  test("When the hold lasts maxHoldHours, then the rotation proceeds, logs a warning and records who was still on the user", async () => {
    clock.set("2031-05-10T15:30:00Z");
    const r = await create({ maxHoldHours: 1 });
    await openSession(r.id, 1, "billing-app");
    const due = Date.parse(r.nextRotationAt);
    clock.set(due);
    await t.runner.scheduler.tick();
    expect((await get(r.id)).rotationStatus).toBe("held");
    clock.set(due + HOUR - 1000);
    await t.runner.scheduler.tick();
    const last = await get(r.id);
    expect(last).toMatchObject({ rotationStatus: "held", nextRotationAt: new Date(due + HOUR).toISOString() });
    clock.set(due + HOUR);
    await t.runner.scheduler.tick();
    expect(await get(r.id)).toMatchObject({ rotationStatus: "success", activeIndex: 1, heldSince: null, heldBy: null });
    const [entry] = await history(r.id);
    expect(entry).toMatchObject({ result: "success", targetIndex: 1 });
    expect(entry.message).toMatch(/hold ran out.*billing-app/);
    expect(t.logs.some((l) => /"level":(40|"warn")/.test(l) && l.includes("hold ran out") && l.includes("billing-app"))).toBe(true);
    await remove(r.id);
  });

  test("When someone is on the retiring user, then a manual rotation answers 409 RetiringUserInUse naming them and writes nothing; with force=true it rotates", async () => {
    clock.set("2031-06-10T15:30:00Z");
    const r = await create();
    await openSession(r.id, 1, "billing-app");
    await openSession(r.id, 1, "billing-app");
    const before = await get(r.id);
    const refused = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: "RetiringUserInUse",
      details: { reason: "retiring-user-in-use", username: target.users[1], sessions: 2, hiddenSessions: 0, applications: [{ applicationName: "billing-app", count: 2 }], consumers: [] },
    });
    expect(refused.body.message).toContain('"billing-app"');
    expect(refused.body.message).toContain("force=true");
    expect(await get(r.id)).toEqual(before);
    expect((await history(r.id)).map((h) => h.trigger)).toEqual(["create"]);
    const forced = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`);
    expect([forced.status, forced.body.secretRotation?.activeIndex]).toEqual([200, 1]);
    await remove(r.id);
  });

  test("When an application is named 'pgrotate' (npm's package name of a pgrotate checkout), then its session on the retiring user is counted; only 'pgrotate runner', the runner's own logins, is left out", async () => {
    clock.set("2031-06-20T15:30:00Z");
    const r = await create();
    const runnerLike = await openSession(r.id, 1, "pgrotate runner");
    const app = await openSession(r.id, 1, "pgrotate");
    const refused = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`);
    expect([refused.status, refused.body.details?.sessions, refused.body.details?.applications]).toEqual([409, 1, [{ applicationName: "pgrotate", count: 1 }]]);
    await close(app);
    const rotated = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`);
    expect([rotated.status, rotated.body.secretRotation?.activeIndex]).toEqual([200, 1]);
    await close(runnerLike);
    await remove(r.id);
  });

  test("When asked with include=usage, then GET (and pgrotate rotations get) names who uses each user; a plain GET does not read the target; the CLI sets --max-hold-hours", async () => {
    clock.set("2031-07-10T15:30:00Z");
    const r = await create();
    await openSession(r.id, 1, "billing-app");
    await openSession(r.id, 0, "orders-app");
    const res = await t.api("GET", `${ROTATIONS}/${r.id}?include=usage`);
    expect(res.status).toBe(200);
    const [u1, u2] = res.body.usage.users;
    expect(u1).toMatchObject({ username: target.users[0], active: true, sessions: { count: 1, hidden: 0, clients: [{ applicationName: "orders-app", count: 1, visible: true }] }, consumers: [] });
    expect(u2).toMatchObject({ username: target.users[1], active: false, sessions: { count: 1, hidden: 0, clients: [{ applicationName: "billing-app", count: 1, visible: true }] } });
    expect(Date.parse(u2.sessions.clients[0].since)).not.toBeNaN();
    expect((await t.api("GET", `${ROTATIONS}/${r.id}`)).body.usage).toBeUndefined();
    expect((await t.api("GET", `${ROTATIONS}/${r.id}?include=everything`)).status).toBe(422);
    // The CLI shows both users with who uses each, and sets maxHoldHours.
    const env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken };
    const shown = await runCli(["rotations", "get", r.id], { env });
    expect(shown.stdout).toMatch(new RegExp(`Uses ${target.users[0]} \\(active\\)\\s+sessions: orders-app from [0-9.:a-f]+ \\(1\\); no consumers`));
    expect(shown.stdout).toMatch(new RegExp(`Uses ${target.users[1]}\\s+sessions: billing-app from [0-9.:a-f]+ \\(1\\); no consumers`));
    const updated = await runCli(["--json", "rotations", "update", r.id, "--max-hold-hours", "0"], { env });
    expect([updated.code, JSON.parse(updated.stdout).maxHoldHours]).toEqual([0, 0]);
    expect((await runCli(["rotations", "update", r.id, "--max-hold-hours", "-1"], { env })).stderr).toMatch(/at least 0/);
    await remove(r.id);
  });

  test("When the connection role lacks pg_monitor, then creating a rotation warns with the GRANT, and a session on the retiring user is still counted (hidden) and the rotation holds", async () => {
    clock.set("2031-08-10T15:30:00Z");
    await monitor(false);
    try {
      const made = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "hold-hidden", secretPath: "/hold-hidden", rotationInterval: 1 }));
      expect(made.status).toBe(200);
      expect(made.body.warnings).toEqual([expect.stringContaining(`GRANT pg_monitor TO "${target.admin.username}";`)]);
      const r = made.body.secretRotation as { id: string; nextRotationAt: string };
      await openSession(r.id, 1, "billing-app");
      const usage = (await t.api("GET", `${ROTATIONS}/${r.id}?include=usage`)).body.usage;
      expect(usage.users[1].sessions).toMatchObject({ count: 1, hidden: 1 });
      // PostgreSQL shows every role's application_name (so pgrotate's own logins are left out without pg_monitor too), not its address or start.
      expect(usage.users[1].sessions.clients[0]).toEqual({ applicationName: "billing-app", clientAddr: null, count: 1, since: null, visible: false });
      clock.set(r.nextRotationAt);
      await t.runner.scheduler.tick();
      const held = await get(r.id);
      expect(held).toMatchObject({ rotationStatus: "held", activeIndex: 0 });
      expect(held.heldBy).toMatch(/1 session whose details the connection role cannot see \("billing-app"\)/);
      await remove(r.id);
    } finally {
      await monitor(true);
    }
  });
});
