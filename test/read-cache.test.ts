/**
 * The in-memory read caches (secrets, token lookups) never serve what a commit replaced: invalidated at once
 * on the runner that committed, within notification latency on every other runner sharing the store.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../runner/config";
import { startRunner, type Runner } from "../runner/runtime";
import { apiCall } from "./helpers/http";
import { createDatabase, cluster } from "./helpers/pg";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const RAW = "/api/v3/secrets/raw?workspaceId=my-project&environment=dev&secretPath=/";

describe("Read caches across two runners on one store", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-cache-"));
  let store: Awaited<ReturnType<typeof createDatabase>>;
  let target: Target;
  let a: Runner;
  let b: Runner;

  const call = (r: Runner, method: string, p: string, body?: unknown, token = r.adminToken) => apiCall(r.url, method, p, body, { token });
  const pair = async (r: Runner) => {
    const s = (await call(r, "GET", RAW)).body.secrets as Array<{ secretKey: string; secretValue: string }>;
    return [s.find((x) => x.secretKey === "POSTGRES_DB_USERNAME")!.secretValue, s.find((x) => x.secretKey === "POSTGRES_DB_PASSWORD")!.secretValue];
  };
  const until = async <T,>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 2000): Promise<T> => {
    const end = Date.now() + ms;
    let v = await fn();
    while (!ok(v) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      v = await fn();
    }
    return v;
  };

  beforeAll(async () => {
    store = await createDatabase(cluster(), "cache_store");
    target = await createTarget({ prefix: "cache" });
    const env = { PGROTATE_DATABASE_URL: store.url, PGROTATE_ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"), PGROTATE_ADMIN_TOKEN: "cache-admin-token-" + crypto.randomBytes(8).toString("hex"), PGROTATE_PORT: "0", PGROTATE_LOG_LEVEL: "silent" };
    a = await startRunner(loadConfig({ ...env, PGROTATE_DATA_DIR: path.join(work, "a") }));
    b = await startRunner(loadConfig({ ...env, PGROTATE_DATA_DIR: path.join(work, "b") }));
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await store?.drop();
    await target?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("A rotation on one runner is what the next read returns on that runner at once, and on the other within notification latency; a pair is never mixed", async () => {
    const conn = (await call(a, "POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const id = (await call(a, "POST", ROTATIONS, infisicalCreateBody(conn, target.users))).body.secretRotation.id;
    const creds = async () => (await call(a, "GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
    for (let i = 0; i < 6; i++) {
      await pair(a); // warm both caches
      await pair(b);
      const rotator = i % 2 ? a : b;
      const other = i % 2 ? b : a;
      expect((await call(rotator, "POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
      const c = await creds();
      const expected = [c.generatedCredentials[c.activeIndex].username, c.generatedCredentials[c.activeIndex].password];
      expect(await pair(rotator)).toEqual(expected); // same runner: at once
      const seen = await until(() => pair(other), (v) => v[0] === expected[0] && v[1] === expected[1]);
      expect(seen).toEqual(expected);
      // Whatever a read returned, it was a pair of one state: the username's own password.
      const byUser = Object.fromEntries(c.generatedCredentials.map((x: { username: string; password: string }) => [x.username, x.password]));
      expect(byUser[seen[0]]).toBe(seen[1]);
    }
  });

  test("A token revoked on one runner stops working on the other within notification latency", async () => {
    const { secret, token } = (await call(a, "POST", "/api/v1/auth/tokens", { name: "cached", permission: "read" })).body;
    const first = await call(b, "GET", RAW, undefined, secret);
    expect([first.status, first.body.message]).toEqual([200, undefined]); // cached on b now
    expect((await call(a, "DELETE", `/api/v1/auth/tokens/${token.id}`)).status).toBe(200);
    expect((await call(a, "GET", RAW, undefined, secret)).status).toBe(401);
    const status = await until(async () => (await call(b, "GET", RAW, undefined, secret)).status, (s) => s === 401);
    expect(status).toBe(401);
  });
});
