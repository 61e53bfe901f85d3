import { Client } from "pg";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { startCluster, type RunningCluster } from "../runner/embedded/cluster";
import { verifyWebhook } from "../runner/events/webhook";
import { packageVersion } from "../runner/version";
import { canLogin, withClient } from "./helpers/pg";
import { fakeClock } from "./helpers/clock";
import { rotationCalls, startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const DAY = 86400000;

describe("Scheduler with an injectable clock", () => {
  let target: Target;
  let t: TestRunner;
  const clock = fakeClock(new Date("2030-01-10T15:30:00Z"));
  let connectionId: string;
  let n = 0;

  const create = async (over: Record<string, unknown> = {}) => {
    n++;
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: `sched-${n}`, secretsMapping: { username: `U${n}`, password: `P${n}` }, ...over }));
    expect([res.status, res.body.message]).toEqual([200, undefined]);
    return res.body.secretRotation;
  };
  const { get, history, remove } = rotationCalls(() => t);

  beforeAll(async () => {
    target = await createTarget({ prefix: "sched" });
    t = await startTestRunner({ clock: clock.now, startScheduler: false });
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("When a rotation becomes due, then the next tick starts it, and not a tick before", async () => {
    clock.set(new Date("2030-01-10T15:30:00Z"));
    const r = await create({ rotationInterval: 1, rotateAtUtc: { hours: 0, minutes: 0 } });
    // Created 15:30 past 00:00: a full interval passes -> due 2030-01-12T00:00Z.
    expect(r.nextRotationAt).toBe("2030-01-12T00:00:00.000Z");
    clock.set(Date.parse(r.nextRotationAt) - 1000);
    expect((await t.runner.scheduler.tick()).claimed).toBe(0);
    clock.set(Date.parse(r.nextRotationAt));
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    const after = await get(r.id);
    expect(after).toMatchObject({ activeIndex: 1, rotationStatus: "success", isLastRotationManual: false, nextRotationAt: "2030-01-13T00:00:00.000Z" });
    const h = await history(r.id);
    expect(h[0]).toMatchObject({ trigger: "scheduled", result: "success", attempt: 1, targetIndex: 1 });
    expect(Date.parse(h[0].startedAt) - Date.parse(r.nextRotationAt)).toBe(0);
    await remove(r.id);
  });

  test("When auto-rotation is off, then no tick across simulated months rotates it, and a manual rotation still works", async () => {
    clock.set(new Date("2030-02-01T00:00:00Z"));
    const r = await create({ isAutoRotationEnabled: false, rotationInterval: 1 });
    expect(r.nextRotationAt).toBeNull();
    for (let day = 0; day < 400; day += 7) {
      clock.add(7 * DAY);
      await t.runner.scheduler.tick();
    }
    expect(await get(r.id)).toMatchObject({ activeIndex: 0, nextRotationAt: null });
    expect((await history(r.id)).map((x) => x.trigger)).toEqual(["create"]);
    expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`)).body.secretRotation.activeIndex).toBe(1);
    await remove(r.id);
  });

  test("When a scheduled rotation falls in the grace period, then it waits until the period ends and then runs", async () => {
    clock.set(new Date("2030-06-01T12:00:00Z"));
    const r = await create({ rotationInterval: 1 });
    await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`); // user1 stops being active at 12:00
    await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = $2 WHERE id = $1", [r.id, new Date("2030-06-01T12:01:00Z")]));
    clock.set(new Date("2030-06-01T12:02:00Z"));
    await t.runner.scheduler.tick();
    expect(await get(r.id)).toMatchObject({ activeIndex: 1, nextRotationAt: "2030-06-01T12:10:00.000Z" });
    clock.set(new Date("2030-06-01T12:10:00Z"));
    await t.runner.scheduler.tick();
    expect((await get(r.id)).activeIndex).toBe(0);
    await remove(r.id);
  });

  test("PATCH of interval, time, zone and auto-rotation recomputes nextRotationAt", async () => {
    clock.set(new Date("2030-03-01T10:00:00Z"));
    const r = await create({ rotationInterval: 7, rotateAtUtc: { hours: 12, minutes: 0 } });
    expect(r.nextRotationAt).toBe("2030-03-08T12:00:00.000Z");
    const zoned = (await t.api("PATCH", `${ROTATIONS}/${r.id}`, { rotateAt: { hours: 2, minutes: 30 }, timeZone: "America/New_York" })).body.secretRotation;
    expect(zoned).toMatchObject({ timeZone: "America/New_York", rotateAtUtc: null, nextRotationAt: "2030-03-09T07:30:00.000Z" });
    // Created 05:00 EST on Mar 1, past 02:30 local: a full interval passes -> Mar 1 + 7 + 1 day at 02:30 EST.
    const off = (await t.api("PATCH", `${ROTATIONS}/${r.id}`, { isAutoRotationEnabled: false })).body.secretRotation;
    expect(off.nextRotationAt).toBeNull();
    const on = (await t.api("PATCH", `${ROTATIONS}/${r.id}`, { isAutoRotationEnabled: true, rotationInterval: 1 })).body.secretRotation;
    expect(on.nextRotationAt).toBe("2030-03-03T07:30:00.000Z");
    await remove(r.id);
  });

  test("When a PATCH changes only the description, name, secret names or password requirements during a retry backoff or after failed, then the planned attempt stays; a PATCH repeating the same schedule changes nothing either", async () => {
    clock.set(new Date("2030-05-01T12:00:00Z"));
    const r = await create({ rotationInterval: 3 });
    const id = r.id as string;
    const nextOf = async () => (await get(id)).nextRotationAt as string;
    // The connection role loses its right to change passwords: every scheduled attempt fails.
    await target.sql(`ALTER ROLE "${target.admin.username}" NOCREATEROLE`);
    try {
      clock.set(Date.parse(r.nextRotationAt));
      expect((await t.runner.scheduler.tick()).claimed).toBe(1);
      const retry = await get(id);
      expect(retry.lastRotationMessage).toMatch(/refused|permission|denied/i);
      const planned = retry.nextRotationAt as string;
      expect(Date.parse(planned)).toBeGreaterThanOrEqual(clock.now().getTime()); // a backoff from now, not lastRotatedAt + interval
      const sameSchedule = { rotationInterval: 3, rotateAtUtc: { hours: 0, minutes: 0 }, isAutoRotationEnabled: true };
      const patches: Array<Record<string, unknown>> = [
        { description: "changed while retrying" },
        { name: `sched-${n}-renamed` },
        { secretsMapping: { username: `U${n}x`, password: `P${n}x` } },
        { parameters: { passwordRequirements: { length: 40, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 } } } },
        sameSchedule, // what pulumi up / terraform apply send: every field, the schedule unchanged
      ];
      for (const patch of patches) {
        expect((await t.api("PATCH", `${ROTATIONS}/${id}`, patch)).status).toBe(200);
        expect([patch, await nextOf()]).toEqual([patch, planned]);
      }
      // Used up: status failed, the next try is the next scheduled time; a description PATCH keeps that too.
      for (let attempt = 2; attempt <= 5; attempt++) {
        clock.set(Date.parse(await nextOf()));
        expect((await t.runner.scheduler.tick()).claimed).toBe(1);
      }
      const failed = await get(id);
      expect(failed.rotationStatus).toBe("failed");
      expect((await t.api("PATCH", `${ROTATIONS}/${id}`, { description: "after failing" })).status).toBe(200);
      expect(await nextOf()).toBe(failed.nextRotationAt);
      // A real schedule change recomputes it from the last rotation.
      const moved = (await t.api("PATCH", `${ROTATIONS}/${id}`, { rotationInterval: 5 })).body.secretRotation;
      expect(moved.nextRotationAt).not.toBe(failed.nextRotationAt);
    } finally {
      await target.sql(`ALTER ROLE "${target.admin.username}" CREATEROLE`);
      await remove(id);
    }
  });

  test("When a scheduled rotation starts 90 s after it was due, then the due → start histogram counts it between 60 and 120 s; a manual rotation is not counted", async () => {
    const delays = async () => {
      const text = (await t.api("GET", "/metrics", undefined, { token: null })).text;
      const bucket = (le: string) => Number(new RegExp(`^pgrotate_rotation_start_delay_seconds_bucket\\{le="${le.replace("+", "\\+")}"\\} (\\d+)$`, "m").exec(text)?.[1]);
      return { upTo60: bucket("60"), upTo120: bucket("120"), all: bucket("+Inf") };
    };
    clock.set(new Date("2030-05-01T12:00:00Z"));
    const r = await create({ rotationInterval: 1 });
    const before = await delays();
    expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`)).status).toBe(200);
    expect(await delays()).toEqual(before);
    clock.set(Date.parse((await get(r.id)).nextRotationAt) + 90_000);
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    const after = await delays();
    expect({ upTo60: after.upTo60 - before.upTo60, upTo120: after.upTo120 - before.upTo120, all: after.all - before.all }).toEqual({ upTo60: 0, upTo120: 1, all: 1 });
    await remove(r.id);
  });

  test("When a recovery or a stale scheduled claim finds the work already done by another runner, then nothing rotates twice", async () => {
    clock.set(new Date("2030-04-01T12:00:00Z"));
    const r = await create({ rotationInterval: 1 });
    // No intent left (another runner committed it): a recovery has nothing to do.
    expect((await t.runner.engine.rotate(r.id, { trigger: "recovery" })).activeIndex).toBe(0);
    // Not due any more (another runner rotated it and moved the schedule): a scheduled run does nothing.
    expect((await t.runner.engine.rotate(r.id, { trigger: "scheduled" })).activeIndex).toBe(0);
    expect((await history(r.id)).map((x) => x.trigger)).toEqual(["create"]);
    await remove(r.id);
  });

  test("When the scheduler is stopped and started again, then its cron tick claims due rotations again", async () => {
    clock.set(new Date("2030-07-01T12:00:00Z"));
    const r = await create({ rotationInterval: 1 });
    clock.set(Date.parse(r.nextRotationAt));
    const scheduler = t.runner.scheduler;
    scheduler.start();
    await scheduler.stop();
    scheduler.start();
    try {
      let active = 0;
      for (let i = 0; i < 50 && active === 0; i++) {
        await new Promise((res) => setTimeout(res, 100));
        active = (await get(r.id)).activeIndex;
      }
      expect(active).toBe(1);
      expect(scheduler.running()).toBe(true);
    } finally {
      await scheduler.stop();
    }
    await remove(r.id);
  });

  test("/metrics counts rotations by result and trigger and holds no secret", async () => {
    const text = (await t.api("GET", "/metrics", undefined, { token: null })).text;
    expect(text).toMatch(/pgrotate_rotations_total\{result="success",trigger="scheduled"\} [1-9]/);
    expect(text).toMatch(/pgrotate_rotation_duration_seconds_bucket/);
    expect(text).toMatch(/pgrotate_rotations_overdue \d/);
    expect(text).toMatch(/pgrotate_rotation_intents_pending 0/);
    expect(text).toMatch(/pgrotate_scheduler_tick_lag_seconds/);
    expect(text).toContain(`pgrotate_build_info{version="${packageVersion()}"} 1`);
    expect(text).not.toContain(target.admin.password);
  });
});

describe("Failures heal: the target stopped mid-schedule", () => {
  let work: string;
  let pg: RunningCluster;
  let t: TestRunner;
  const clock = fakeClock(new Date("2031-01-01T00:00:00Z"));
  const users = ["down_app_1", "down_app_2"] as [string, string];
  const adminPw = "down-admin-" + Math.random().toString(36).slice(2);

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-down-"));
    fs.chmodSync(work, 0o755);
    pg = await startCluster({ dataDir: path.join(work, "pg"), superuserPassword: "super-" + adminPw });
    await withClient(pg.url(), async (c) => {
      await c.query(`CREATE ROLE rot_admin LOGIN SUPERUSER PASSWORD '${adminPw}'`);
      for (const u of users) await c.query(`CREATE ROLE ${u} LOGIN`);
    });
    t = await startTestRunner({ clock: clock.now, startScheduler: false, random: () => 1 });
  });
  afterAll(async () => {
    await t?.stop();
    await pg?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const login = (user: string, password: string) =>
    withClient(`postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${pg.port}/postgres`, async () => true).catch(() => false);

  test("When the target is down, retries follow the backoff, status turns failed after 5 attempts, the mapped credentials still log in, and the next attempt after it returns succeeds", async () => {
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", {
      name: "down-target", method: "username-and-password",
      credentials: { host: "127.0.0.1", port: pg.port, database: "postgres", username: "rot_admin", password: adminPw },
    });
    // maxHoldHours 0: no look at who uses the user first (that read, too, fails while the target is down, before any intent).
    const r = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, users, { rotationInterval: 1, maxHoldHours: 0 }))).body.secretRotation;
    const mapped = async () => {
      const s = (await t.api("GET", "/api/v3/secrets/raw?workspaceId=my-project")).body.secrets;
      return [s.find((x: any) => x.secretKey === "POSTGRES_DB_USERNAME").secretValue, s.find((x: any) => x.secretKey === "POSTGRES_DB_PASSWORD").secretValue] as [string, string];
    };
    const before = await mapped();
    const port = pg.port;
    await pg.stop();

    clock.set(Date.parse(r.nextRotationAt));
    const intentPasswords = new Set<string>();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const at = clock.now().getTime();
      expect((await t.runner.scheduler.tick()).claimed).toBe(1);
      const now = (await t.api("GET", `${ROTATIONS}/${r.id}`)).body.secretRotation;
      const h = (await t.api("GET", `${ROTATIONS}/${r.id}/history`)).body.history[0];
      expect(h).toMatchObject({ result: "failed", attempt, trigger: "scheduled" });
      expect(h.message).toMatch(/Could not reach the target/);
      intentPasswords.add(await withClient(t.storeUrl, async (c) => {
        const row = (await c.query("SELECT password_sealed, target_index FROM rotation_intents WHERE rotation_id = $1", [r.id])).rows[0];
        return t.runner.sealer.open(row.password_sealed, `intent:${r.id}:${row.target_index}`);
      }));
      if (attempt < 5) {
        // random() = 1: the planned time is exactly the backoff ceiling: 10 s, 20 s, 40 s, 80 s.
        expect(Date.parse(now.nextRotationAt) - at).toBe([10_000, 20_000, 40_000, 80_000][attempt - 1]);
        expect(now.rotationStatus).toBe("success");
        expect((await t.runner.scheduler.tick()).claimed).toBe(0); // not before its time
        clock.set(Date.parse(now.nextRotationAt));
      } else {
        expect(now.rotationStatus).toBe("failed");
        expect(now.lastRotationMessage.length).toBeLessThanOrEqual(1024);
        expect(Date.parse(now.nextRotationAt) - at).toBeGreaterThan(DAY / 2); // next scheduled time, a full interval on
        expect(now.activeIndex).toBe(0);
        clock.set(Date.parse(now.nextRotationAt));
      }
    }
    expect(intentPasswords.size).toBe(1); // the same password through every retry

    pg = await startCluster({ dataDir: path.join(work, "pg"), superuserPassword: "super-" + adminPw, port });
    expect(await mapped()).toEqual(before);
    expect(await login(before[0], before[1])).toBe(true);

    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    const healed = (await t.api("GET", `${ROTATIONS}/${r.id}`)).body.secretRotation;
    expect(healed).toMatchObject({ rotationStatus: "success", activeIndex: 1, lastRotationMessage: null });
    const creds = (await t.api("GET", `${ROTATIONS}/${r.id}/generated-credentials`)).body.generatedCredentials;
    expect(intentPasswords.has(creds[1].password)).toBe(false); // worn out after 5 attempts: a fresh one
    for (const c of creds) expect(await login(c.username, c.password)).toBe(true);
  });
});

describe("Webhooks", () => {
  test("Rotation events reach the receiver signed, verify, are retried after an error, and never carry a secret", async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    let failFirst = true;
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        if (failFirst) {
          failFirst = false;
          res.writeHead(500).end();
          return;
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const secret = "whsec-0123456789abcdef";
    const target = await createTarget({ prefix: "hook" });
    const t = await startTestRunner({ webhook: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, secret } });
    try {
      const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
      const r = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation;
      expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`)).status).toBe(200);
      // Take the connection role's rights away: the next rotation fails.
      await target.sql(`ALTER ROLE "${target.admin.username}" NOCREATEROLE`);
      expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`)).status).toBeGreaterThanOrEqual(400);
      for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((res) => setTimeout(res, 50));
      expect(received.map((x) => JSON.parse(x.body).type).sort()).toEqual(["rotation.failed", "rotation.succeeded"]);
      const creds = (await t.api("GET", `${ROTATIONS}/${r.id}/generated-credentials`)).body.generatedCredentials;
      for (const x of received) {
        expect(verifyWebhook(secret, { timestamp: x.headers["x-pgrotate-timestamp"] as string, signature: x.headers["x-pgrotate-signature"] as string }, x.body)).toBe(true);
        expect(verifyWebhook("wrong-secret-000000", { timestamp: x.headers["x-pgrotate-timestamp"] as string, signature: x.headers["x-pgrotate-signature"] as string }, x.body)).toBe(false);
        for (const c of creds) expect(x.body).not.toContain(c.password);
        expect(x.body).not.toContain(target.admin.password);
      }
      await target.sql(`ALTER ROLE "${target.admin.username}" CREATEROLE`);
      await t.api("DELETE", `${ROTATIONS}/${r.id}?deleteSecrets=true`);
    } finally {
      await t.stop();
      await target.drop();
      server.close();
    }
  });
});

describe("Scheduler wakes at the due instant", () => {
  const startedAfterDue = async (t: TestRunner, api: TestRunner, id: string, due: Date): Promise<number> => {
    for (let i = 0; i < 100; i++) {
      const h = (await api.api("GET", `${ROTATIONS}/${id}/history`)).body.history as Array<{ trigger: string; startedAt: string; result: string }>;
      const run = h.find((x) => x.trigger === "scheduled");
      if (run) {
        expect(run.result).toBe("success");
        return Date.parse(run.startedAt) - due.getTime();
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`the rotation due at ${due.toISOString()} did not start within 10 s (${t.runner.url})`);
  };

  test("When a rotation's next time is set 1.5 s ahead, then a runner whose safety-net tick is 60 s starts it at that instant (woken by the store's notification)", async () => {
    const target = await createTarget({ prefix: "wake" });
    const t = await startTestRunner({ tickSeconds: 60 });
    try {
      const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
      const r = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation;
      await new Promise((res) => setTimeout(res, 300)); // the first pass at start is over: only the wake can start it
      const due = new Date(Date.now() + 1500);
      await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = $2 WHERE id = $1", [r.id, due]));
      const late = await startedAfterDue(t, t, r.id, due);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(10_000); // the 60 s tick cannot have started it: the timer did (the bench measures how precisely)
      await t.api("DELETE", `${ROTATIONS}/${r.id}?deleteSecrets=true`);
    } finally {
      await t.stop();
      await target.drop();
    }
  });

  test("When another runner moves a rotation's time earlier, then this runner wakes for it (the other runs no scheduler)", async () => {
    const target = await createTarget({ prefix: "wake2" });
    const a = await startTestRunner({ tickSeconds: 60 });
    const b = await startTestRunner({ storeOf: a, startScheduler: false });
    try {
      const conn = (await b.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
      // Created through b with a daily schedule: a's timer is set a day ahead (or not at all).
      const r = (await b.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { rotationInterval: 1 }))).body.secretRotation;
      await new Promise((res) => setTimeout(res, 300));
      const due = new Date(Date.now() + 1500);
      await withClient(b.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = $2 WHERE id = $1", [r.id, due]));
      const late = await startedAfterDue(a, b, r.id, due);
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(10_000);
      const h = (await b.api("GET", `${ROTATIONS}/${r.id}/history`)).body.history as Array<{ trigger: string; runnerId: string }>;
      expect(h.find((x) => x.trigger === "scheduled")?.runnerId).toBe(a.runner.runnerId);
      await b.api("DELETE", `${ROTATIONS}/${r.id}?deleteSecrets=true`);
    } finally {
      await b.stop();
      await a.stop();
      await target.drop();
    }
  });

  test("When a rotation commits (its next time moves later), then no runner is notified; a create and a time moved earlier notify every runner", async () => {
    const target = await createTarget({ prefix: "wake3" });
    const t = await startTestRunner({ startScheduler: false });
    const listener = new Client({ connectionString: t.storeUrl });
    const heard: string[] = [];
    listener.on("notification", (n) => void (n.channel === "pgrotate_schedule" && heard.push(n.payload ?? "")));
    const settle = () => new Promise((res) => setTimeout(res, 300));
    try {
      await listener.connect();
      await listener.query("LISTEN pgrotate_schedule");
      const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
      const r = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation;
      await settle();
      expect(heard).toHaveLength(1);
      heard.length = 0;
      const before = (await t.api("GET", `${ROTATIONS}/${r.id}`)).body.secretRotation.nextRotationAt as string;
      expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`)).status).toBe(200);
      const after = (await t.api("GET", `${ROTATIONS}/${r.id}`)).body.secretRotation.nextRotationAt as string;
      expect(Date.parse(after)).toBeGreaterThanOrEqual(Date.parse(before));
      await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = next_rotation_at + interval '1 hour' WHERE id = $1", [r.id]));
      await settle();
      expect(heard).toEqual([]);
      const earlier = new Date(Date.now() + 3_600_000);
      await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = $2 WHERE id = $1", [r.id, earlier]));
      await settle();
      expect(heard).toEqual([String(earlier.getTime())]);
      await t.api("DELETE", `${ROTATIONS}/${r.id}?deleteSecrets=true`);
    } finally {
      await listener.end();
      await t.stop();
      await target.drop();
    }
  });
});

describe("Scheduler stopping in the middle of a batch", () => {
  test("When the runner stops in the middle of a batch, then it claims no more, finishes what its workers hold and leaves no lease behind (it never held one a worker was not running)", async () => {
    const targets = await Promise.all([0, 1, 2, 3].map((i) => createTarget({ prefix: `halt${i}` })));
    // The first scheduled rotation is quick, the next ones slow: its worker claims the next one while the other works.
    let calls = 0;
    let armed = false; // creates pass the same step: only the scheduled runs are slowed
    const t = await startTestRunner({ concurrency: 2, tickSeconds: 60, faults: { afterIntent: () => (armed ? new Promise((res) => setTimeout(res, ++calls === 1 ? 100 : 800)) : undefined) } });
    try {
      const ids: string[] = [];
      for (const [i, target] of targets.entries()) {
        const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody(`halt-${i}`))).body.appConnection.id;
        ids.push((await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { name: `halt-${i}`, secretPath: `/halt${i}` }))).body.secretRotation.id);
      }
      armed = true;
      await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = now() WHERE id = ANY($1)", [ids]));
      // Two workers: two claimed and running, then (when the first ends) one more claimed for the idle worker.
      const leased = () => withClient(t.storeUrl, async (c) => (await c.query("SELECT id FROM rotations WHERE id = ANY($1) AND lease_owner IS NOT NULL", [ids])).rows.length);
      const scheduledRuns = () => withClient(t.storeUrl, async (c) => Number((await c.query("SELECT count(*) FROM rotation_history WHERE rotation_id = ANY($1) AND trigger = 'scheduled'", [ids])).rows[0].count));
      for (let i = 0; i < 100 && (await scheduledRuns()) < 1; i++) await new Promise((res) => setTimeout(res, 20));
      await new Promise((res) => setTimeout(res, 50));
      expect(await leased()).toBe(2);
      await t.runner.scheduler.stop();
      expect(await leased()).toBe(0);
      expect(await scheduledRuns()).toBe(3);
    } finally {
      await t.stop();
      await Promise.all(targets.map((x) => x.drop()));
    }
  });
});

describe("Scheduler with the real 1-second tick", () => {
  test("A rotation that becomes due is started within one tick", async () => {
    const target = await createTarget({ prefix: "tick" });
    const t = await startTestRunner();
    try {
      const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
      const r = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation;
      const due = new Date(Date.now() + 1500);
      await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = $2 WHERE id = $1", [r.id, due]));
      let h: Array<Record<string, string>> = [];
      for (let i = 0; i < 100 && !h.some((x) => x.trigger === "scheduled"); i++) {
        await new Promise((res) => setTimeout(res, 100));
        h = (await t.api("GET", `${ROTATIONS}/${r.id}/history`)).body.history;
      }
      const run = h.find((x) => x.trigger === "scheduled")!;
      expect(run).toMatchObject({ result: "success" });
      const latency = Date.parse(run.startedAt) - due.getTime();
      expect(latency).toBeGreaterThanOrEqual(0);
      expect(latency).toBeLessThan(2500); // one 1 s tick, plus slack for a loaded 2-core machine
      const creds = (await t.api("GET", `${ROTATIONS}/${r.id}/generated-credentials`)).body;
      expect(creds.activeIndex).toBe(1);
      expect(await canLogin(target.cluster, target.database, creds.generatedCredentials[1].username, creds.generatedCredentials[1].password)).toBe(true);
      await t.api("DELETE", `${ROTATIONS}/${r.id}?deleteSecrets=true`);
    } finally {
      await t.stop();
      await target.drop();
    }
  });
});
