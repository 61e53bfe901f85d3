/**
 * The rotation-status stream (GET /api/v1/events/rotations) across two runners on one store: what it sends for a
 * create, a rotation and a delete on the other runner (and never a credential), who sees which rotation, the
 * change feed's caps, the console's session cookie, and runner stop.
 */
import { followRotations, follow, type Follower } from "./helpers/feed";
import { cluster } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { startTcpProxy } from "./helpers/tcp-proxy";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const STREAM = "/api/v1/events/rotations";

describe("The rotation-status stream across two runners on one store", () => {
  let a: TestRunner;
  let b: TestRunner;
  let targets: Target[] = [];
  let connectionId: string;
  const open: Follower[] = [];
  const track = (f: Follower) => (open.push(f), f);
  const admin = () => a.runner.adminToken;
  const ready = (f: Follower) => f.until((es) => es.some((e) => e.event === "ready"));
  const changed = (f: Follower, id: string) =>
    f.events.filter((e) => e.event === "rotation.changed" && (e.data as { rotationId: string }).rotationId === id).map((e) => e.data as { rotationId: string; rotationStatus: string; updatedAt: string });
  const create = async (on: TestRunner, folder: { projectId: string; environment?: string; secretPath?: string }, name: string) => {
    const target = await createTarget({ prefix: "rev" });
    targets.push(target);
    const conn = (await on.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id as string;
    const created = await on.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { ...folder, name }));
    expect(created.status).toBe(200);
    return created.body.secretRotation as { id: string; updatedAt: string };
  };

  beforeAll(async () => {
    a = await startTestRunner({ logLevel: "warn", feed: { heartbeatMs: 250 } });
    b = await startTestRunner({ storeOf: a, logLevel: "warn", feed: { heartbeatMs: 250, maxStreamsPerToken: 3 } });
    const target = await createTarget({ prefix: "rev" });
    targets.push(target);
    connectionId = (await a.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterEach(async () => {
    for (const f of open.splice(0)) await f.close();
    const end = Date.now() + 3000;
    while ((a.runner.rotationFeed.count() || b.runner.rotationFeed.count()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect([a.runner.rotationFeed.count(), b.runner.rotationFeed.count()]).toEqual([0, 0]);
  });
  afterAll(async () => {
    for (const f of open.splice(0)) await f.close();
    await b?.stop();
    await a?.stop();
    for (const t of targets) await t.drop();
    targets = [];
  });

  test("When a rotation is created, rotated and deleted on runner B, then a stream on runner A gets rotation.changed with its status and updatedAt each time, then rotation.deleted — never a credential", async () => {
    const stream = track(followRotations(a.runner.url, admin()));
    await ready(stream);
    const target = targets[0];
    const created = await b.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { projectId: "rev", name: "rev-one" }));
    expect(created.status).toBe(200);
    const id = created.body.secretRotation.id as string;
    await stream.until(() => changed(stream, id).some((c) => c.rotationStatus === "success" && c.updatedAt === created.body.secretRotation.updatedAt));
    const rotated = await b.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect(rotated.status).toBe(200);
    await stream.until(() => changed(stream, id).some((c) => c.updatedAt === rotated.body.secretRotation.updatedAt));
    for (const c of changed(stream, id)) expect(Object.keys(c).sort()).toEqual(["rotationId", "rotationStatus", "updatedAt"]);
    const creds = (await b.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.generatedCredentials as Array<{ password: string }>;
    expect((await b.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
    await stream.until((es) => es.some((e) => e.event === "rotation.deleted" && (e.data as { rotationId: string }).rotationId === id));
    const everything = JSON.stringify(stream.events);
    for (const c of creds) expect(everything).not.toContain(c.password);
    expect(everything).not.toContain(admin());
  });

  test("When rotations change in and out of a scoped token's scope, then its stream gets only those in scope, and the query narrows it further", async () => {
    const scoped = (await a.api("POST", "/api/v1/auth/tokens", { name: "rev-scoped", projectId: "rev-in", environment: "dev", permission: "read" })).body.secret as string;
    const mine = track(followRotations(a.runner.url, scoped));
    const narrowed = track(followRotations(a.runner.url, scoped, { secretPath: "/other" }));
    const all = track(followRotations(a.runner.url, admin()));
    for (const f of [mine, narrowed, all]) await ready(f);
    const outside = await create(b, { projectId: "rev-out" }, "rev-outside");
    const inside = await create(b, { projectId: "rev-in" }, "rev-inside");
    await all.until(() => changed(all, outside.id).length > 0 && changed(all, inside.id).length > 0);
    await mine.until(() => changed(mine, inside.id).length > 0);
    await new Promise((r) => setTimeout(r, 300)); // the outside rotation's notification came first: nothing more is on its way
    expect(changed(mine, outside.id)).toEqual([]);
    expect(narrowed.events.filter((e) => e.event.startsWith("rotation."))).toEqual([]);
  });

  test("When only a rotation's lease or drift bookkeeping changes, then no event is sent; a change a client can see (updated_at) is one", async () => {
    const quiet = await create(b, { projectId: "rev-quiet" }, "rev-quiet");
    const stream = track(followRotations(a.runner.url, admin(), { projectId: "rev-quiet" }));
    await ready(stream);
    await a.runner.pool.query("UPDATE rotations SET lease_until = now() + interval '1 minute', lease_owner = 'someone' WHERE id = $1", [quiet.id]);
    await a.runner.pool.query("UPDATE rotations SET lease_until = NULL, lease_owner = NULL, drift_checked_at = now() WHERE id = $1", [quiet.id]);
    await a.runner.pool.query("UPDATE rotations SET updated_at = now() WHERE id = $1", [quiet.id]);
    await stream.until(() => changed(stream, quiet.id).length > 0);
    await new Promise((r) => setTimeout(r, 300)); // notifications arrive in commit order: the quiet ones would be here by now
    expect(changed(stream, quiet.id)).toHaveLength(1);
  });

  test("It is authorized like the rotation list: 401 without a token or session, 422 on a bad filter; SSE headers, never compressed", async () => {
    expect((await fetch(`${a.runner.url}${STREAM}`)).status).toBe(401);
    const bad = await fetch(`${a.runner.url}${STREAM}?environment=Not%20A%20Slug`, { headers: { authorization: `Bearer ${admin()}` } });
    expect(bad.status).toBe(422);
    const ac = new AbortController();
    const ok = await fetch(`${a.runner.url}${STREAM}?workspaceId=rev`, { headers: { authorization: `Bearer ${admin()}`, "accept-encoding": "gzip, br" }, signal: ac.signal });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(ok.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(ok.headers.get("content-encoding")).toBeNull();
    ac.abort();
    await ok.body?.cancel().catch(() => undefined);
  });

  test("Rotation streams count in the change feed's per-token cap with change-feed streams: one more is 429 with Retry-After, and closing one frees a place", async () => {
    const tok = (await a.api("POST", "/api/v1/auth/tokens", { name: "rev-cap", projectId: "rev", permission: "read" })).body.secret as string;
    const held = [track(followRotations(b.runner.url, tok)), track(followRotations(b.runner.url, tok)), track(follow(b.runner.url, tok, { projectId: "rev", environment: "dev", secretPath: "/" }))];
    for (const f of held) await f.until((es) => es.some((e) => e.event === "ready" || e.event === "reset"));
    const refused = await fetch(`${b.runner.url}${STREAM}`, { headers: { authorization: `Bearer ${tok}` } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ error: "TooManyRequests", message: expect.stringMatching(/token already has 3 open event streams \(change feed, project events, rotation status\)/) });
    await held[0].close();
    const end = Date.now() + 3000;
    while (b.runner.rotationFeed.count() > 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await ready(track(followRotations(b.runner.url, tok)));
  });

  test("A console session may follow the stream with its cookie, and its stream ends when the session signs out", async () => {
    const url = b.runner.url;
    const signIn = await fetch(`${url}/api/v1/console/session`, { method: "POST", headers: { "content-type": "application/json", origin: url }, body: JSON.stringify({ token: admin() }) });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0];
    const stream = await fetch(`${url}${STREAM}`, { headers: { cookie } });
    expect(stream.status).toBe(200);
    let text = "";
    let ended = false;
    const reading = (async () => {
      const reader = stream.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
      ended = true;
    })();
    const until = async (ok: () => boolean) => {
      const end = Date.now() + 3000;
      while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(ok()).toBe(true);
    };
    await until(() => text.includes("event: ready"));
    expect((await fetch(`${url}/api/v1/console/session`, { method: "DELETE", headers: { cookie, origin: url } })).status).toBe(200);
    await until(() => ended);
    await reading;
  });

  test("Each console session is capped as a token of its own: when one admin session has used its streams, another admin session still opens one", async () => {
    const url = b.runner.url; // 3 streams per token on this runner
    const session = async () => {
      const res = await fetch(`${url}/api/v1/console/session`, { method: "POST", headers: { "content-type": "application/json", origin: url }, body: JSON.stringify({ token: admin() }) });
      expect(res.status).toBe(200);
      return (res.headers.get("set-cookie") ?? "").split(";")[0];
    };
    const [first, second] = [await session(), await session()];
    const controllers: AbortController[] = [];
    const openWith = async (cookie: string) => {
      const c = new AbortController();
      controllers.push(c);
      const res = await fetch(`${url}${STREAM}`, { headers: { cookie }, signal: c.signal });
      if (res.status !== 200) await res.body?.cancel();
      return res.status;
    };
    try {
      expect([await openWith(first), await openWith(first), await openWith(first)]).toEqual([200, 200, 200]);
      expect(await openWith(first)).toBe(429);
      expect(await openWith(second)).toBe(200);
    } finally {
      for (const c of controllers) c.abort();
      for (const cookie of [first, second]) await fetch(`${url}/api/v1/console/session`, { method: "DELETE", headers: { cookie, origin: url } });
    }
  });

  test("When a console opens and closes more streams in a minute than the allowance of failed authentications, then they never use it up: its session still answers, and bad tokens still meet the 429", async () => {
    const c = await startTestRunner({ storeOf: a, logLevel: "warn", authFailuresPerMinute: 3, feed: { heartbeatMs: 250 } });
    try {
      const url = c.runner.url;
      const signIn = await fetch(`${url}/api/v1/console/session`, { method: "POST", headers: { "content-type": "application/json", origin: url }, body: JSON.stringify({ token: admin() }) });
      expect(signIn.status).toBe(200);
      const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0];
      for (let i = 0; i < 6; i++) {
        const tab = new AbortController(); // a console tab loaded, then closed or reloaded
        const res = await fetch(`${url}${STREAM}`, { headers: { cookie }, signal: tab.signal });
        expect(res.status).toBe(200);
        tab.abort();
      }
      expect((await fetch(`${url}/api/v1/console/session`, { headers: { cookie } })).status).toBe(200);
      const guesses: number[] = [];
      for (let i = 0; i < 4; i++) guesses.push((await fetch(`${url}${STREAM}`, { headers: { authorization: "Bearer pgr_tok_not-a-real-token" } })).status);
      expect(guesses).toEqual([401, 401, 401, 429]);
    } finally {
      await c.stop();
    }
  });

  test("runner.stop() closes open rotation streams at once and the clients see the end", async () => {
    const c = await startTestRunner({ storeOf: a, logLevel: "warn", feed: { heartbeatMs: 250 } });
    const followers = [track(followRotations(c.runner.url, admin())), track(followRotations(c.runner.url, admin()))];
    for (const f of followers) await ready(f);
    expect(c.runner.rotationFeed.count()).toBe(2);
    const started = Date.now();
    await c.stop();
    expect(Date.now() - started).toBeLessThan(5000); // stop() does not wait on the open streams (their heartbeats would keep them going)
    for (const f of followers) await f.until(() => f.ended(), 2000);
    expect(c.runner.rotationFeed.count()).toBe(0);
  });

  test("When a runner's store listener goes silent, then its rotation streams end and a new one is refused (503) while it is down, so no open stream silently misses changes", async () => {
    const proxy = await startTcpProxy({ host: cluster().host, port: cluster().port });
    const c = await startTestRunner({ storeOf: a, storeVia: proxy, logLevel: "silent", listenerProbeMs: 500 });
    try {
      const stream = track(followRotations(c.runner.url, admin()));
      await ready(stream);
      proxy.silence((x) => x.startup.includes("pgrotate-listen"), { andNew: true });
      await stream.until(() => stream.ended(), 10_000);
      const refused = await fetch(`${c.runner.url}${STREAM}`, { headers: { authorization: `Bearer ${admin()}` } });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: "StoreUnavailable" });
    } finally {
      await c.stop();
      await proxy.close();
    }
  }, 30_000);
});
