/**
 * The change feed (GET /api/v1/events/secrets) across two runners on one store: what it sends and never sends,
 * who may follow which folder, lossless resume from Last-Event-ID on the other runner, the replay window,
 * heartbeats, per-token limits, slow clients, revoked tokens, and runner stop.
 */
import net from "node:net";
import type { Runner } from "../runner/runtime";
import { loadConfig } from "../runner/config";
import { pruneEvents } from "../runner/store/secret-events";
import { follow, type Follower } from "./helpers/feed";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";
import { withClient } from "./helpers/pg";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const FOLDER = { projectId: "feed", environment: "dev", secretPath: "/" };
const KEYS = ["POSTGRES_DB_PASSWORD", "POSTGRES_DB_USERNAME"];

describe("The change feed across two runners on one store", () => {
  let t: TestRunner;
  let bt: TestRunner;
  let b: Runner;
  let target: Target;
  let connectionId: string;
  let rotationId: string;
  const open: Follower[] = [];
  const track = (f: Follower) => (open.push(f), f);
  const admin = () => t.runner.adminToken;
  const rotate = async (on: Runner = t.runner) => {
    const res = await fetch(`${on.url}${ROTATIONS}/${rotationId}/rotate-secrets?force=true`, { method: "POST", headers: { authorization: `Bearer ${admin()}` } });
    expect(res.status).toBe(200);
  };
  const ready = (f: Follower) => f.until((es) => es.some((e) => e.event === "ready" || e.event === "reset"));

  beforeAll(async () => {
    target = await createTarget({ prefix: "feed" });
    t = await startTestRunner({ logLevel: "warn", feed: { heartbeatMs: 250 } });
    bt = await startTestRunner({ storeOf: t, logLevel: "warn", feed: { heartbeatMs: 250, maxStreamsPerToken: 3, maxStreamsPerIdentity: 4 } });
    b = bt.runner;
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
  });
  afterEach(async () => {
    for (const f of open.splice(0)) await f.close();
    // Nothing a test opened stays open on either runner.
    const end = Date.now() + 3000;
    while ((t.runner.feed.count() || b.feed.count()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect([t.runner.feed.count(), b.feed.count()]).toEqual([0, 0]);
  });
  afterAll(async () => {
    for (const f of open.splice(0)) await f.close();
    await bt?.stop();
    await t?.stop();
    await target?.drop();
  });

  test("When a rotation is created and rotated on runner A, then a stream on runner B gets secret.changed with the rotation id, the secret names and the time — never a value", async () => {
    const feed = track(follow(b.url, admin(), FOLDER));
    await ready(feed);
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { projectId: "feed" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
    await rotate();
    await feed.until(() => feed.changes().length >= 2);
    const [c1, c2] = feed.changes();
    for (const c of [c1, c2]) {
      expect(c).toMatchObject({ rotationId, secretKeys: KEYS, ...FOLDER });
      expect(Date.now() - Date.parse(c.occurredAt)).toBeLessThan(60_000);
    }
    expect(Number(c2.id)).toBeGreaterThan(Number(c1.id));
    const creds = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body.generatedCredentials as Array<{ password: string }>;
    const everything = JSON.stringify(feed.events);
    for (const c of creds) expect(everything).not.toContain(c.password);
    expect(everything).not.toContain(admin());
  });

  test("A stream sees only its own folder's changes", async () => {
    const other = { projectId: "feed-other", environment: "dev", secretPath: "/x" };
    const mine = track(follow(t.runner.url, admin(), FOLDER));
    const theirs = track(follow(t.runner.url, admin(), other));
    await ready(mine);
    await ready(theirs);
    const target2 = await createTarget({ prefix: "feedb" });
    try {
      const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target2.connectionBody())).body.appConnection.id;
      const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target2.users, { ...other, name: "other-folder" }));
      expect(created.status).toBe(200);
      await rotate();
      await theirs.until(() => theirs.changes().length === 1);
      await mine.until(() => mine.changes().length === 1);
      expect(theirs.changes()[0].rotationId).toBe(created.body.secretRotation.id);
      expect(mine.changes()[0].rotationId).toBe(rotationId);
      await t.api("DELETE", `${ROTATIONS}/${created.body.secretRotation.id}?deleteSecrets=true`);
      await theirs.until(() => theirs.changes().length === 2); // deleting the secrets is a change too
      expect(mine.changes()).toHaveLength(1);
      await t.api("DELETE", `/api/v1/app-connections/postgres/${conn}`);
    } finally {
      await target2.drop();
    }
  });

  test("It is authorized like a raw secret read: 401 without a token, 403 outside the token's scope, 422 on a bad folder; SSE headers survive Accept-Encoding", async () => {
    const url = (q: string) => `${t.runner.url}/api/v1/events/secrets?${q}`;
    expect((await fetch(url("workspaceId=feed"))).status).toBe(401);
    const scoped = (await t.api("POST", "/api/v1/auth/tokens", { name: "feed-read", projectId: "feed", environment: "dev", permission: "read" })).body.secret;
    const denied = await fetch(url("workspaceId=other&environment=dev"), { headers: { authorization: `Bearer ${scoped}` } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: string }).error).toBe("Forbidden");
    const bad = await fetch(url("workspaceId=feed&environment=Not%20A%20Slug"), { headers: { authorization: `Bearer ${scoped}` } });
    expect(bad.status).toBe(422);
    const ac = new AbortController();
    const ok = await fetch(url("workspaceId=feed&environment=dev&secretPath=/"), { headers: { authorization: `Bearer ${scoped}`, "accept-encoding": "gzip, br" }, signal: ac.signal });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(ok.headers.get("cache-control")).toBe("no-store, no-transform");
    expect(ok.headers.get("content-encoding")).toBeNull();
    expect(ok.headers.get("x-content-type-options")).toBe("nosniff");
    ac.abort();
    await ok.body?.cancel().catch(() => undefined);
  });

  test("When a client comes back with its Last-Event-ID on the other runner, then it gets exactly the changes it missed, in order, and no duplicate after", async () => {
    const first = track(follow(t.runner.url, admin(), FOLDER));
    await ready(first);
    await first.until(() => first.events.some((e) => e.event === "heartbeat"));
    const resumeFrom = first.lastEventId();
    expect(resumeFrom).toMatch(/^\d+-\d+:\d+:/);
    await first.close();
    for (let i = 0; i < 3; i++) await rotate(i % 2 ? b : t.runner);
    const back = track(follow(b.url, admin(), FOLDER, { lastEventId: resumeFrom }));
    await back.until((es) => es.some((e) => e.event === "ready"));
    const missed = back.changes();
    expect(missed).toHaveLength(3);
    expect(missed.every((c) => c.rotationId === rotationId)).toBe(true);
    expect(missed.map((c) => Number(c.id))).toEqual([...missed.map((c) => Number(c.id))].sort((x, y) => x - y));
    expect(back.events.find((e) => e.event === "ready")!.data).toMatchObject({ replayed: 3 });
    await rotate();
    await back.until(() => back.changes().length === 4);
    await new Promise((r) => setTimeout(r, 600)); // two heartbeats: the hub's reads would have repeated it by now
    const ids = back.changes().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("Events are pruned by age and count but never younger than 10 minutes, so a live reader never has to reset", async () => {
    await rotate();
    expect(await pruneEvents(t.runner.pool, 0, 0)).toBe(0);
    await withClient(t.storeUrl, (c) => c.query("UPDATE secret_events SET at = at - interval '11 minutes'"));
    expect(await pruneEvents(t.runner.pool, 3600, 1)).toBeGreaterThan(0);
    expect(Number((await withClient(t.storeUrl, (c) => c.query("SELECT count(*) AS n FROM secret_events"))).rows[0].n)).toBe(1);
    await withClient(t.storeUrl, (c) => c.query("UPDATE secret_event_horizon SET pruned_through = 'epoch'"));
  });

  test("A Last-Event-ID older than the events the store keeps, or not a cursor at all, gets reset (re-read), then live changes", async () => {
    const first = track(follow(t.runner.url, admin(), FOLDER));
    await ready(first);
    const [ms, snapshot] = first.lastEventId()!.split(/-(.*)/s);
    await first.close();
    // The store pruned through 30 minutes ago; a cursor from an hour ago may have missed what was pruned.
    await withClient(t.storeUrl, (c) => c.query("UPDATE secret_event_horizon SET pruned_through = now() - interval '30 minutes'"));
    const late = track(follow(b.url, admin(), FOLDER, { lastEventId: `${Number(ms) - 3_600_000}-${snapshot}` }));
    await late.until((es) => es.some((e) => e.event === "reset"));
    expect(late.events.find((e) => e.event === "reset")?.data).toMatchObject({ reason: expect.stringMatching(/older than/) });
    // …while one from after the horizon resumes normally.
    const recent = track(follow(b.url, admin(), FOLDER, { lastEventId: `${ms}-${snapshot}` }));
    await recent.until((es) => es.some((e) => e.event === "ready"));
    const junk = track(follow(t.runner.url, admin(), FOLDER, { lastEventId: "not-a-cursor" }));
    await junk.until((es) => es.some((e) => e.event === "reset"));
    const impossible = track(follow(t.runner.url, admin(), FOLDER, { lastEventId: `${Date.now()}-10:5:7` }));
    await impossible.until((es) => es.some((e) => e.event === "reset"));
    await rotate();
    for (const f of [late, recent, junk, impossible]) await f.until(() => f.changes().length === 1);
    for (const f of [late, recent, junk, impossible]) expect(f.events.filter((e) => e.event === "reset").length).toBeLessThanOrEqual(1);
    await withClient(t.storeUrl, (c) => c.query("UPDATE secret_event_horizon SET pruned_through = 'epoch'"));
  });

  test("Heartbeats arrive on a quiet stream, each moving its Last-Event-ID", async () => {
    const f = track(follow(b.url, admin(), FOLDER));
    await ready(f);
    await f.until((es) => es.filter((e) => e.event === "heartbeat").length >= 3, 3000);
    for (const h of f.events.filter((e) => e.event === "heartbeat")) expect(h.lastEventId).toMatch(/^\d+-\d+:\d+:/);
  });

  test("A token may hold only so many open streams per runner: one more is 429, another token is not affected, and closing one frees a place", async () => {
    const tok = (await t.api("POST", "/api/v1/auth/tokens", { name: "feed-limit", projectId: "feed", permission: "read" })).body.secret;
    const three = [0, 1, 2].map(() => track(follow(b.url, tok, FOLDER)));
    for (const f of three) await ready(f);
    const fourth = await fetch(`${b.url}/api/v1/events/secrets?workspaceId=feed`, { headers: { authorization: `Bearer ${tok}` } });
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await fourth.json()).toMatchObject({ error: "TooManyRequests", message: expect.stringMatching(/token already has 3 open event streams \(change feed, project events, rotation status\)/) });
    const otherToken = track(follow(b.url, admin(), FOLDER));
    await ready(otherToken);
    const before = b.feed.count();
    await three[0].close();
    const end = Date.now() + 3000;
    while (b.feed.count() >= before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const again = track(follow(b.url, tok, FOLDER));
    await ready(again);
  });

  test("When a machine identity logs in 5 times, then its access tokens together hold at most 4 streams per runner: the 5th is 429 with Retry-After, and closing one frees a place", async () => {
    const created = (await t.api("POST", "/api/v1/auth/identities", { name: "feed-identity-cap", projectId: "feed", permission: "read" })).body;
    const login = async () => {
      const res = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: created.clientId, clientSecret: created.clientSecret }, { token: null });
      expect(res.status).toBe(200);
      return res.body.accessToken as string;
    };
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push(await login());
    const four = tokens.slice(0, 4).map((tok) => track(follow(b.url, tok, FOLDER)));
    for (const f of four) await ready(f);
    const fifth = await fetch(`${b.url}/api/v1/events/secrets?workspaceId=feed`, { headers: { authorization: `Bearer ${tokens[4]}` } });
    expect(fifth.status).toBe(429);
    expect(Number(fifth.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await fifth.json()).toMatchObject({ statusCode: 429, error: "TooManyRequests", message: expect.stringMatching(/machine identity already has 4 open event streams \(change feed, project events, rotation status\)/) });
    // Another principal is not affected.
    await ready(track(follow(b.url, admin(), FOLDER)));
    const before = b.feed.count();
    await four[0].close();
    const end = Date.now() + 3000;
    while (b.feed.count() >= before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await ready(track(follow(b.url, tokens[4], FOLDER)));
  });

  test("When a runner holds as many streams as its runner-wide cap, then the next stream of any principal is 429 with Retry-After, and closing one frees a place", async () => {
    const c = await startTestRunner({ storeOf: t, logLevel: "warn", feed: { heartbeatMs: 250 }, feedConfig: { maxStreams: 3 } });
    try {
      const tok = (await t.api("POST", "/api/v1/auth/tokens", { name: "feed-runner-cap", projectId: "feed", permission: "read" })).body.secret as string;
      const held = [track(follow(c.runner.url, admin(), FOLDER)), track(follow(c.runner.url, admin(), FOLDER)), track(follow(c.runner.url, tok, FOLDER))];
      for (const f of held) await ready(f);
      const other = (await t.api("POST", "/api/v1/auth/tokens", { name: "feed-runner-cap-2", projectId: "feed", permission: "read" })).body.secret as string;
      for (const who of [other, admin(), tok]) {
        const refused = await fetch(`${c.runner.url}/api/v1/events/secrets?workspaceId=feed`, { headers: { authorization: `Bearer ${who}` } });
        expect(refused.status).toBe(429);
        expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        expect(await refused.json()).toMatchObject({ error: "TooManyRequests", message: expect.stringMatching(/runner already has 3 open event streams \(change feed, project events, rotation status\)/) });
      }
      expect(c.runner.feed.count()).toBe(3);
      await held[0].close();
      const end = Date.now() + 3000;
      while (c.runner.feed.count() >= 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      await ready(track(follow(c.runner.url, other, FOLDER)));
      for (const f of open.splice(0)) await f.close();
    } finally {
      await c.stop();
    }
  });

  test("A client that does not read is dropped once too much waits for it, not buffered forever; a reading client gets everything", async () => {
    const slowFolder = { projectId: "feed", environment: "dev", secretPath: "/slow" };
    const reader = track(follow(b.url, admin(), slowFolder));
    await ready(reader);
    const before = b.feed.count();
    // A raw socket that sends the request and never reads: what it is sent piles up in the kernel, then in the runner.
    const port = Number(new URL(b.url).port);
    const sock = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve) => sock.once("connect", () => resolve()));
    sock.write(`GET /api/v1/events/secrets?workspaceId=feed&environment=dev&secretPath=/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin()}\r\n\r\n`);
    sock.pause();
    const until = async (ok: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
      return ok();
    };
    expect(await until(() => b.feed.count() === before + 1, 3000)).toBe(true);
    // Each statement: one event naming 2,000 long keys (~250 kB); 80 of them (20 MB) are far more than socket buffers
    // (~4 MB on loopback) and the runner's 1 MiB per client hold.
    await withClient(t.storeUrl, async (c) => {
      for (let i = 0; i < 40; i++) {
        await c.query(`INSERT INTO secrets (id, project_id, environment, secret_path, key, value_sealed)
          SELECT gen_random_uuid(), 'feed', 'dev', '/slow', 'K${i}_' || g || '_' || repeat('x', 100), '\\x00'::bytea FROM generate_series(1, 2000) g`);
        await c.query("DELETE FROM secrets WHERE secret_path = '/slow'");
      }
    });
    expect(await until(() => b.feed.count() === before, 20_000)).toBe(true);
    await reader.until(() => reader.changes().length === 80, 20_000);
    sock.destroy();
  });

  test("When a token is revoked, its open streams end within a heartbeat or two", async () => {
    const created = (await t.api("POST", "/api/v1/auth/tokens", { name: "feed-revoke", projectId: "feed", permission: "read" })).body;
    const f = track(follow(b.url, created.secret, FOLDER));
    await ready(f);
    expect((await t.api("DELETE", `/api/v1/auth/tokens/${created.token.id}`)).status).toBe(200);
    await f.until(() => f.ended(), 3000).catch(() => undefined);
    expect(f.ended()).toBe(true);
  });

  test("A console session may follow the feed with its cookie, and its stream ends when the session signs out", async () => {
    const signIn = await fetch(`${b.url}/api/v1/console/session`, { method: "POST", headers: { "content-type": "application/json", origin: b.url }, body: JSON.stringify({ token: admin() }) });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0];
    const stream = await fetch(`${b.url}/api/v1/events/secrets?workspaceId=feed&environment=dev&secretPath=/`, { headers: { cookie } });
    expect(stream.status).toBe(200);
    let ended = false;
    const reading = (async () => {
      const reader = stream.body!.getReader();
      while (!(await reader.read()).done);
      ended = true;
    })();
    const out = await fetch(`${b.url}/api/v1/console/session`, { method: "DELETE", headers: { cookie, origin: b.url } });
    expect(out.status).toBe(200);
    const end = Date.now() + 3000;
    while (!ended && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(ended).toBe(true);
    await reading;
  });

  test("runner.stop() closes open streams at once (stop does not wait on them) and the clients see the end", async () => {
    const c = await startTestRunner({ storeOf: t, logLevel: "warn", feed: { heartbeatMs: 250 } });
    const followers = [track(follow(c.runner.url, admin(), FOLDER)), track(follow(c.runner.url, admin(), FOLDER))];
    for (const f of followers) await ready(f);
    expect(c.runner.feed.count()).toBe(2);
    const started = Date.now();
    await c.stop();
    expect(Date.now() - started).toBeLessThan(5000); // stop() does not wait on the open streams (their heartbeats would keep them going)
    for (const f of followers) await f.until(() => f.ended(), 2000);
    expect(c.runner.feed.count()).toBe(0);
  });
});

describe("The change feed's stream caps in the configuration", () => {
  test("When PGROTATE_FEED_MAX_STREAMS_PER_TOKEN, _PER_IDENTITY and PGROTATE_FEED_MAX_STREAMS are set, then the config carries them; unset, the runner's defaults apply", () => {
    const env = { PGROTATE_FEED_MAX_STREAMS_PER_TOKEN: "5", PGROTATE_FEED_MAX_STREAMS_PER_IDENTITY: "50", PGROTATE_FEED_MAX_STREAMS: "500" };
    expect(loadConfig(env).feed).toEqual({ maxStreamsPerToken: 5, maxStreamsPerIdentity: 50, maxStreams: 500 });
    expect(loadConfig({}).feed).toEqual({ maxStreamsPerToken: undefined, maxStreamsPerIdentity: undefined, maxStreams: undefined });
  });

  test("When a cap is not a whole number of at least 1, then the configuration is refused naming the variable", () => {
    for (const bad of ["0", "-3", "2.5", "many"]) {
      expect(() => loadConfig({ PGROTATE_FEED_MAX_STREAMS_PER_IDENTITY: bad })).toThrow(/PGROTATE_FEED_MAX_STREAMS_PER_IDENTITY/);
    }
  });
});
