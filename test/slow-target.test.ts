/**
 * Two runners on one store, a target that answers slower than a lease lasts (a TCP proxy holds back what the
 * server sends), 24 rotations due at once. A rotation in flight must keep its lease, a runner must not claim
 * what it cannot start, and a runner that lost a lease must not touch the target or the store again: each due
 * rotation succeeds exactly once, and every pair an application saw as active still logs in.
 */
import crypto from "node:crypto";
import { canLogin, cluster, createDatabase, withClient, type TestCluster } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { startTcpProxy, type TcpProxy } from "./helpers/tcp-proxy";

const N = 24;
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const LEASE_SECONDS = 1;

describe.each([17, 15])("A target slower than the lease, two runners, PostgreSQL %i", (major) => {
  let c: TestCluster;
  let target: Awaited<ReturnType<typeof createDatabase>>;
  let proxy: TcpProxy;
  let a: TestRunner;
  let b: TestRunner;
  const tag = crypto.randomBytes(3).toString("hex");
  const user = (i: number, k: 0 | 1) => `slow${tag}_${k ? "b" : "a"}_${i}`;
  const admin = { user: `slow${tag}_admin`, password: crypto.randomBytes(16).toString("hex") };

  beforeAll(async () => {
    c = cluster(major);
    target = await createDatabase(c, "slow_target");
    await withClient(target.url, async (cl) => {
      await cl.query(`CREATE ROLE ${admin.user} LOGIN CREATEROLE PASSWORD '${admin.password}'`);
      for (let i = 0; i < N; i++) {
        for (const k of [0, 1] as const) {
          await cl.query(`CREATE ROLE ${user(i, k)} LOGIN`);
          if (major >= 16) await cl.query(`GRANT ${user(i, k)} TO ${admin.user} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
        }
      }
    });
    proxy = await startTcpProxy({ host: c.host, port: c.port });
    a = await startTestRunner({ cluster: c, leaseSeconds: LEASE_SECONDS, concurrency: 8, logLevel: "warn" });
    b = await startTestRunner({ cluster: c, storeOf: a, leaseSeconds: LEASE_SECONDS, concurrency: 8, logLevel: "warn" });
  }, 60_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await proxy?.close();
    await target?.drop();
    await withClient(c.url(), async (cl) => {
      for (const u of [admin.user, ...Array.from({ length: N }, (_, i) => [user(i, 0), user(i, 1)]).flat()]) await cl.query(`DROP ROLE IF EXISTS ${u}`);
    });
  });

  test("When 24 rotations fall due at once and each answer from the target takes longer than the lease, then each succeeds exactly once and every pair an application saw as active still logs in", async () => {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await a.api(method, path, body);
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${res.body?.message}`);
      return res.body;
    };
    const conn = await api("POST", "/api/v1/app-connections/postgres", {
      name: `slow-${major}`, method: "username-and-password",
      credentials: { host: proxy.host, port: proxy.port, database: target.name, username: admin.user, password: admin.password },
    });
    for (let i = 0; i < N; i++) {
      await api("POST", ROTATIONS, {
        name: `r-${i}`, projectId: "slow", secretPath: "/", connectionId: conn.appConnection.id, rotationInterval: 30,
        parameters: { username1: user(i, 0), username2: user(i, 1) }, secretsMapping: { username: `U_${i}`, password: `P_${i}` },
      });
    }

    // What applications see: every pair the raw secrets served, from either runner, while the rotations run.
    const seen = new Map<string, { username: string; password: string }>();
    let reading = true;
    const reader = (async () => {
      for (let k = 0; reading; k++) {
        const res = await (k % 2 ? b : a).api("GET", "/api/v3/secrets/raw?workspaceId=slow&environment=dev&secretPath=/");
        const byKey = new Map<string, string>(res.body.secrets.map((s: { secretKey: string; secretValue: string }) => [s.secretKey, s.secretValue]));
        for (let i = 0; i < N; i++) {
          const pair = { username: byKey.get(`U_${i}`)!, password: byKey.get(`P_${i}`)! };
          seen.set(`${i}:${pair.username}:${pair.password}`, pair);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // From now on every answer of the target comes late: 0.2–0.6 s per chunk, varying by connection, so one
    // rotation takes several leases' time and the runners' workers free up at different moments.
    proxy.setServerDelay((x) => 200 + (x.id % 5) * 100);
    await withClient(a.storeUrl, (cl) => cl.query("UPDATE rotations SET next_rotation_at = now()"));

    const successes = () => withClient(a.storeUrl, async (cl) => (await cl.query<{ name: string; runs: number; active: number; intents: number; leased: boolean }>(
      `SELECT r.name, r.active_index AS active, r.lease_owner IS NOT NULL AS leased,
              (SELECT count(*)::int FROM rotation_history h WHERE h.rotation_id = r.id AND h.trigger <> 'create' AND h.result = 'success') AS runs,
              (SELECT count(*)::int FROM rotation_intents i WHERE i.rotation_id = r.id) AS intents
       FROM rotations r ORDER BY r.name`)).rows);
    const deadline = Date.now() + 90_000;
    let rows = await successes();
    while (rows.some((r) => r.runs < 1 || r.intents > 0 || r.leased) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      rows = await successes();
    }
    // A runner that lost a lease mid-rotation would still be at work now: give it time to do its damage.
    await new Promise((r) => setTimeout(r, 3 * LEASE_SECONDS * 1000));
    proxy.setServerDelay(() => 0);
    reading = false;
    await reader;
    rows = await successes();

    expect(rows.filter((r) => r.runs !== 1 || r.active !== 1 || r.intents !== 0 || r.leased)).toEqual([]);
    const failedLogins: string[] = [];
    for (const [key, pair] of seen) {
      if (!(await canLogin(c, target.name, pair.username, pair.password))) failedLogins.push(key.split(":").slice(0, 2).join(":"));
    }
    expect(failedLogins).toEqual([]);
    expect(seen.size).toBeGreaterThanOrEqual(2 * N); // the reader saw the pairs before and after
    for (let i = 0; i < N; i++) {
      const { id } = (await api("GET", `${ROTATIONS}/rotation-name/r-${i}?projectId=slow`)).secretRotation;
      for (const x of (await api("GET", `${ROTATIONS}/${id}/generated-credentials`)).generatedCredentials) {
        expect(await canLogin(c, target.name, x.username, x.password)).toBe(true);
      }
    }
  }, 180_000);
});
