/**
 * The store's `pgrotate_access` notifications make every runner flush its token cache. They must come when a
 * token or an identity actually changed (a revocation, a prune that deleted rows, a change by hand), and not for
 * statements that changed nothing — an identity login prunes its expired tokens every time, mostly finding none.
 */
import { Client, type Notification } from "pg";
import { testClusters } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { until } from "./helpers/until";

const FENCE = "pgrotate_test_fence";

describe.each(testClusters().map((c) => [c.major, c] as const))("Access notifications (pgrotate_access) from a PostgreSQL %i store", (_major, cluster) => {
  let t: TestRunner;
  let listener: Client;
  const seen: Notification[] = [];
  let fences = 0;

  /**
   * The pgrotate_access notifications committed since the last call. A notification on another channel, sent
   * after everything before it committed, arrives after theirs (NOTIFY delivers in commit order): it is the fence.
   */
  const accessNotifications = async (): Promise<number> => {
    const want = ++fences;
    await t.runner.pool.query(`SELECT pg_notify('${FENCE}', $1)`, [String(want)]);
    const end = Date.now() + 5000;
    while (!seen.some((n) => n.channel === FENCE && n.payload === String(want))) {
      if (Date.now() > end) throw new Error("the fence notification did not arrive");
      await new Promise((r) => setTimeout(r, 10));
    }
    const count = seen.filter((n) => n.channel === "pgrotate_access").length;
    seen.length = 0;
    return count;
  };

  const identity = async (name: string) => {
    const res = await t.api("POST", "/api/v1/auth/identities", { name, projectId: "notify", permission: "read" });
    expect(res.status).toBe(200);
    return res.body as { identity: { id: string }; clientId: string; clientSecret: string };
  };
  const login = async (i: { clientId: string; clientSecret: string }) => {
    const res = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: i.clientId, clientSecret: i.clientSecret }, { token: null });
    expect(res.status).toBe(200);
    return res.body.accessToken as string;
  };

  beforeAll(async () => {
    t = await startTestRunner({ cluster, logLevel: "warn" });
    listener = new Client({ connectionString: t.storeUrl });
    listener.on("notification", (n) => seen.push(n));
    await listener.connect();
    await listener.query(`LISTEN pgrotate_access; LISTEN ${FENCE}`);
  });
  afterAll(async () => {
    await listener?.end();
    await t?.stop();
  });

  test("When an identity logs in 20 times and none of its tokens has expired, then the store sends no pgrotate_access notification", async () => {
    const app = await identity("notify-quiet");
    await login(app); // its first token: nothing to prune afterwards either
    await accessNotifications();
    for (let i = 0; i < 20; i++) await login(app);
    expect(await accessNotifications()).toBe(0);
  });

  test("When a login prunes an expired access token, then the store notifies", async () => {
    const app = await identity("notify-prune");
    await login(app);
    await t.runner.pool.query("UPDATE access_tokens SET expires_at = now() - interval '1 minute' WHERE identity_id = $1", [app.identity.id]);
    await accessNotifications(); // that UPDATE changed a row: its own notification is not what this test counts
    await login(app);
    expect(await accessNotifications()).toBeGreaterThanOrEqual(1);
    expect((await t.runner.pool.query("SELECT count(*)::int AS n FROM access_tokens WHERE identity_id = $1", [app.identity.id])).rows[0].n).toBe(1);
  });

  test("When a token or an identity is revoked, then the store notifies; revoking one that does not exist does not", async () => {
    const created = await t.api("POST", "/api/v1/auth/tokens", { name: "notify-revoke", projectId: "notify", permission: "read" });
    expect(created.status).toBe(200);
    await accessNotifications();
    expect((await t.api("DELETE", `/api/v1/auth/tokens/${created.body.token.id}`)).status).toBe(200);
    expect(await accessNotifications()).toBeGreaterThanOrEqual(1);

    const app = await identity("notify-revoke-identity");
    await login(app);
    await accessNotifications();
    expect((await t.api("DELETE", `/api/v1/auth/identities/${app.identity.id}`)).status).toBe(200);
    expect(await accessNotifications()).toBeGreaterThanOrEqual(1);

    expect((await t.api("DELETE", "/api/v1/auth/tokens/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect(await accessNotifications()).toBe(0);
  });

  test("When tokens are deleted or truncated by hand in the store, then the store notifies (the runners' caches cannot miss it)", async () => {
    const created = await t.api("POST", "/api/v1/auth/tokens", { name: "notify-by-hand", projectId: "notify", permission: "read" });
    const secret = created.body.secret as string;
    expect((await t.api("GET", "/api/v3/secrets/raw?workspaceId=notify", undefined, { token: secret })).status).toBe(200);
    await accessNotifications();
    await t.runner.pool.query("DELETE FROM access_tokens WHERE id = $1", [created.body.token.id]);
    expect(await accessNotifications()).toBeGreaterThanOrEqual(1);
    // The runner's own listener flushes its cache when the notification reaches it, which may be a moment after ours.
    await until(async () => (await t.api("GET", "/api/v3/secrets/raw?workspaceId=notify", undefined, { token: secret })).status, (s) => s === 401, 5000, "the deleted token refused");
    await t.runner.pool.query("TRUNCATE access_tokens CASCADE");
    expect(await accessNotifications()).toBeGreaterThanOrEqual(1);
  });
});
