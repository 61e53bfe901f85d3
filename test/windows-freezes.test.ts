/**
 * Rotation windows and project freezes on real PostgreSQL (issue 25): a due rotation outside its window or in a
 * frozen project waits, and runs when the window opens or the project is unfrozen; a manual one is refused (409)
 * unless forced. The clock is fake (as in test/scheduler.test.ts): 2030-01-10 is a Thursday.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "./helpers/cli";
import { withClient } from "./helpers/pg";
import { fakeClock } from "./helpers/clock";
import { rotationCalls, startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const PROJECT = "window-project";
const FREEZE = `/api/v1/projects/${PROJECT}/freeze`;
/** Monday to Friday, 01:00–03:00 UTC. */
const EARLY_WEEKDAYS = { weekdays: ["mon", "tue", "wed", "thu", "fri"], startTime: "01:00", endTime: "03:00", blackouts: [] };

describe("Rotation windows and project freezes", () => {
  let target: Target;
  let t: TestRunner;
  const clock = fakeClock(new Date("2030-01-10T15:30:00Z"));
  let connectionId: string;
  let n = 0;

  const create = async (over: Record<string, unknown> = {}) => {
    n++;
    const body = infisicalCreateBody(connectionId, target.users, { name: `win-${n}`, projectId: PROJECT, rotationInterval: 1, secretsMapping: { username: `U${n}`, password: `P${n}` }, ...over });
    const res = await t.api("POST", ROTATIONS, body);
    expect([res.status, res.body.message]).toEqual([200, undefined]);
    return res.body.secretRotation;
  };
  const { get, history, remove } = rotationCalls(() => t);
  const dueAt = (id: string, at: string) => withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET next_rotation_at = $2 WHERE id = $1", [id, new Date(at)]));

  beforeAll(async () => {
    target = await createTarget({ prefix: "window" });
    t = await startTestRunner({ clock: clock.now, startScheduler: false });
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("When a rotation is due outside its window, then the tick does not rotate it and moves nextRotationAt to the opening, where it rotates", async () => {
    clock.set("2030-01-10T15:30:00Z");
    const r = await create({ rotationWindow: EARLY_WEEKDAYS });
    // The schedule says Sat 2030-01-12 00:00; the window's next opening after it is Mon 01:00.
    expect(r).toMatchObject({ nextRotationAt: "2030-01-14T01:00:00.000Z", rotationWindow: EARLY_WEEKDAYS });
    // Due on Saturday anyway (as a row planned before the window was set would be):
    await dueAt(r.id, "2030-01-12T00:00:00Z");
    clock.set("2030-01-12T00:00:00Z");
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    expect(await get(r.id)).toMatchObject({ activeIndex: 0, nextRotationAt: "2030-01-14T01:00:00.000Z" });
    expect((await history(r.id)).map((h) => h.trigger)).toEqual(["create"]);
    expect(t.logs.some((l) => l.includes("rotation waits for its rotation window to open"))).toBe(true);
    clock.set("2030-01-14T00:59:59Z");
    expect((await t.runner.scheduler.tick()).claimed).toBe(0);
    clock.set("2030-01-14T01:00:00Z");
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    // Rotated at the opening; the next one is the schedule's (Tue 00:00) moved into the window (Tue 01:00).
    expect(await get(r.id)).toMatchObject({ activeIndex: 1, rotationStatus: "success", nextRotationAt: "2030-01-15T01:00:00.000Z" });
    await remove(r.id);
  });

  test("When a due rotation waits for the grace period that ends after its window closed, then nextRotationAt is the window's next opening, not the grace's end", async () => {
    clock.set("2030-01-14T02:50:00Z"); // Monday, inside 01:00–03:00
    const r = await create({ rotationWindow: EARLY_WEEKDAYS });
    // Rotated by hand (forced past the grace of create) at 02:55: the other user is inactive since then, its grace ends at 03:05.
    clock.set("2030-01-14T02:55:00Z");
    expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`)).body.secretRotation.activeIndex).toBe(1);
    await dueAt(r.id, "2030-01-14T02:56:00Z");
    clock.set("2030-01-14T02:56:00Z");
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    expect(t.logs.some((l) => l.includes("scheduled rotation waits for the grace period"))).toBe(true);
    // 03:05 is outside the window: the real next time is Tuesday's opening.
    expect(await get(r.id)).toMatchObject({ activeIndex: 1, nextRotationAt: "2030-01-15T01:00:00.000Z" });
    await remove(r.id);
  });

  test("When a scheduled attempt fails near the window's end, then its retry is planned at the next opening, not after the window closed", async () => {
    // A runner on the same store whose backoff always takes its longest wait (10 s before the first retry).
    const slow = await startTestRunner({ storeOf: t, clock: clock.now, startScheduler: false, random: () => 1 });
    clock.set("2030-01-10T15:30:00Z");
    const r = await create({ rotationWindow: EARLY_WEEKDAYS });
    await target.sql(`ALTER ROLE "${target.admin.username}" NOCREATEROLE`);
    try {
      await dueAt(r.id, "2030-01-14T02:59:55Z"); // Monday, 5 s before the window closes at 03:00
      clock.set("2030-01-14T02:59:55Z");
      expect((await slow.runner.scheduler.tick()).claimed).toBe(1);
      const retry = await get(r.id);
      expect(retry.lastRotationMessage).toMatch(/refused|permission|denied/i);
      // 02:59:55 + 10 s is outside the window: the retry waits for Tuesday 01:00.
      expect(retry).toMatchObject({ activeIndex: 0, nextRotationAt: "2030-01-15T01:00:00.000Z" });
    } finally {
      await target.sql(`ALTER ROLE "${target.admin.username}" CREATEROLE`);
      await slow.stop();
    }
    clock.set("2030-01-15T01:00:00Z");
    expect((await t.runner.scheduler.tick()).claimed).toBe(1);
    expect(await get(r.id)).toMatchObject({ activeIndex: 1, rotationStatus: "success" });
    await remove(r.id);
  });

  test("When a PATCH sets, changes or removes the window, then nextRotationAt follows it; a PATCH repeating it changes nothing", async () => {
    clock.set("2030-01-10T15:30:00Z");
    const r = await create();
    expect(r).toMatchObject({ nextRotationAt: "2030-01-12T00:00:00.000Z", rotationWindow: null });
    const patch = (body: unknown) => t.api("PATCH", `${ROTATIONS}/${r.id}`, body);
    const nights = { weekdays: ["sat"], startTime: "22:00", endTime: "02:00", blackouts: [{ from: "2030-01-12", to: "2030-01-12", reason: "launch day" }] };
    // Saturday 00:00 is blacked out; the Saturday night range opens at the midnight after it.
    expect((await patch({ rotationWindow: nights })).body.secretRotation).toMatchObject({ nextRotationAt: "2030-01-13T00:00:00.000Z", rotationWindow: nights });
    expect((await patch({ rotationWindow: nights, description: "same window" })).body.secretRotation.nextRotationAt).toBe("2030-01-13T00:00:00.000Z");
    expect((await patch({ rotationWindow: EARLY_WEEKDAYS })).body.secretRotation.nextRotationAt).toBe("2030-01-14T01:00:00.000Z");
    expect((await patch({ description: "window kept" })).body.secretRotation.rotationWindow).toEqual(EARLY_WEEKDAYS);
    expect((await patch({ rotationWindow: null })).body.secretRotation).toMatchObject({ nextRotationAt: "2030-01-12T00:00:00.000Z", rotationWindow: null });
    await remove(r.id);
  });

  test("When a window can never open or is malformed, then create and PATCH answer 422 saying what is wrong", async () => {
    const r = await create();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...EARLY_WEEKDAYS, weekdays: [] }, /weekdays must name at least one day: a window without weekdays never opens/],
      [{ ...EARLY_WEEKDAYS, weekdays: ["mon", "mon"] }, /weekdays must not repeat a day/],
      [{ ...EARLY_WEEKDAYS, weekdays: ["monday"] }, /weekdays must be among mon, tue/],
      [{ ...EARLY_WEEKDAYS, startTime: "25:00" }, /startTime must be a local time "HH:MM"/],
      [{ ...EARLY_WEEKDAYS, endTime: "5:00" }, /endTime must be a local time "HH:MM"/],
      [{ ...EARLY_WEEKDAYS, blackouts: [{ from: "2030-02-01", to: "2030-01-01" }] }, /a blackout's from must not be after its to/],
      [{ ...EARLY_WEEKDAYS, blackouts: [{ from: "2030-02-30", to: "2030-03-01" }] }, /from must be a calendar date "YYYY-MM-DD"/],
      [{ ...EARLY_WEEKDAYS, extra: true }, /extra/],
      ["weekdays at night", /rotationWindow/],
      [{ ...EARLY_WEEKDAYS, weekdays: "mon" }, /weekdays/],
      [{ ...EARLY_WEEKDAYS, blackouts: [{}] }, /from/],
      [{ ...EARLY_WEEKDAYS, blackouts: [{ from: "2030-01-01", to: "2030-01-02", reason: "a\u001b[31m" }] }, /reason must not contain control characters/],
    ];
    for (const [window, message] of cases) {
      const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "never", projectId: PROJECT, rotationWindow: window }));
      expect([created.status, created.body.error, created.body.message]).toEqual([422, "ValidationError", expect.stringMatching(message)]);
      const patched = await t.api("PATCH", `${ROTATIONS}/${r.id}`, { rotationWindow: window });
      expect([patched.status, patched.body.message]).toEqual([422, expect.stringMatching(message)]);
    }
    await remove(r.id);
  });

  test("When a manual rotation is asked outside the window, then it answers 409 OutsideRotationWindow with the next opening, and with force it rotates", async () => {
    clock.set("2030-01-10T15:30:00Z"); // Thursday afternoon
    const r = await create({ rotationWindow: EARLY_WEEKDAYS });
    const refused = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: "OutsideRotationWindow", details: { nextOpening: "2030-01-11T01:00:00.000Z" } });
    expect(refused.body.message).toMatch(/\?force=true.*passes a project freeze/);
    expect((await get(r.id)).activeIndex).toBe(0);
    const forced = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`);
    expect([forced.status, forced.body.secretRotation?.activeIndex]).toEqual([200, 1]);
    // Inside the window, no force is needed (past the grace guard).
    clock.set("2030-01-11T01:30:00Z");
    expect((await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`)).body.secretRotation.activeIndex).toBe(0);
    await remove(r.id);
  });

  test("When a project is frozen, then only a whole-project manage token may freeze it, its due rotation waits without counting as overdue, a manual one answers 409 ProjectFrozen, and force rotates", async () => {
    clock.set("2030-01-10T15:30:00Z");
    const r = await create();
    const folderToken = (await t.api("POST", "/api/v1/auth/tokens", { name: "win-folder", projectId: PROJECT, environment: "dev", permission: "manage" })).body.secret as string;
    const projectToken = (await t.api("POST", "/api/v1/auth/tokens", { name: "win-project", projectId: PROJECT, permission: "manage" })).body.secret as string;
    for (const [body, message] of [
      [{ frozen: "yes" }, /frozen must be true \(with a reason\) or false/],
      [{ frozen: true, reason: "   " }, /reason must not be empty/],
      [{ frozen: true, reason: "x".repeat(501) }, /at most 500/],
      [{ frozen: false, reason: "left over" }, /reason/],
      [[], /frozen/],
    ] as Array<[unknown, RegExp]>) {
      const res = await t.api("PUT", FREEZE, body);
      expect([body, res.status, res.body.error, res.body.message]).toEqual([body, 422, "ValidationError", expect.stringMatching(message)]);
    }
    expect((await t.api("PUT", "/api/v1/projects/not a project/freeze", { frozen: false })).status).toBe(422);
    expect((await t.api("GET", FREEZE)).body.frozen).toBe(false);
    const narrow = await t.api("PUT", FREEZE, { frozen: true, reason: "release" }, { token: folderToken });
    expect([narrow.status, narrow.body.error, narrow.body.message]).toEqual([403, "Forbidden", expect.stringMatching(/whole project/)]);
    expect((await t.api("PUT", FREEZE, { frozen: true }, { token: projectToken })).body).toMatchObject({ error: "ValidationError", message: expect.stringMatching(/reason is required/) });
    const frozen = await t.api("PUT", FREEZE, { frozen: true, reason: "year-end release" }, { token: projectToken });
    expect(frozen.body).toMatchObject({ projectId: PROJECT, frozen: true, frozenReason: "year-end release", frozenAt: "2030-01-10T15:30:00.000Z", frozenBy: expect.stringMatching(/^token:/) });
    expect((await t.api("GET", FREEZE, undefined, { token: folderToken })).body).toMatchObject({ frozen: true, frozenReason: "year-end release" });
    expect((await t.api("GET", `/api/v1/projects/slug/${PROJECT}`)).body).toMatchObject({ id: PROJECT, frozen: true, frozenReason: "year-end release" });
    const audit = (await t.api("GET", "/api/v1/audit-logs?action=project.freeze")).body;
    expect(JSON.stringify(audit)).toContain("year-end release");

    clock.set("2030-01-12T00:00:00Z"); // due
    expect((await t.runner.scheduler.tick()).claimed).toBe(0);
    expect(await get(r.id)).toMatchObject({ activeIndex: 0, nextRotationAt: "2030-01-12T00:00:00.000Z" });
    // Waiting on purpose is not overdue (readiness and the metric): only once unfrozen would it be.
    clock.set("2030-01-12T00:10:00Z");
    const overdue = async () => (await t.api("GET", "/readyz", undefined, { token: null })).body.overdue as number;
    expect(await overdue()).toBe(0);
    await t.api("PUT", FREEZE, { frozen: false });
    expect(await overdue()).toBe(1);
    await t.api("PUT", FREEZE, { frozen: true, reason: "year-end release" }, { token: projectToken });
    const refused = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets`);
    expect(refused.body).toMatchObject({ statusCode: 409, error: "ProjectFrozen", details: { reason: "year-end release", since: "2030-01-12T00:10:00.000Z" } });
    const forced = await t.api("POST", `${ROTATIONS}/${r.id}/rotate-secrets?force=true`);
    expect(forced.body.secretRotation.activeIndex).toBe(1);
    expect((await t.api("PUT", FREEZE, { frozen: false })).body).toMatchObject({ frozen: false, frozenReason: null, frozenAt: null, frozenBy: null });
    await remove(r.id);
  });

  test("When a frozen project is unfrozen on one runner, then another runner's sleeping scheduler wakes and runs the overdue rotation at once", async () => {
    clock.set("2030-01-10T15:30:00Z");
    const r = await create({ rotationInterval: 30 });
    expect((await t.api("PUT", FREEZE, { frozen: true, reason: "incident" })).status).toBe(200);
    clock.set("2030-03-01T00:00:00Z"); // long overdue
    // B's safety-net tick is an hour away: only the unfreeze notification can wake it in time.
    const b = await startTestRunner({ storeOf: t, clock: clock.now, startScheduler: true, tickSeconds: 3600 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500)); // B's first pass ran: nothing it may claim
      expect((await get(r.id)).activeIndex).toBe(0);
      const started = Date.now();
      expect((await t.api("PUT", FREEZE, { frozen: false })).body.frozen).toBe(false);
      let after = await get(r.id);
      while (after.activeIndex === 0 && Date.now() - started < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        after = await get(r.id);
      }
      expect(after).toMatchObject({ activeIndex: 1, rotationStatus: "success" });
      const [last] = await history(r.id);
      expect(last).toMatchObject({ trigger: "scheduled", result: "success", runnerId: b.runner.runnerId });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await b.stop();
    }
    await remove(r.id);
  });

  test("When a password drifts outside the window in a frozen project, then reapply still repairs it, and a rotate repair waits for the freeze, then for the window", async () => {
    clock.set("2030-01-10T15:30:00Z"); // Thursday afternoon: outside EARLY_WEEKDAYS
    const r = await create({ rotationWindow: EARLY_WEEKDAYS });
    const byHand = (user: string) => target.sql(`ALTER ROLE "${user}" PASSWORD 'changed-by-a-dba-${Date.now()}'`);
    const check = async () => (await t.api("POST", `${ROTATIONS}/${r.id}/check`)).body;
    await t.api("PUT", FREEZE, { frozen: true, reason: "audit week" });
    try {
      await byHand(target.users[0]);
      expect((await check()).drift).toMatchObject({ result: "repaired" });
      await t.api("PATCH", `${ROTATIONS}/${r.id}`, { driftRepair: "rotate" });
      await byHand(target.users[0]);
      const frozen = await check();
      expect(frozen.drift).toMatchObject({ result: "drifted", message: expect.stringMatching(/a fresh rotation waits: project window-project is frozen \(audit week\); it runs once unfrozen$/) });
      // Due at once, so the unfreeze releases it (the window still decides when it runs).
      expect(frozen.secretRotation).toMatchObject({ activeIndex: 0, rotationStatus: "drifted", nextRotationAt: "2030-01-10T15:30:00.000Z" });
      await t.api("PUT", FREEZE, { frozen: false });
      const outside = await check();
      expect(outside.drift.message).toMatch(/a fresh rotation waits for the rotation window \(opens 2030-01-11T01:00:00.000Z\)$/);
      expect((await t.runner.scheduler.tick()).claimed).toBe(1);
      expect(await get(r.id)).toMatchObject({ activeIndex: 0, nextRotationAt: "2030-01-11T01:00:00.000Z" });
      clock.set("2030-01-11T01:00:00Z");
      expect((await t.runner.scheduler.tick()).claimed).toBe(1);
      expect(await get(r.id)).toMatchObject({ activeIndex: 1, rotationStatus: "success" });
    } finally {
      await t.api("PUT", FREEZE, { frozen: false });
    }
    await remove(r.id);
  });

  test("When the CLI sets a window and freezes the project, then rotations get shows both, a manual rotate names the flag that overrides them, and update --no-window removes the window", async () => {
    clock.set("2030-01-10T15:30:00Z");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-win-cli-"));
    const cli = (args: string[]) => runCli(["--project", PROJECT, ...args], { env: { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, PGROTATE_DATA_DIR: dataDir, NO_COLOR: "1" } });
    try {
      const bad = await cli(["rotations", "create", "--name", "cli-win", "--connection", connectionId, "--user1", target.users[0], "--user2", target.users[1], "--interval", "1", "--username-secret", "CU", "--password-secret", "CP", "--window-days", "someday"]);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/weekdays such as mon-fri/)]);
      const created = await cli([
        "rotations", "create", "--name", "cli-win", "--connection", connectionId, "--user1", target.users[0], "--user2", target.users[1], "--interval", "1",
        "--username-secret", "CU", "--password-secret", "CP", "--window-days", "mon-fri", "--window", "01:00-03:00", "--blackout", "2030-12-20..2031-01-04:year end", "--json",
      ]);
      expect([created.code, created.stderr]).toEqual([0, ""]);
      const r = JSON.parse(created.stdout);
      expect(r).toMatchObject({
        nextRotationAt: "2030-01-14T01:00:00.000Z",
        rotationWindow: { weekdays: ["mon", "tue", "wed", "thu", "fri"], startTime: "01:00", endTime: "03:00", blackouts: [{ from: "2030-12-20", to: "2031-01-04", reason: "year end" }] },
      });
      const froze = await cli(["projects", "freeze", PROJECT, "--reason", "incident 42"]);
      expect([froze.code, froze.stdout]).toEqual([0, expect.stringMatching(/^Froze project window-project/)]);
      const shown = await cli(["rotations", "get", "cli-win"]);
      expect(shown.stdout).toMatch(/^Window\s+mon,tue,wed,thu,fri 01:00–03:00 UTC; blackouts 2030-12-20\.\.2031-01-04 \(year end\)$/m);
      expect(shown.stdout).toMatch(/^Project\s+frozen since .* by admin: incident 42/m);
      const refused = await cli(["rotations", "rotate", "cli-win"]);
      expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/frozen[\s\S]*unfreeze the project \(pgrotate projects unfreeze\), or pass --force/)]);
      expect((await cli(["projects", "unfreeze", PROJECT])).stdout).toMatch(/^Unfroze project window-project/);
      expect((await cli(["projects", "get", PROJECT])).stdout).toMatch(/^Frozen\s+no$/m);
      const days = await cli(["rotations", "update", "cli-win", "--window-days", "sat,sun", "--no-blackouts", "--json"]);
      expect(JSON.parse(days.stdout).rotationWindow).toEqual({ weekdays: ["sat", "sun"], startTime: "01:00", endTime: "03:00", blackouts: [] });
      const removed = await cli(["rotations", "update", "cli-win", "--no-window", "--json"]);
      expect(JSON.parse(removed.stdout)).toMatchObject({ rotationWindow: null, nextRotationAt: "2030-01-12T00:00:00.000Z" });
      await remove(r.id);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("The claim with frozen projects, at 10,000 rotations", () => {
  let t: TestRunner;
  let target: Target;
  beforeAll(async () => {
    target = await createTarget({ prefix: "winscale" });
    t = await startTestRunner({ startScheduler: false });
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("When half of 10,000 rotations are in a frozen project, then the claim and the next due time still read the partial index rotations_due", async () => {
    const connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const r = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name: "template", projectId: "frozen-fleet" }))).body.secretRotation;
    await withClient(t.storeUrl, async (c) => {
      // Copies of the template row: even ones in the frozen project (all overdue), odd ones elsewhere (due over the next days).
      await c.query(
        `INSERT INTO rotations (id, name, description, project_id, environment, secret_path, connection_id, is_auto_rotation_enabled, rotation_interval,
           rotate_at_hours, rotate_at_minutes, time_zone, uses_utc, username1, username2, secret_key_username, secret_key_password, rotation_status,
           next_rotation_at, created_at, updated_at)
         SELECT gen_random_uuid(), 'bulk-' || i, NULL, CASE WHEN i % 2 = 0 THEN 'frozen-fleet' ELSE 'open-fleet' END, 'dev', '/', connection_id, true, 1,
           0, 0, 'UTC', true, 'bulk_' || i || '_a', 'bulk_' || i || '_b', 'BU_' || i, 'BP_' || i, 'success',
           CASE WHEN i % 2 = 0 THEN now() - interval '1 day' ELSE now() + i * interval '1 minute' END, now(), now()
         FROM rotations, generate_series(1, 10000) i WHERE id = $1`,
        [r.id],
      );
      await c.query("INSERT INTO project_freezes (project_id, reason, frozen_by) VALUES ('frozen-fleet', 'scale test', 'admin')");
      await c.query("ANALYZE rotations");
      await c.query("ANALYZE project_freezes");
      const plan = async (sql: string) => (await c.query(`EXPLAIN (COSTS OFF) ${sql}`)).rows.map((x) => x["QUERY PLAN"]).join("\n");
      const NOT_FROZEN = "NOT EXISTS (SELECT 1 FROM project_freezes f WHERE f.project_id = rotations.project_id)";
      const claim = await plan(
        `SELECT id FROM rotations
         WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL AND next_rotation_at <= now()
           AND rotation_status <> 'pending' AND (lease_until IS NULL OR lease_until < now()) AND ${NOT_FROZEN}
         ORDER BY next_rotation_at LIMIT 8 FOR UPDATE SKIP LOCKED`,
      );
      const next = await plan(
        `SELECT next_rotation_at AS at FROM rotations
         WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL
           AND rotation_status <> 'pending' AND (lease_until IS NULL OR lease_until < now()) AND ${NOT_FROZEN}
         ORDER BY next_rotation_at LIMIT 1`,
      );
      expect(claim).toMatch(/Index Scan using rotations_due/);
      expect(next).toMatch(/Index Scan using rotations_due/);
      // What the scheduler sees: nothing of the frozen project, the open one's earliest.
      const due = await c.query(`SELECT count(*)::int AS n FROM rotations WHERE next_rotation_at <= now() AND ${NOT_FROZEN}`);
      expect(due.rows[0].n).toBe(0);
      await c.query("DELETE FROM rotations WHERE name LIKE 'bulk-%'");
      await c.query("DELETE FROM project_freezes");
    });
    await t.api("DELETE", `${ROTATIONS}/${r.id}?deleteSecrets=true`);
  });
});
