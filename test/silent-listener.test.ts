/**
 * A runner's caches trust its LISTEN connection to the store. Behind a NAT or a load balancer that drops idle
 * flows that connection can die without a word: nothing arrives, nothing is closed. Two runners on one store;
 * runner A reaches the store through a TCP proxy that silences A's listener. A token revoked and a password
 * rotated through runner B must reach A within 30 s: the listener is probed (and reconnected with every cache
 * flushed), and no cached entry is older than the cache's maximum age even when no probe notices.
 */
import { loadConfig } from "../runner/config";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { cluster } from "./helpers/pg";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const isListener = (startup: Buffer) => startup.includes("pgrotate-listen");
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 200 ms until it holds; the seconds it took, or Infinity after `limitMs`. */
async function secondsUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < limitMs) {
    if (await check()) return (Date.now() - t0) / 1000;
    await sleep(200);
  }
  return Infinity;
}

describe("A store listener that goes silent", () => {
  let target: Target;
  let b: TestRunner;
  let connectionId: string;

  beforeAll(async () => {
    target = await createTarget({ prefix: "silent" });
    b = await startTestRunner({ startScheduler: false });
    connectionId = (await b.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await b?.stop();
    await target?.drop();
  });

  /** A rotation in folder /<name> and a read token for it, made through runner B. */
  const setUp = async (name: string, users: [string, string]) => {
    const created = await b.api("POST", ROTATIONS, infisicalCreateBody(connectionId, users, { name, secretPath: `/${name}`, secretsMapping: { username: "U", password: "P" } }));
    expect(created.status).toBe(200);
    const token = (await b.api("POST", "/api/v1/auth/tokens", { name: `${name}-reader`, projectId: "my-project", permission: "read" })).body;
    return { rotationId: created.body.secretRotation.id as string, tokenId: token.token.id as string, secret: token.secret as string };
  };
  /** A proxy of its own in front of the store for each runner A (its silence rules die with it). */
  const storeProxy = (): Promise<TcpProxy> => startTcpProxy({ host: cluster().host, port: cluster().port });
  const readPassword = (runner: TestRunner, name: string, token: string) => runner.api("GET", `/api/v3/secrets/raw/P?workspaceId=my-project&environment=dev&secretPath=/${name}`, undefined, { token });

  test("When runner A's listener goes silent, then a token revoked and a password rotated through runner B reach A within 30 s (the probe notices, reconnects and flushes); /readyz and the metric say when it is down", async () => {
    const proxy = await storeProxy();
    const a = await startTestRunner({ storeOf: b, storeVia: proxy, startScheduler: false, listenerProbeMs: 2000 });
    try {
      const { rotationId, tokenId, secret } = await setUp("probed", target.users);
      // Runner A caches the token and the folder (and, read twice, answers from memory).
      const before = await readPassword(a, "probed", secret);
      expect(before.status).toBe(200);
      expect((await readPassword(a, "probed", secret)).status).toBe(200);

      expect(proxy.silence((x) => isListener(x.startup))).toBe(1);
      expect((await b.api("DELETE", `/api/v1/auth/tokens/${tokenId}`)).status).toBe(200);
      const rotated = await b.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`);
      expect(rotated.status).toBe(200);
      const now = (await b.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
      const newPassword = now.generatedCredentials[now.activeIndex].password as string;
      expect(newPassword).not.toBe(before.body.secret.secretValue);

      const refused = await secondsUntil(async () => (await readPassword(a, "probed", secret)).status === 401, 35_000);
      const served = await secondsUntil(async () => (await readPassword(a, "probed", a.runner.adminToken)).body.secret?.secretValue === newPassword, 35_000);
      expect(refused).toBeLessThanOrEqual(30);
      expect(served).toBeLessThanOrEqual(30);
      expect(a.logs.join("\n")).toMatch(/store notification connection/);

      // While the listener cannot come back (every new one goes silent too), readiness and the metric say so.
      proxy.silence((x) => isListener(x.startup), { andNew: true });
      const down = await secondsUntil(async () => (await a.api("GET", "/readyz", undefined, { token: null })).body.notifications === "down", 20_000);
      expect(down).toBeLessThan(20);
      const ready = await a.api("GET", "/readyz", undefined, { token: null });
      expect(ready.status).toBe(200); // answers stay exact: the caches are bypassed meanwhile
      expect(ready.body.notificationsDownSince).toEqual(expect.any(String));
      expect((await a.api("GET", "/metrics", undefined, { token: null })).text).toMatch(/^pgrotate_store_listener_up 0$/m);
      // Bypassed caches: a change through B is seen by A at once.
      expect((await b.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200);
      const latest = (await b.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
      expect((await readPassword(a, "probed", a.runner.adminToken)).body.secret.secretValue).toBe(latest.generatedCredentials[latest.activeIndex].password);
      expect((await b.api("DELETE", `${ROTATIONS}/${rotationId}?deleteSecrets=true`)).status).toBe(200);
    } finally {
      await a.stop();
      await proxy.close();
    }
  }, 120_000);

  test("When the listener's loss goes unnoticed (no probe), then no cached token or secret is served longer than the cache's maximum age", async () => {
    const proxy = await storeProxy();
    const a = await startTestRunner({ storeOf: b, storeVia: proxy, startScheduler: false, listenerProbeMs: 3_600_000, cacheMaxAgeSeconds: 3 });
    try {
      const users: [string, string] = [await target.addRole("aged1"), await target.addRole("aged2")];
      const { rotationId, tokenId, secret } = await setUp("aged", users);
      expect((await readPassword(a, "aged", secret)).status).toBe(200);
      expect((await readPassword(a, "aged", secret)).status).toBe(200);
      proxy.silence((x) => isListener(x.startup), { andNew: true });
      expect((await b.api("DELETE", `/api/v1/auth/tokens/${tokenId}`)).status).toBe(200);
      expect((await b.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200);
      const now = (await b.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
      const newPassword = now.generatedCredentials[now.activeIndex].password as string;
      const refused = await secondsUntil(async () => (await readPassword(a, "aged", secret)).status === 401, 15_000);
      const served = await secondsUntil(async () => (await readPassword(a, "aged", a.runner.adminToken)).body.secret?.secretValue === newPassword, 15_000);
      expect(refused).toBeLessThanOrEqual(4);
      expect(served).toBeLessThanOrEqual(4);
      expect((await b.api("DELETE", `${ROTATIONS}/${rotationId}?deleteSecrets=true`)).status).toBe(200);
    } finally {
      await a.stop();
      await proxy.close();
    }
  }, 60_000);

  test("The caches' maximum age is 30 s unless PGROTATE_CACHE_MAX_AGE_SECONDS sets a shorter one; a longer one is refused at start, naming the variable", () => {
    expect(loadConfig({}).cacheMaxAgeSeconds).toBe(30);
    expect(loadConfig({ PGROTATE_CACHE_MAX_AGE_SECONDS: "5" }).cacheMaxAgeSeconds).toBe(5);
    expect(() => loadConfig({ PGROTATE_CACHE_MAX_AGE_SECONDS: "31" })).toThrow(/PGROTATE_CACHE_MAX_AGE_SECONDS/);
    expect(() => loadConfig({ PGROTATE_CACHE_MAX_AGE_SECONDS: "0" })).toThrow(/PGROTATE_CACHE_MAX_AGE_SECONDS/);
  });
});
