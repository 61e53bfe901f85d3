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

  const api = async (method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(proc!.url + p, { method, headers: { authorization: `Bearer ${env.PGROTATE_ADMIN_TOKEN}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };

  test("After every kill and restart, no credential is lost and no rotation is lost or applied twice", async () => {
    proc = await startRunnerProcess(env);
    const conn = (await api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const id = (await api("POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation.id as string;

    const iterations = scale(12, 120);
    let kills = 0;
    let lost = 0;
    let acknowledged = 0;
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
        expect([i, boundary, answered, running.child.signalCode]).toEqual([i, boundary, false, "SIGKILL"]); // it died at the boundary
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
      if (checks.includes(false) || intents !== 0) lost++;
      expect([i, boundary ?? "random", intents, checks]).toEqual([i, boundary ?? "random", 0, [true, true, true]]);

      const history = await withClient(store.url, async (c) => (await c.query(
        "SELECT job_id, count(*)::int AS n FROM rotation_history WHERE rotation_id = $1 AND result = 'success' AND trigger <> 'create' GROUP BY job_id", [id])).rows);
      expect(history.filter((h) => h.n !== 1)).toEqual([]); // each job committed once
      expect(creds.activeIndex).toBe(history.length % 2); // every commit flipped exactly once
    }
    recordFigure("crash soak", "kills survived", kills, scale("≥ 12", "≥ 100"));
    recordFigure("crash soak", "credentials lost", lost, "0");
    recordFigure("crash soak", "rotations acknowledged", acknowledged);
    expect(kills).toBeGreaterThanOrEqual(iterations);
    expect(lost).toBe(0);
  }, 1800000);
});
