/**
 * Drift: the store holds a password the user no longer has — a store restored from an older backup, a DBA's
 * ALTER ROLE by hand, a dropped role. Runners find it by logging in (at once after a restore, daily, and on
 * POST …/:id/check) and repair it as the rotation's driftRepair says: reapply (default), rotate, or off.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { restoreBackup } from "../runner/store/restore";
import { canLogin, withClient } from "./helpers/pg";
import { runCli } from "./helpers/cli";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("Drift check and repair", () => {
  let t: TestRunner;
  let target: Target;
  let hook: WebhookReceiver;
  let connectionId: string;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-drift-"));

  beforeAll(async () => {
    target = await createTarget({ prefix: "drift" });
    hook = await startWebhookReceiver();
    t = await startTestRunner({ webhook: { url: hook.url, secret: "drift-webhook-secret-1234" } });
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await hook?.close();
    await target?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const create = async (name: string, users: [string, string], over: Record<string, unknown> = {}) => {
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, users, { name, secretPath: `/${name}`, secretsMapping: { username: "U", password: "P" }, ...over }));
    expect(res.status).toBe(200);
    return res.body.secretRotation.id as string;
  };
  const published = async (name: string) => {
    const read = async (key: string) => (await t.api("GET", `/api/v3/secrets/raw/${key}?workspaceId=my-project&environment=dev&secretPath=/${name}`)).body.secret.secretValue as string;
    return { username: await read("U"), password: await read("P") };
  };
  const stored = async (id: string) => (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials as Array<{ username: string; password: string }>;
  const logsIn = (c: { username: string; password: string }) => canLogin(target.cluster, target.database, c.username, c.password);
  const byHand = (user: string) => target.sql(`ALTER ROLE "${user}" PASSWORD 'changed-by-a-dba-${Date.now()}'`);
  const check = async (id: string) => {
    const res = await t.api("POST", `${ROTATIONS}/${id}/check`);
    expect(res.status).toBe(200);
    return res.body as { secretRotation: { rotationStatus: string; lastRotationMessage: string | null; activeIndex: number }; drift: { result: string; users: Array<{ username: string; state: string; repaired: boolean }> } };
  };

  test("When the store is restored from a backup taken before two rotations, then the runner finds the drift at its start and sets the stored passwords again: the mapped secrets log in", async () => {
    const id = await create("restored", target.users);
    const backup = path.join(work, "before.ndjson");
    const made = await runCli(["backup", "--out", backup], { env: { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken } });
    expect(made.code).toBe(0);
    const atBackup = await published("restored");
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
    expect((await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
    expect(await logsIn(atBackup)).toBe(false); // the backup's pair no longer works on the target

    await t.runner.stop();
    const lines = async function* () {
      for (const line of fs.readFileSync(backup, "utf8").split("\n")) if (line.trim()) yield JSON.parse(line) as unknown;
    };
    await restoreBackup(t.config, lines, { force: true });
    await t.restart();
    // The first scheduler pass checks every rotation of the restored store and repairs it.
    let history: Array<{ trigger: string; result: string; message: string | null }> = [];
    for (let i = 0; i < 100 && !history.some((h) => h.trigger === "drift"); i++) {
      await sleep(100);
      history = (await t.api("GET", `${ROTATIONS}/${id}/history`)).body.history;
    }
    expect(history[0]).toMatchObject({ trigger: "drift", result: "success" });
    expect(history[0].message).toMatch(/repaired drift/);
    expect(await published("restored")).toEqual(atBackup);
    expect(await logsIn(atBackup)).toBe(true);
    for (const c of await stored(id)) expect(await logsIn(c)).toBe(true);
    expect((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation.rotationStatus).toBe("success");
    expect((await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
  }, 60_000);

  test("When a DBA changes a password by hand, then POST …/check finds it and reapplies the stored one; a rotation whose driftRepair is off is only marked drifted (status, history, webhook, metric) until repaired", async () => {
    const users: [string, string] = [await target.addRole("hand1"), await target.addRole("hand2")];
    const id = await create("by-hand", users);
    expect((await check(id)).drift.result).toBe("ok");

    await byHand(users[1]);
    const repaired = await check(id);
    expect(repaired.drift.result).toBe("repaired");
    expect(repaired.drift.users).toEqual([{ username: users[0], state: "ok", repaired: false }, { username: users[1], state: "rejected", repaired: true }]);
    for (const c of await stored(id)) expect(await logsIn(c)).toBe(true);

    expect((await t.api("PATCH", `${ROTATIONS}/${id}`, { driftRepair: "off" })).body.secretRotation.driftRepair).toBe("off");
    await byHand(users[0]);
    const reported = await check(id);
    expect(reported.drift.result).toBe("drifted");
    expect(reported.secretRotation.rotationStatus).toBe("drifted");
    expect(reported.secretRotation.lastRotationMessage).toContain(users[0]);
    expect(await logsIn((await stored(id))[0])).toBe(false); // not repaired
    await hook.waitFor(1, 5000);
    expect(hook.deliveries.map((d) => JSON.parse(d.body).type)).toContain("rotation.drifted");
    expect((await t.api("GET", "/metrics", undefined, { token: null })).text).toMatch(/^pgrotate_rotations_drifted 1$/m);
    const status = await runCli(["check", "--drift", "by-hand", "--path", "/by-hand", "--project", "my-project"], { env: { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken } });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/by-hand\s+drifted/);

    expect((await t.api("PATCH", `${ROTATIONS}/${id}`, { driftRepair: "reapply" })).status).toBe(200);
    const fixed = await check(id);
    expect([fixed.drift.result, fixed.secretRotation.rotationStatus]).toEqual(["repaired", "success"]);
    expect(await logsIn((await stored(id))[0])).toBe(true);
    expect((await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
  });

  test("With driftRepair rotate, a drifted inactive user gets a fresh password by a rotation; a dropped role is reported, never recreated", async () => {
    const users: [string, string] = [await target.addRole("rot1"), await target.addRole("rot2")];
    const id = await create("rotate-mode", users, { driftRepair: "rotate" });
    await byHand(users[1]); // the inactive user
    const rotated = await check(id);
    expect(rotated.drift.result).toBe("rotated");
    expect(rotated.secretRotation.activeIndex).toBe(1);
    for (const c of await stored(id)) expect(await logsIn(c)).toBe(true);
    expect(await logsIn(await published("rotate-mode"))).toBe(true);

    await target.sql(`DROP ROLE "${users[0]}"`);
    const gone = await check(id);
    expect(gone.drift.result).toBe("drifted");
    expect(gone.drift.users[0]).toEqual({ username: users[0], state: "dropped", repaired: false });
    expect(gone.secretRotation.lastRotationMessage).toMatch(/does not exist any more .*does not recreate roles/);
    expect(await withClient(target.cluster.url(), async (c) => (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [users[0]])).rowCount)).toBe(0);
    await target.sql(`CREATE ROLE "${users[0]}" LOGIN`); // for the target's own clean-up
  });
});
