/**
 * Outages: the store down and the target down. Bounded answers (503 / 502 with a clear message, no hang),
 * nothing lost, and everything resumes by itself when the database returns.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startCluster, type RunningCluster } from "../runner/embedded/cluster";
import { loadConfig } from "../runner/config";
import { startRunner, type Runner } from "../runner/runtime";
import { apiOf } from "./helpers/http";
import { canLogin, withClient } from "./helpers/pg";
import { recordFigure } from "./helpers/profile";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Outages", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-outage-"));
  const storePassword = crypto.randomBytes(12).toString("hex");
  let store: RunningCluster;
  let runner: Runner;
  let target: Target;
  let rotationId: string;

  const api = apiOf(() => runner.url, () => runner.adminToken);

  beforeAll(async () => {
    fs.chmodSync(work, 0o755);
    store = await startCluster({ dataDir: path.join(work, "store"), superuserPassword: storePassword });
    target = await createTarget({ prefix: "outage" });
    runner = await startRunner(
      loadConfig({
        PGROTATE_DATABASE_URL: store.url("postgres"),
        PGROTATE_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
        PGROTATE_DATA_DIR: path.join(work, "runner"),
        PGROTATE_PORT: "0",
        PGROTATE_LOG_LEVEL: "silent",
      }),
    );
    const conn = (await api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    rotationId = (await api("POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation.id;
  });
  afterAll(async () => {
    await runner?.stop();
    await store?.stop();
    await target?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("When the store goes down, /readyz and the API answer 503 with the reason within seconds, and all resumes when it returns", async () => {
    const before = (await api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    const port = store.port;
    await store.stop();

    const ready = await fetch(`${runner.url}/readyz`);
    const readyBody = (await ready.json()) as { reason: string };
    expect(ready.status).toBe(503);
    expect(readyBody.reason).toMatch(/store/);
    for (const [m, p] of [["GET", ROTATIONS], ["GET", "/api/v3/secrets/raw?workspaceId=my-project"], ["POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`]] as const) {
      const res = await api(m, p);
      expect([p, res.status, res.body.error]).toEqual([p, 503, "StoreUnavailable"]);
      expect(res.body.message).toMatch(/store is unavailable/);
      expect(res.ms).toBeLessThan(8000);
      recordFigure("outage", `store down: ${m} ${p.split("?")[0].split("/").slice(-1)[0]} answered in ms`, res.ms, "< 8000");
    }
    expect((await fetch(`${runner.url}/healthz`)).status).toBe(200); // the process keeps serving

    store = await startCluster({ dataDir: path.join(work, "store"), superuserPassword: storePassword, port });
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await fetch(`${runner.url}/readyz`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    const after = (await api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    expect(after).toEqual(before); // nothing lost
    for (const c of after.generatedCredentials) expect(await canLogin(target.cluster, target.database, c.username, c.password)).toBe(true);
    expect((await api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200);
  });

  test("When the target refuses connections mid-rotation, the rotation answers 502 quickly, the active credentials keep working, and the next rotation succeeds", async () => {
    const before = (await api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    // Block new connections to the target database (the target 'goes away' for new logins).
    await withClient(target.cluster.url("postgres"), (c) => c.query(`ALTER DATABASE "${target.database}" ALLOW_CONNECTIONS false`));
    try {
      const res = await api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.body.message).toMatch(/target|database/i);
      expect(res.ms).toBeLessThan(15000);
      recordFigure("outage", "target down: rotate answered in ms", res.ms, "< 15000");
      const during = (await api("GET", `${ROTATIONS}/${rotationId}`)).body.secretRotation;
      expect(during).toMatchObject({ rotationStatus: "failed", activeIndex: before.activeIndex });
    } finally {
      await withClient(target.cluster.url("postgres"), (c) => c.query(`ALTER DATABASE "${target.database}" ALLOW_CONNECTIONS true`));
    }
    const active = before.generatedCredentials[before.activeIndex];
    expect(await canLogin(target.cluster, target.database, active.username, active.password)).toBe(true);
    const healed = await api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`);
    expect(healed.status).toBe(200);
    expect(healed.body.secretRotation.rotationStatus).toBe("success");
  });
});
