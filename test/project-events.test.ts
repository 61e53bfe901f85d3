/**
 * POST /api/v1/events/subscribe/project-events as Infisical's Kubernetes operator uses it for `instantUpdates`,
 * on two real runners sharing one real store. The request is the one `CallSubscribeProjectEventsWithBaseURL`
 * builds (internal/api/api.go in Infisical/kubernetes-operator: the four secret events, one condition, the
 * headers its resty client sets), and the stream is read the way its parser reads it (internal/util/sse/sse.go:
 * `processStream`, `parseLine`, `isPingEvent`): a frame is dispatched at a blank line when it has an event or
 * data; `event: ping` only refreshes the connection's health; anything else triggers a resync.
 */
import { DEFAULT_HEARTBEAT_MS } from "../runner/services/secret-events";
import { compilePattern, patternSegments } from "../runner/services/path-patterns";
import { checkAgainstReference } from "./helpers/openapi";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const PROJECT = "pe";
const ENV = "dev";

/** internal/util/sse/sse.go's Event. */
interface GoEvent {
  ID: string;
  Event: string;
  Data: string;
  /** When it was dispatched (Date.now()). */
  at: number;
}

interface OperatorStream {
  /** What onEvent got: every dispatched frame that is not a ping. */
  events: GoEvent[];
  /** What only refreshed lastPing. */
  pings: GoEvent[];
  ended(): boolean;
  until(ok: () => boolean, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** The body api.go marshals (struct field order: projectId, register; environmentSlug, secretPath). */
function operatorBody(projectId: string, secretsPath: string, envSlug: string) {
  const conditions = { environmentSlug: envSlug, secretPath: secretsPath };
  return { projectId, register: ["secret:create", "secret:update", "secret:delete", "secret:import-mutation"].map((event) => ({ event, conditions })) };
}

/** The operator's path for a source: reconciler.go appends "/**" when recursive ("**" after a trailing slash). */
const recursive = (p: string) => (p.endsWith("/") ? `${p}**` : `${p}/**`);

/**
 * Opens a subscription as api.go does (POST {host}/api/v1/events/subscribe/project-events, Bearer token,
 * Content-Type/Accept/Connection headers) and reads it as sse.go does. A status ≥ 400 is returned with the
 * `message` the operator decodes from the body.
 */
async function subscribe(baseUrl: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; message?: string; contentType: string | null; stream?: OperatorStream }> {
  const abort = new AbortController();
  const res = await fetch(`${baseUrl}/api/v1/events/subscribe/project-events`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream", connection: "keep-alive", "user-agent": "k8-operator/test", ...headers },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  const contentType = res.headers.get("content-type");
  if (res.status >= 400) return { status: res.status, contentType, message: ((await res.json()) as { message: string }).message };
  const events: GoEvent[] = [];
  const pings: GoEvent[] = [];
  let ended = false;
  const done = (async () => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    let current = { ID: "", Event: "", Data: "" };
    let data: string[] = [];
    try {
      for (;;) {
        const { value, done: eof } = await reader.read();
        if (eof) break;
        buffered += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl).replace(/\r$/, ""); // bufio.ScanLines drops a trailing \r
          buffered = buffered.slice(nl + 1);
          if (line.length === 0) {
            if (data.length) current.Data = data.join("\n");
            if (current.Data !== "" || current.Event !== "") {
              const e = { ...current, at: Date.now() };
              const isPing = e.Event === "ping" || (e.Event === "" && e.Data.trim() === "1");
              (isPing ? pings : events).push(e);
              current = { ID: "", Event: "", Data: "" };
            }
            data = [];
            continue;
          }
          const colon = line.indexOf(":");
          if (colon === -1) continue;
          const field = line.slice(0, colon);
          let v = line.slice(colon + 1);
          if (v.startsWith(" ")) v = v.slice(1);
          if (field === "data") data.push(v);
          else if (field === "event") current.Event = v;
          else if (field === "id") current.ID = v;
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
    }
  })();
  const stream: OperatorStream = {
    events,
    pings,
    ended: () => ended,
    async until(ok, ms = 5000) {
      const end = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > end || ended) throw new Error(`condition not met (${ended ? "ended" : "timeout"}); events ${JSON.stringify(events.map((e) => [e.Event, e.Data]))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      abort.abort();
      await done;
    },
  };
  return { status: res.status, contentType, stream };
}

/** The folder and secret names of a secret:update frame (Infisical's data: one payload entry per name). */
function changed(e: GoEvent): { secretPath: string; keys: string[] } {
  const d = JSON.parse(e.Data) as { type: string; data: { eventType: string; payload: Array<{ environment: string; secretPath: string; secretKeys: string }> } };
  expect(d.type).toBe("secret-manager");
  expect(d.data.eventType).toBe(e.Event);
  return { secretPath: d.data.payload[0]?.secretPath, keys: d.data.payload.map((p) => p.secretKeys) };
}

describe("Folder patterns of a subscription", () => {
  test.each([
    ["/apps/a/**", ["/apps/a", "/apps/a/deep", "/apps/a/deep/er"], ["/apps", "/apps/ab", "/apps/b", "/"]],
    ["/**", ["/", "/x", "/x/y"], []],
    ["/apps/a", ["/apps/a"], ["/apps/a/deep", "/apps/ab", "/apps"]],
    ["/", ["/"], ["/apps"]],
    ["/apps/*/deep", ["/apps/a/deep", "/apps/b/deep"], ["/apps/deep", "/apps/a/b/deep", "/apps/a"]],
    ["/apps/a*", ["/apps/a", "/apps/ab"], ["/apps/b", "/apps/a/deep"]],
    ["/apps/**/deep", ["/apps/deep", "/apps/a/deep", "/apps/a/b/deep"], ["/apps/a", "/apps/a/deeper"]],
    ["/apps/a/", ["/apps/a"], ["/apps/a/deep"]],
  ])("%s matches %j and not %j", (pattern, yes, no) => {
    const p = compilePattern(patternSegments(pattern)!);
    for (const path of yes) expect([path, p.matches(path)]).toEqual([path, true]);
    for (const path of no) expect([path, p.matches(path)]).toEqual([path, false]);
  });

  test.each([
    ["/apps/a/**", "/apps/a"],
    ["/**", "/"],
    ["/apps/*/deep", "/apps"],
    ["/apps/a", "/apps/a"],
    ["/apps/a*/x", "/apps"],
  ])("The folder a principal must read to register %s is %s", (pattern, base) => {
    expect(compilePattern(patternSegments(pattern)!).base).toBe(base);
  });

  test.each(["", "apps", "/apps//a", "/apps/a***", "/apps/**x", "/a b", "/apps/a?"])("%j is not a pattern", (pattern) => {
    expect(patternSegments(pattern)).toBeUndefined();
  });
});

describe("Infisical's project-events subscription (the operator's instantUpdates) on the change feed, two runners", () => {
  let t: TestRunner;
  let bt: TestRunner;
  const targets: Target[] = [];
  /** Rotations by folder: /apps/a/deep (under A), /apps/ab (A's prefix, not under it), /apps/b (B). */
  const rotations: Record<string, string> = {};
  const open: OperatorStream[] = [];
  const admin = () => t.runner.adminToken;
  const track = (r: Awaited<ReturnType<typeof subscribe>>) => {
    expect([r.status, r.message]).toEqual([200, undefined]);
    open.push(r.stream!);
    return r.stream!;
  };
  /** Attached: the first ping (sent once the stream is registered with the hub). */
  const attached = (s: OperatorStream) => s.until(() => s.pings.length > 0);
  const rotate = async (folder: string, on: TestRunner = t) => {
    const res = await fetch(`${on.runner.url}${ROTATIONS}/${rotations[folder]}/rotate-secrets?force=true`, { method: "POST", headers: { authorization: `Bearer ${admin()}` } });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    t = await startTestRunner({ logLevel: "warn", feed: { heartbeatMs: 250 } });
    bt = await startTestRunner({ storeOf: t, logLevel: "warn", feed: { heartbeatMs: 250, maxStreamsPerToken: 3 } });
    for (const [i, folder] of ["/apps/a/deep", "/apps/ab", "/apps/b"].entries()) {
      const target = await createTarget({ prefix: `pe${i}` });
      targets.push(target);
      const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody(`pe-conn-${i}`))).body.appConnection.id;
      const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { name: `pe-${i}`, projectId: PROJECT, environment: ENV, secretPath: folder }));
      expect(created.status).toBe(200);
      rotations[folder] = created.body.secretRotation.id;
    }
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    const end = Date.now() + 3000;
    while ((t.runner.feed.count() || bt.runner.feed.count()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect([t.runner.feed.count(), bt.runner.feed.count()]).toEqual([0, 0]);
  });
  afterAll(async () => {
    for (const s of open.splice(0)) await s.close();
    await bt?.stop();
    await t?.stop();
    for (const target of targets) await target.drop();
  });

  test("When the operator subscribes to a folder recursively and a rotation changes a sub-folder, then secret:update arrives in under 2 s, with the folder and secret names and never a value", async () => {
    const res = await subscribe(t.runner.url, admin(), operatorBody(PROJECT, recursive("/apps/a"), ENV));
    expect(res.contentType).toBe("text/event-stream; charset=utf-8");
    expect(checkAgainstReference("POST", "/api/v1/events/subscribe/project-events", res.status, undefined, res.contentType)).toEqual([]);
    const s = track(res);
    await attached(s);
    expect(s.events).toEqual([]); // attaching dispatches nothing but a ping: no resync of its own
    const started = Date.now();
    await rotate("/apps/a/deep");
    await s.until(() => s.events.length > 0, 2000);
    const ms = s.events[0].at - started;
    console.log(`project-events: rotate-secrets request → secret:update on the operator's stream in ${ms} ms`);
    expect(ms).toBeLessThan(2000);
    expect(s.events[0].Event).toBe("secret:update");
    expect(changed(s.events[0])).toEqual({ secretPath: "/apps/a/deep", keys: ["POSTGRES_DB_PASSWORD", "POSTGRES_DB_USERNAME"] });
    const creds = (await t.api("GET", `${ROTATIONS}/${rotations["/apps/a/deep"]}/generated-credentials`)).body.generatedCredentials as Array<{ password: string }>;
    const everything = JSON.stringify([s.events, s.pings]);
    for (const c of creds) expect(everything).not.toContain(c.password);
    expect(everything).not.toContain(admin());
  });

  test("A sub-folder's change reaches the subscribers of its parent's /** and of /**, and not those of a sibling, of a name sharing its prefix, or of the parent alone", async () => {
    const all = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, recursive("/"), ENV)));
    const underA = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, "/apps/a/**", ENV)));
    const sibling = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, "/apps/b/**", ENV)));
    const aAlone = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, "/apps/a", ENV)));
    const otherEnv = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, "/**", "prod")));
    for (const s of [all, underA, sibling, aAlone, otherEnv]) await attached(s);
    await rotate("/apps/a/deep");
    await rotate("/apps/ab");
    await all.until(() => all.events.length === 2);
    await underA.until(() => underA.events.length === 1);
    const pingsNow = sibling.pings.length;
    await sibling.until(() => sibling.pings.length >= pingsNow + 2); // two heartbeats later: anything due has come
    expect(all.events.map((e) => changed(e).secretPath)).toEqual(["/apps/a/deep", "/apps/ab"]);
    expect(underA.events.map((e) => changed(e).secretPath)).toEqual(["/apps/a/deep"]);
    expect([sibling.events, aAlone.events, otherEnv.events]).toEqual([[], [], []]);
  });

  test("An identity scoped to folder A gets 403 for B, for a parent of A named without a wildcard and for any registration outside A; under A, or under a parent's wildcard, it gets A's changes only", async () => {
    const created = (await t.api("POST", "/api/v1/auth/identities", { name: "pe-folder-a", projectId: PROJECT, environment: ENV, secretPath: "/apps/a", permission: "read" })).body;
    const login = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: created.clientId, clientSecret: created.clientSecret }, { token: null });
    const token = login.body.accessToken as string;
    for (const path of [recursive("/apps/b"), "/apps/b", "/apps", "/"]) {
      const denied = await subscribe(t.runner.url, token, operatorBody(PROJECT, path, ENV));
      expect([path, denied.status]).toEqual([path, 403]);
      expect(denied.message).toMatch(/not allowed to access project pe, environment dev, path \//);
    }
    const mixed = await subscribe(t.runner.url, token, { projectId: PROJECT, register: [...operatorBody(PROJECT, "/apps/a/**", ENV).register, { event: "secret:update", conditions: { environmentSlug: ENV, secretPath: "/apps/b" } }] });
    expect([mixed.status, mixed.message]).toEqual([403, expect.stringMatching(/path \/apps\/b$/)]);
    expect((await subscribe(t.runner.url, token, operatorBody("other-project", "/apps/a/**", ENV))).status).toBe(403);
    expect((await subscribe(t.runner.url, token, operatorBody(PROJECT, "/apps/a/**", "prod"))).status).toBe(403);
    const mine = track(await subscribe(t.runner.url, token, operatorBody(PROJECT, recursive("/apps/a"), ENV)));
    // The operator's recursive source at the root ("/**"), or a glob over A's parent: accepted, A's part only.
    const parent = track(await subscribe(t.runner.url, token, operatorBody(PROJECT, recursive("/"), ENV)));
    const glob = track(await subscribe(t.runner.url, token, operatorBody(PROJECT, "/apps/*/deep", ENV)));
    const witness = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, "/**", ENV)));
    for (const s of [mine, parent, glob, witness]) await attached(s);
    await rotate("/apps/b");
    await rotate("/apps/ab");
    await rotate("/apps/a/deep");
    await witness.until(() => witness.events.length === 3);
    await mine.until(() => mine.events.length >= 1);
    const pingsNow = mine.pings.length;
    await mine.until(() => mine.pings.length >= pingsNow + 2);
    expect(mine.events.map((e) => changed(e).secretPath)).toEqual(["/apps/a/deep"]);
    expect(parent.events.map((e) => changed(e).secretPath)).toEqual(["/apps/a/deep"]);
    expect(glob.events.map((e) => changed(e).secretPath)).toEqual(["/apps/a/deep"]);
  });

  test("A bad body is refused with a message naming the field, in the shape the operator decodes ({ message }); no token is 401", async () => {
    const url = "/api/v1/events/subscribe/project-events";
    const ok = operatorBody(PROJECT, "/apps/a/**", ENV);
    const cases: Array<[unknown, RegExp]> = [
      [{ ...ok, register: [{ event: "secret:rename", conditions: { environmentSlug: ENV, secretPath: "/" } }] }, /register\.0\.event: event must be one of secret:create, secret:update, secret:delete, secret:import-mutation/],
      [{ ...ok, register: [{ event: "secret:update", conditions: { secretPath: "/" } }] }, /register\.0\.conditions\.environmentSlug: environmentSlug is required/],
      [{ ...ok, register: [{ event: "secret:update" }] }, /register\.0\.conditions: conditions is required/],
      [{ ...ok, register: [{ event: "secret:update", conditions: { environmentSlug: ENV, secretPath: "apps/a" } }] }, /register\.0\.conditions\.secretPath: secretPath must be a folder such as "\/"/],
      [{ ...ok, register: [{ event: "secret:update", conditions: { environmentSlug: ENV, secretPath: "/apps/**x" } }] }, /secretPath must be a folder/],
      [{ ...ok, register: [{ event: "secret:update", conditions: { environmentSlug: "Prod Env", secretPath: "/" } }] }, /environmentSlug must be an environment slug/],
      [{ ...ok, register: [] }, /register: register must name at least one event/],
      [{ register: ok.register }, /projectId/],
      [{ projectId: PROJECT }, /register: register is required/],
    ];
    for (const [body, message] of cases) {
      const res = await t.api("POST", url, body);
      expect([res.status, res.body.error]).toEqual([422, "ValidationError"]);
      expect(res.body.message).toMatch(message);
    }
    expect((await t.api("POST", url, undefined, { rawBody: "{not json" })).status).toBe(400);
    expect((await t.api("POST", url, ok, { token: null })).status).toBe(401);
    const viaOperator = await subscribe(t.runner.url, admin(), { ...ok, register: [{ event: "secret:update", conditions: { secretPath: "/" } }] });
    expect(viaOperator.message).toMatch(/environmentSlug is required/);
  });

  test("Pings are `event: ping` frames, which the operator counts as pings: one when attached, then one per heartbeat (15 s by default, under the operator's 2 min), each carrying the resume id", async () => {
    expect(DEFAULT_HEARTBEAT_MS).toBeLessThanOrEqual(120_000);
    const s = track(await subscribe(bt.runner.url, admin(), operatorBody(PROJECT, "/**", ENV)));
    await s.until(() => s.pings.length >= 4, 3000);
    for (const p of s.pings) expect([p.Event, p.Data, p.ID]).toEqual(["ping", "", expect.stringMatching(/^\d+-\d+:\d+:/)]);
    expect(s.events).toEqual([]);
  });

  test("When a client resumes with the Last-Event-ID of a ping, then the changes it missed come first as secret:update", async () => {
    const first = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, "/apps/**", ENV)));
    await first.until(() => first.pings.length >= 2);
    const resumeFrom = first.pings.at(-1)!.ID;
    await first.close();
    await rotate("/apps/b", bt);
    await rotate("/apps/a/deep");
    const back = track(await subscribe(bt.runner.url, admin(), operatorBody(PROJECT, "/apps/**", ENV), { "last-event-id": resumeFrom }));
    await back.until(() => back.events.length === 2);
    expect(back.events.map((e) => changed(e).secretPath)).toEqual(["/apps/b", "/apps/a/deep"]);
    const junk = track(await subscribe(bt.runner.url, admin(), operatorBody(PROJECT, "/apps/**", ENV), { "last-event-id": "not-a-cursor" }));
    await junk.until(() => junk.events.length === 1);
    // Cannot resume: re-read everything the subscription covers.
    expect(junk.events[0].Event).toBe("secret:import-mutation");
    expect(JSON.parse(junk.events[0].Data)).toEqual({ type: "secret-manager", data: { eventType: "secret:import-mutation", payload: { environment: ENV, secretPath: "/apps/**" } } });
  });

  test("When the subscription is on runner 1 and the rotation runs on runner 2, then runner 1's stream gets secret:update", async () => {
    const s = track(await subscribe(t.runner.url, admin(), operatorBody(PROJECT, recursive("/apps/b"), ENV)));
    await attached(s);
    const started = Date.now();
    await rotate("/apps/b", bt);
    await s.until(() => s.events.length === 1, 2000);
    console.log(`project-events: rotation on runner 2 → secret:update on runner 1 in ${s.events[0].at - started} ms`);
    expect(changed(s.events[0])).toEqual({ secretPath: "/apps/b", keys: ["POSTGRES_DB_PASSWORD", "POSTGRES_DB_USERNAME"] });
  });

  test("When the token is revoked, its subscription ends within a heartbeat or two", async () => {
    const created = (await t.api("POST", "/api/v1/auth/tokens", { name: "pe-revoke", projectId: PROJECT, permission: "read" })).body;
    const s = track(await subscribe(bt.runner.url, created.secret, operatorBody(PROJECT, "/**", ENV)));
    await attached(s);
    expect((await t.api("DELETE", `/api/v1/auth/tokens/${created.token.id}`)).status).toBe(200);
    await s.until(() => s.ended(), 3000).catch(() => undefined);
    expect(s.ended()).toBe(true);
  });

  test("Subscriptions count in the change feed's per-token cap together with change-feed streams: one more is 429 naming the cap", async () => {
    const tok = (await t.api("POST", "/api/v1/auth/tokens", { name: "pe-cap", projectId: PROJECT, permission: "read" })).body.secret as string;
    const ac = new AbortController();
    const feed = await fetch(`${bt.runner.url}/api/v1/events/secrets?workspaceId=${PROJECT}&environment=${ENV}&secretPath=/apps/b`, { headers: { authorization: `Bearer ${tok}` }, signal: ac.signal });
    expect(feed.status).toBe(200);
    try {
      for (let i = 0; i < 2; i++) await attached(track(await subscribe(bt.runner.url, tok, operatorBody(PROJECT, "/**", ENV))));
      const refused = await subscribe(bt.runner.url, tok, operatorBody(PROJECT, "/**", ENV));
      expect([refused.status, refused.message]).toEqual([429, expect.stringMatching(/token already has 3 open event streams \(change feed, project events, rotation status\)/)]);
    } finally {
      ac.abort();
      await feed.body?.cancel().catch(() => undefined);
    }
  });
});
