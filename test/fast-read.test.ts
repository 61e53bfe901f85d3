import http from "node:http";
import { type AppDeps, expressApp } from "../runner/app";
import { API_PIPELINE } from "../runner/api/pipeline";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const READ = "/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=fast&environment=prod&secretPath=/db";

/** The secret reads counted by how they were served, and those timed (the latency histogram's counts), from /metrics. */
async function readsByPath(t: TestRunner): Promise<{ counted: { memory: number; api: number }; timed: { memory: number; api: number } }> {
  const text = await (await fetch(`${t.runner.url}/metrics`, { headers: { authorization: `Bearer ${t.runner.adminToken}` } })).text();
  const sample = (series: string, path: string) => Number(new RegExp(`^${series}\\{path="${path}"\\} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
  const count = (path: string) => sample("pgrotate_secret_reads_total", path);
  const timed = (path: string) => sample("pgrotate_secret_read_duration_seconds_count", path);
  return { counted: { memory: count("memory"), api: count("api") }, timed: { memory: timed("memory"), api: timed("api") } };
}

async function get(t: TestRunner, url: string, token: string | null, method = "GET") {
  const res = await fetch(t.runner.url + url, { method, headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  const headers = Object.fromEntries([...res.headers].filter(([k]) => !["date", "connection", "keep-alive"].includes(k)));
  return { status: res.status, headers, text: await res.text() };
}

/** Runs `fn` and returns how many reads it added on each path; each one was also timed (read latency). */
async function served(t: TestRunner, fn: () => Promise<unknown>) {
  const before = await readsByPath(t);
  await fn();
  const after = await readsByPath(t);
  const counted = { memory: after.counted.memory - before.counted.memory, api: after.counted.api - before.counted.api };
  expect({ timed: { memory: after.timed.memory - before.timed.memory, api: after.timed.api - before.timed.api } }).toEqual({ timed: counted });
  return counted;
}

describe("Secret reads from memory: the hot GET by name answered before Express, identical to the API's answer", () => {
  let t: TestRunner;
  let target: Target;
  let rotationId: string;
  let appToken: string;
  /** The runner's clock runs this far ahead of the real one (to let a token expire by time). */
  let ahead = 0;

  beforeAll(async () => {
    target = await createTarget({ prefix: "fastread" });
    t = await startTestRunner({ clock: () => new Date(Date.now() + ahead) });
    const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    rotationId = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { projectId: "fast", environment: "prod", secretPath: "/db" }))).body.secretRotation.id;
    const ident = (await t.api("POST", "/api/v1/auth/identities", { name: "fast-app", projectId: "fast", environment: "prod", secretPath: "/db", permission: "read" })).body;
    appToken = (await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: ident.clientId, clientSecret: ident.clientSecret }, { token: null })).body.accessToken;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("When an app reads its secret, the read is answered from memory once its token and folder are cached, with the API's status, headers and body", async () => {
    const credentials = async () => {
      const c = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
      return c.generatedCredentials[c.activeIndex] as { username: string; password: string };
    };
    expect(await served(t, () => get(t, READ, appToken))).toEqual({ memory: 0, api: 1 }); // token not yet known
    expect((await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200); // folder cache invalidated
    let viaApi!: Awaited<ReturnType<typeof get>>;
    let fromMemory!: Awaited<ReturnType<typeof get>>;
    expect(await served(t, async () => (viaApi = await get(t, READ, appToken)))).toEqual({ memory: 0, api: 1 });
    expect(await served(t, async () => (fromMemory = await get(t, READ, appToken)))).toEqual({ memory: 1, api: 0 });
    expect(viaApi.status).toBe(200);
    expect(fromMemory).toEqual(viaApi);
    expect(fromMemory.headers).toMatchObject({ "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
    expect(JSON.parse(fromMemory.text).secret.secretValue).toBe((await credentials()).password);
  });

  test("A read from memory writes the same audit row as a read through the API", async () => {
    const { secret, token } = (await t.api("POST", "/api/v1/auth/tokens", { name: "audited", projectId: "fast", permission: "read" })).body;
    expect(await served(t, () => get(t, READ, secret))).toEqual({ memory: 0, api: 1 });
    await new Promise((r) => setTimeout(r, 250)); // the first row is flushed in its own window
    expect(await served(t, () => get(t, READ, secret))).toEqual({ memory: 1, api: 0 });
    await new Promise((r) => setTimeout(r, 250));
    const rows = (await t.api("GET", `/api/v1/audit-logs?limit=10&actor=token:${token.id}`)).body.auditLogs as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(2);
    const strip = ({ id: _id, at: _at, ...rest }: Record<string, unknown>) => rest;
    expect(strip(rows[0])).toEqual(strip(rows[1]));
    expect(strip(rows[0])).toMatchObject({ action: "secrets.read", projectId: "fast", environment: "prod", secretPath: "/db", status: 200, details: { keys: ["POSTGRES_DB_PASSWORD"] } });
  });

  test("Right after a rotation, a read from memory returns the new password", async () => {
    await get(t, READ, appToken);
    for (let i = 0; i < 3; i++) {
      expect((await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200);
      const creds = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
      await get(t, READ, appToken); // refills the folder cache through the API after the commit invalidated it
      let read!: Awaited<ReturnType<typeof get>>;
      expect(await served(t, async () => (read = await get(t, READ, appToken)))).toEqual({ memory: 1, api: 0 });
      expect(JSON.parse(read.text).secret.secretValue).toBe(creds.generatedCredentials[creds.activeIndex].password);
    }
  });

  test("A token revoked, expired or out of scope is refused by the API at once, never answered from memory", async () => {
    const mk = async (body: Record<string, unknown>) => (await t.api("POST", "/api/v1/auth/tokens", body)).body as { token: { id: string }; secret: string };
    const revoked = await mk({ name: "to-revoke", projectId: "fast", permission: "read" });
    expect((await get(t, READ, revoked.secret)).status).toBe(200);
    expect((await served(t, () => get(t, READ, revoked.secret))).memory).toBe(1);
    expect((await t.api("DELETE", `/api/v1/auth/tokens/${revoked.token.id}`)).status).toBe(200);
    expect(await served(t, async () => expect((await get(t, READ, revoked.secret)).status).toBe(401))).toEqual({ memory: 0, api: 0 });

    // Expiry is a matter of time, not of a store change: the cached token stops at its expiresAt.
    const expiring = await mk({ name: "to-expire", projectId: "fast", permission: "read", expiresIn: 60 });
    expect((await get(t, READ, expiring.secret)).status).toBe(200);
    expect((await served(t, () => get(t, READ, expiring.secret))).memory).toBe(1);
    ahead = 61_000;
    try {
      expect(await served(t, async () => expect((await get(t, READ, expiring.secret)).status).toBe(401))).toEqual({ memory: 0, api: 0 });
    } finally {
      ahead = 0;
    }

    const elsewhere = await mk({ name: "elsewhere", projectId: "other", permission: "read" });
    expect((await t.api("GET", "/api/v1/auth/tokens", undefined, { token: elsewhere.secret })).status).toBe(403); // now cached
    expect(await served(t, async () => expect((await get(t, READ, elsewhere.secret)).status).toBe(403))).toEqual({ memory: 0, api: 0 });
  });

  test("Bad or unusual reads get the API's answer: 404, 400 for NUL, 422 for a bad query, 403, 401 without a token, HEAD", async () => {
    const cases: Array<[string, string | null, number, string?]> = [
      ["/api/v3/secrets/raw/NOPE?workspaceId=fast&environment=prod&secretPath=/db", appToken, 404],
      ["/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=fast&environment=prod&secretPath=/db%00", appToken, 400],
      ["/api/v3/secrets/raw/POSTGRES%00?workspaceId=fast&environment=prod&secretPath=/db", appToken, 400],
      ["/api/v3/secrets/raw/%E0%A4%A?workspaceId=fast&environment=prod&secretPath=/db", appToken, 400],
      ["/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=fast&environment=prod&secretPath=db", appToken, 422],
      ["/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=fast&environment=dev&secretPath=/db", appToken, 403],
      ["/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=fast&workspaceId=x&environment=prod&secretPath=/db", appToken, 422],
      [READ, null, 401],
      [READ, "not-a-token", 401],
      [READ, appToken, 200, "HEAD"],
      [READ.replace("POSTGRES_DB_PASSWORD", "POSTGRES_DB_PASSWORD/"), appToken, 200],
    ];
    await get(t, READ, appToken);
    for (const [url, token, status, method] of cases) {
      let res!: Awaited<ReturnType<typeof get>>;
      const by = await served(t, async () => (res = await get(t, url, token, method)));
      expect([url, method, res.status, by.memory]).toEqual([url, method, status, 0]);
      if (status >= 400) expect(JSON.parse(res.text)).toMatchObject({ statusCode: status });
    }
  });

  test("On one keep-alive connection, each read is judged on its own token and URL, never answered with the connection's last read", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const once = (url: string, token: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.get(t.runner.url + url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("socket", (sk) => sockets.add(sk));
        req.on("error", reject);
      });
    try {
      expect(await once(READ, appToken)).toBe(200);
      const steps: Array<[string, string, number, number]> = [
        [READ, appToken, 200, 1],
        [READ, `${appToken}x`, 401, 0],
        [READ, appToken, 200, 1],
        [READ.replace("POSTGRES_DB_PASSWORD", "NOPE"), appToken, 404, 0],
        [READ, "not-a-token", 401, 0],
        [READ, appToken, 200, 1],
      ];
      for (const [url, token, status, memory] of steps) {
        let got = 0;
        const by = await served(t, async () => (got = await once(url, token)));
        expect([url, token === appToken, got, by.memory]).toEqual([url, token === appToken, status, memory]);
      }
      expect(sockets.size).toBe(1); // every request really rode the same connection
    } finally {
      agent.destroy();
    }
  });
});

/** An Express router layer, as far as the walk below reads it. */
interface Layer {
  name: string;
  route?: unknown;
  handle: { stack?: Layer[] };
  match(path: string): false | { path: string };
}

/** The names of the middleware a request to `path` passes through before a route answers it, in order. */
function middlewareBefore(stack: Layer[], path: string): string[] | undefined {
  const names: string[] = [];
  for (const layer of stack) {
    const m = layer.match(path);
    if (!m) continue;
    if (layer.route) return names;
    if (layer.handle.stack) {
      const inner = middlewareBefore(layer.handle.stack, path.slice(m.path.length) || "/");
      if (inner) return [...names, ...inner];
      continue;
    }
    names.push(layer.name);
  }
  return undefined;
}

describe("The read from memory applies the API's steps", () => {
  /** Stands in for every dependency: the app is only built to read its middleware, never called. */
  const inert: unknown = new Proxy(function inert() {}, { get: (_t, p) => (p === "then" ? undefined : inert), apply: () => inert });

  test("Every middleware a secret read by name passes through in the API is one the fast read is declared to apply (or to have nothing to do for): a middleware added to the API fails this test until it is", () => {
    const app = expressApp(inert as AppDeps) as unknown as { router: { stack: Layer[] } };
    const passed = middlewareBefore(app.router.stack, "/api/v3/secrets/raw/POSTGRES_DB_PASSWORD");
    expect(passed).toEqual(API_PIPELINE.map((s) => s.name));
    expect(middlewareBefore(app.router.stack, "/api/v2/secret-rotations/postgres-credentials")).toEqual(API_PIPELINE.map((s) => s.name)); // the same pipeline as any API route
    for (const step of API_PIPELINE) expect(step.fastRead).toMatch(/^(applies|nothing to do): /);
  });
});
