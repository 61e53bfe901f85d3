/**
 * Crash safety of the real process: the runner runs as a child process and is SIGKILLed at every step
 * boundary of a rotation (typed fault points) and at random moments while rotations run. After every
 * restart: the mapped credentials log in, each user's stored password logs in, and no rotation was lost
 * or applied twice (activeIndex equals the parity of committed rotations; one commit per job).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiOf } from "./helpers/http";
import { canLogin, cluster, createDatabase, withClient } from "./helpers/pg";
import { startRunnerProcess, stopRunnerProcess, type RunnerProcess } from "./helpers/process";
import { recordFigure, scale } from "./helpers/profile";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const POINTS = ["afterIntent", "afterAlter", "afterVerify", "insideCommit"] as const;

describe("Crash soak: SIGKILL at step boundaries and at random moments", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-crash-"));
  let target: Target;
  let store: Awaited<ReturnType<typeof createDatabase>>;
  let env: Record<string, string>;
  let proc: RunnerProcess | undefined;

  beforeAll(async () => {
    target = await createTarget({ prefix: "crash_soak" });
    store = await createDatabase(cluster(), "crash_store");
    env = {
      PGROTATE_DATABASE_URL: store.url,
      PGROTATE_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
      PGROTATE_ADMIN_TOKEN: "crash-soak-token-" + crypto.randomBytes(8).toString("hex"),
      PGROTATE_DATA_DIR: path.join(work, "runner"),
      PGROTATE_PORT: "0",
      PGROTATE_LOG_LEVEL: "warn",
    };
  });
  afterAll(async () => {
    if (proc) await stopRunnerProcess(proc, "SIGKILL");
    await store?.drop();
    await target?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const api = apiOf(() => proc!.url, () => env.PGROTATE_ADMIN_TOKEN);

  test("After every kill and restart, no credential is lost and no rotation is lost or applied twice", async () => {
    proc = await startRunnerProcess(env);
    const conn = (await api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const id = (await api("POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation.id as string;

    const iterations = scale(12, 120);
    let kills = 0;
    /** Credentials (the mapped pair, each user's stored password) that did not log in after a restart, over the whole run. */
    let lost = 0;
    let acknowledged = 0;
    /** Everything else that went wrong, per iteration; asserted after the figures are recorded. */
    const problems: string[] = [];
    for (let i = 0; i < iterations; i++) {
      const boundary = i % 3 !== 2 ? POINTS[i % POINTS.length] : undefined; // two of three at a step boundary, one at random
      await stopRunnerProcess(proc, "SIGTERM");
      proc = await startRunnerProcess(boundary ? { ...env, PGROTATE_TEST_CRASH_AT: boundary } : env);
      const running = proc;
      if (boundary) {
        // The process kills itself when the rotation reaches the boundary: the request never answers.
        const answered = await api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`).then(() => true, () => false);
        // Bounded: a rotation that never reaches the boundary (e.g. refused as busy) must fail here, not hang.
        await new Promise<void>((r) => {
          if (running.child.exitCode !== null || running.child.signalCode !== null) return r();
          const timer = setTimeout(r, 20_000);
          running.child.once("exit", () => (clearTimeout(timer), r()));
        });
        // It died at the boundary, without answering.
        if (answered || running.child.signalCode !== "SIGKILL") problems.push(`${i} ${boundary}: did not die at the boundary (answered ${answered}, signal ${running.child.signalCode})`);
      } else {
        const loop = (async () => {
          for (;;) {
            const r = await api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`).catch(() => undefined);
            if (!r) return;
            if (r.status === 200) acknowledged++;
          }
        })();
        await new Promise((r) => setTimeout(r, 20 + crypto.randomInt(200)));
        await stopRunnerProcess(running, "SIGKILL");
        await loop;
      }
      if (running.child.signalCode === "SIGKILL" || running.child.exitCode === null) kills++;
      await stopRunnerProcess(running, "SIGKILL");

      // Restart: startup rolls every leftover intent forward with its own password.
      proc = await startRunnerProcess(env);
      const intents = await withClient(store.url, async (c) => Number((await c.query("SELECT count(*) FROM rotation_intents")).rows[0].count));
      const creds = (await api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
      const raw = (await api("GET", "/api/v3/secrets/raw?workspaceId=my-project")).body.secrets;
      const mappedUser = raw.find((s: { secretKey: string }) => s.secretKey === "POSTGRES_DB_USERNAME").secretValue;
      const mappedPassword = raw.find((s: { secretKey: string }) => s.secretKey === "POSTGRES_DB_PASSWORD").secretValue;
      const checks = [
        await canLogin(target.cluster, target.database, mappedUser, mappedPassword),
        ...(await Promise.all(creds.generatedCredentials.map((c: { username: string; password: string }) => canLogin(target.cluster, target.database, c.username, c.password)))),
      ];
      lost += checks.filter((ok) => !ok).length;
      const where = `${i} ${boundary ?? "random"}`;
      if (checks.includes(false)) problems.push(`${where}: logins after restart ${JSON.stringify(checks)} (mapped pair, user1, user2)`);
      if (intents !== 0) problems.push(`${where}: ${intents} intent(s) left after the restart's recovery`);

      const history = await withClient(store.url, async (c) => (await c.query(
        "SELECT job_id, count(*)::int AS n FROM rotation_history WHERE rotation_id = $1 AND result = 'success' AND trigger <> 'create' GROUP BY job_id", [id])).rows);
      const twice = history.filter((h) => h.n !== 1);
      if (twice.length) problems.push(`${where}: jobs committed more than once ${JSON.stringify(twice)}`);
      // Every commit flipped exactly once.
      if (creds.activeIndex !== history.length % 2) problems.push(`${where}: activeIndex ${creds.activeIndex} after ${history.length} committed rotations`);
    }
    recordFigure("crash soak", "kills survived", kills, scale("≥ 12", "≥ 100"));
    recordFigure("crash soak", "credentials lost", lost, "0");
    recordFigure("crash soak", "rotations acknowledged", acknowledged);
    recordFigure("crash soak", "other problems (intents left, double commits, wrong flips, missed kills)", problems.length, "0");
    expect(problems).toEqual([]);
    expect(lost).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(iterations);
  }, 1800000);
});
