/**
 * The web console's server side, without a browser: sign-in sessions (cookie flags, scope, expiry, revocation,
 * audit, rate limit), the same-origin rule for cookie requests, the managed-by mark, and how the console's
 * files are served (cache headers, CSP, deep links, JSON 404 under /api).
 */
import fs from "node:fs";
import path from "node:path";
import { AccessService } from "../runner/auth/access";
import { ConsoleSessions } from "../runner/auth/sessions";
import { CONSOLE_CSP, consoleDir } from "../runner/api/console-static";
import { apiCall, type ApiResponse } from "./helpers/http";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const SESSION = "/api/v1/console/session";
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const HOUR = 3600_000;

describe("Web console: sessions, CSRF, managed-by mark and static files", () => {
  let t: TestRunner;
  let target: Target;
  let skew = 0;
  let connectionId: string;

  beforeAll(async () => {
    target = await createTarget({ prefix: "consess" });
    t = await startTestRunner({ clock: () => new Date(Date.now() + skew), authFailuresPerMinute: 1000 });
    connectionId = (await t.api("POST", CONNECTIONS, target.connectionBody())).body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });
  afterEach(() => {
    skew = 0;
  });

  /** A request as a browser on the console's page sends it: the cookie, and Origin on state-changing methods. */
  function call(method: string, urlPath: string, o: { cookie?: string; origin?: string | null; referer?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.cookie) headers.cookie = o.cookie;
    const origin = o.origin === undefined ? (method === "GET" ? undefined : t.runner.url) : o.origin;
    if (origin) headers.origin = origin;
    if (o.referer) headers.referer = o.referer;
    return apiCall(t.runner.url, method, urlPath, o.body, { token: null, headers });
  }

  /** Signs in and returns the Cookie header value to send back. */
  async function signIn(body: Record<string, unknown>): Promise<{ cookie: string; setCookie: string; answer: ApiResponse }> {
    const answer = await call("POST", SESSION, { body });
    expect(answer.status).toBe(200);
    const setCookie = answer.headers.get("set-cookie") ?? "";
    return { cookie: setCookie.split(";")[0], setCookie, answer };
  }

  test("Signing in with the admin token sets an HttpOnly, SameSite=Strict session cookie that never holds the token", async () => {
    const { cookie, setCookie, answer } = await signIn({ token: t.runner.adminToken });
    expect(setCookie).toMatch(/^pgrotate_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain("Secure"); // plain http here; https (or an https PGROTATE_PUBLIC_URL) adds it
    expect(answer.text).not.toContain(t.runner.adminToken);
    expect(answer.body.session).toMatchObject({ kind: "admin", actor: "admin", permission: "manage" });
    expect(Date.parse(answer.body.session.expiresAt) - Date.now()).toBeLessThanOrEqual(12 * HOUR);
    expect(Date.parse(answer.body.session.idleExpiresAt) - Date.now()).toBeLessThanOrEqual(HOUR);
    const who = await call("GET", SESSION, { cookie });
    expect(who.status).toBe(200);
    expect(who.body.session.actor).toBe("admin");
    expect((await call("GET", ROTATIONS, { cookie })).status).toBe(200);
    // Only a hash of the session id is stored.
    const stored = await t.runner.pool.query("SELECT id_hash FROM console_sessions");
    const id = cookie.split("=")[1];
    expect(stored.rows.some((r: { id_hash: Buffer }) => r.id_hash.toString("hex").includes(Buffer.from(id).toString("hex")))).toBe(false);
  });

  test("A bad token is refused with 401, no cookie, and both attempts are in the audit log", async () => {
    const bad = await call("POST", SESSION, { body: { token: "not-a-real-token-value" } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    expect(bad.body).toMatchObject({ error: "Unauthorized" });
    expect((await call("POST", SESSION, { body: {} })).status).toBe(422);
    expect((await call("POST", SESSION, { body: { token: "x", clientId: "y", clientSecret: "z" } })).status).toBe(422);
    const logs = (await t.api("GET", "/api/v1/audit-logs?action=console.sign-in&limit=100")).body.auditLogs;
    expect(logs.some((l: { status: number; actor: string }) => l.status === 401 && l.actor === "anonymous")).toBe(true);
    expect(logs.some((l: { status: number; actor: string }) => l.status === 200 && l.actor === "admin")).toBe(true);
    expect(JSON.stringify(logs)).not.toContain("not-a-real-token-value");
  });

  test("With the cookie, a state-changing request from another origin (or from none) is refused with 403", async () => {
    const { cookie } = await signIn({ token: t.runner.adminToken });
    const rotate = `${ROTATIONS}/00000000-0000-4000-8000-000000000000/rotate-secrets`;
    expect((await call("POST", rotate, { cookie, origin: "http://evil.example" })).status).toBe(403);
    expect((await call("POST", rotate, { cookie, origin: "null" })).status).toBe(403);
    expect((await call("POST", rotate, { cookie, origin: null })).status).toBe(403);
    expect((await call("DELETE", SESSION, { cookie, origin: "http://127.0.0.1:1" })).status).toBe(403);
    const refused = await call("POST", CONNECTIONS, { cookie, origin: "http://evil.example", body: target.connectionBody("csrf-conn") });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/Cross-origin request refused/);
    expect((await t.api("GET", CONNECTIONS)).body.appConnections.map((c: { name: string }) => c.name)).not.toContain("csrf-conn");
    // From the console's own origin (Origin, or Referer when there is no Origin) it reaches the route (404: no such rotation).
    expect((await call("POST", rotate, { cookie })).status).toBe(404);
    expect((await call("POST", rotate, { cookie, origin: null, referer: `${t.runner.url}/rotations/x` })).status).toBe(404);
    // Reads need no Origin; a bearer token is not ambient authority, so it needs none either.
    expect((await call("GET", ROTATIONS, { cookie, origin: "http://evil.example" })).status).toBe(200);
    expect((await t.api("POST", rotate)).status).toBe(404);
    // Signing in from another page is refused too (login CSRF); curl sends no Origin and may.
    expect((await call("POST", SESSION, { origin: "http://evil.example", body: { token: t.runner.adminToken } })).status).toBe(403);
  });

  test("A read token's session is read-only: the API answers 403 to anything else; revoking the token ends the session", async () => {
    const rotation = (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { projectId: "shop" }))).body.secretRotation;
    const created = (await t.api("POST", "/api/v1/auth/tokens", { name: "console-read", projectId: "shop", permission: "read" })).body;
    const { cookie, answer } = await signIn({ token: created.secret });
    expect(answer.body.session).toMatchObject({ kind: "token", permission: "read", scope: { projectId: "shop", environment: null, secretPath: null } });
    const list = await call("GET", `${ROTATIONS}?projectId=shop`, { cookie });
    expect(list.body.secretRotations.map((r: { id: string }) => r.id)).toEqual([rotation.id]);
    expect((await call("POST", `${ROTATIONS}/${rotation.id}/rotate-secrets`, { cookie })).status).toBe(403);
    expect((await call("GET", `${ROTATIONS}/${rotation.id}/generated-credentials`, { cookie })).status).toBe(403);
    expect((await call("DELETE", `${ROTATIONS}/${rotation.id}`, { cookie })).status).toBe(403);
    const connections = await call("GET", CONNECTIONS, { cookie }); // only those granted to its scope: none
    expect([connections.status, connections.body.appConnections]).toEqual([200, []]);
    expect((await t.api("DELETE", `/api/v1/auth/tokens/${created.token.id}`)).status).toBe(200);
    const after = await call("GET", SESSION, { cookie });
    expect(after.status).toBe(401);
    expect(after.headers.get("set-cookie")).toMatch(/^pgrotate_session=; Path=\/; Max-Age=0/);
    expect((await t.api("DELETE", `${ROTATIONS}/${rotation.id}?deleteSecrets=true`)).status).toBe(200);
  });

  test("A machine identity signs in with its Client ID and Client Secret; a wrong secret is 401", async () => {
    const identity = (await t.api("POST", "/api/v1/auth/identities", { name: "console-ops", permission: "manage", projectId: "shop" })).body;
    const { cookie, answer } = await signIn({ clientId: identity.clientId, clientSecret: identity.clientSecret });
    expect(answer.body.session).toMatchObject({ kind: "identity", actor: `identity:${identity.identity.id}`, permission: "manage" });
    // The session ends with the identity's access token (2 h by default), sooner than 12 h.
    expect(Date.parse(answer.body.session.expiresAt) - Date.now()).toBeLessThanOrEqual(2 * HOUR);
    expect(answer.text).not.toContain(identity.clientSecret);
    expect((await call("GET", `${ROTATIONS}?projectId=shop`, { cookie })).status).toBe(200);
    expect((await call("POST", SESSION, { body: { clientId: identity.clientId, clientSecret: "pgr_cs_wrong" } })).status).toBe(401);
    await t.api("DELETE", `/api/v1/auth/identities/${identity.identity.id}`);
    expect((await call("GET", SESSION, { cookie })).status).toBe(401);
  });

  test("A session ends after an hour without use, 12 hours after sign-in however used, and at sign-out", async () => {
    const idle = await signIn({ token: t.runner.adminToken });
    skew = HOUR - 5 * 60_000;
    expect((await call("GET", SESSION, { cookie: idle.cookie })).status).toBe(200); // used: the idle hour starts again
    skew += HOUR - 2 * 60_000;
    expect((await call("GET", SESSION, { cookie: idle.cookie })).status).toBe(200);
    // Background refreshes do not count as use.
    skew += 40 * 60_000;
    expect((await call("GET", ROTATIONS, { cookie: idle.cookie, headers: { "x-pgrotate-background": "1" } })).status).toBe(200);
    skew += 25 * 60_000;
    const expired = await call("GET", SESSION, { cookie: idle.cookie });
    expect(expired.status).toBe(401);
    expect(expired.body.message).toMatch(/session has expired/);

    skew = 0;
    const busy = await signIn({ token: t.runner.adminToken });
    for (let h = 0.75; h < 12; h += 0.75) {
      skew = h * HOUR;
      expect((await call("GET", SESSION, { cookie: busy.cookie })).status).toBe(200);
    }
    skew = 12 * HOUR + 1000;
    expect((await call("GET", SESSION, { cookie: busy.cookie })).status).toBe(401);

    skew = 0;
    const out = await signIn({ token: t.runner.adminToken });
    expect((await call("DELETE", SESSION, { cookie: out.cookie })).body).toEqual({ signedOut: true });
    expect((await call("GET", SESSION, { cookie: out.cookie })).status).toBe(401);
  });

  test("A new admin token ends the sessions signed in with the old one", async () => {
    const { cookie } = await signIn({ token: t.runner.adminToken });
    const id = cookie.split("=")[1];
    const clock = () => new Date();
    const sessionsWith = (adminToken: string) => new ConsoleSessions({ pool: t.runner.pool, clock, access: new AccessService({ pool: t.runner.pool, clock, adminToken, maxAgeMs: 30_000 }) });
    expect(await sessionsWith(t.runner.adminToken).resolve(id, { touch: false })).toBeDefined();
    expect(await sessionsWith("another-admin-token-0123456789").resolve(id, { touch: false })).toBeUndefined();
    expect((await call("GET", SESSION, { cookie })).status).toBe(401);
  });

  test("Behind a TLS proxy (PGROTATE_PUBLIC_URL https): the cookie is Secure with the __Host- prefix, and the public origin may change state", async () => {
    const proxied = await startTestRunner({ publicUrl: "https://pgrotate.example.com/console" });
    try {
      const send = (method: string, urlPath: string, headers: Record<string, string>, body?: unknown) =>
        apiCall(proxied.runner.url, method, urlPath, body, { token: null, headers });
      const signedIn = await send("POST", SESSION, { origin: "https://pgrotate.example.com" }, { token: proxied.runner.adminToken });
      expect(signedIn.status).toBe(200);
      const setCookie = signedIn.headers.get("set-cookie")!;
      expect(setCookie).toMatch(/^__Host-pgrotate_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$/);
      const cookie = setCookie.split(";")[0];
      const rotate = `${ROTATIONS}/00000000-0000-4000-8000-000000000000/rotate-secrets`;
      expect((await send("POST", rotate, { cookie, origin: "https://pgrotate.example.com" })).status).toBe(404);
      expect((await send("POST", rotate, { cookie, origin: "http://pgrotate.example.com" })).status).toBe(403);
    } finally {
      await proxied.stop();
    }
  });

  test("Failed sign-ins count toward the 429 limit of failed authentications", async () => {
    const limited = await startTestRunner({ authFailuresPerMinute: 3 });
    try {
      const attempt = () => apiCall(limited.runner.url, "POST", SESSION, { token: "guess-guess-guess" }, { token: null });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await attempt()).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await limited.stop();
    }
  });

  test("X-Pgrotate-Managed-By marks what an IaC tool created or updated; other edits keep the mark; another value is 422", async () => {
    const created = await t.api("POST", CONNECTIONS, target.connectionBody("managed-conn"), { headers: { "x-pgrotate-managed-by": "pulumi" } });
    expect(created.body.appConnection.managedBy).toBe("pulumi");
    const id = created.body.appConnection.id;
    expect((await t.api("PATCH", `${CONNECTIONS}/${id}`, { description: "edited in the console" })).body.appConnection.managedBy).toBe("pulumi");
    expect((await t.api("PATCH", `${CONNECTIONS}/${id}`, { description: "x" }, { headers: { "x-pgrotate-managed-by": "terraform" } })).body.appConnection.managedBy).toBe("terraform");
    const bad = await t.api("PATCH", `${CONNECTIONS}/${id}`, { description: "y" }, { headers: { "x-pgrotate-managed-by": "ansible" } });
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual([{ path: "headers.x-pgrotate-managed-by", message: "must be pulumi or terraform" }]);
    expect((await t.api("GET", `${CONNECTIONS}/${connectionId}`)).body.appConnection.managedBy).toBeNull();
    const rotation = await t.api("POST", ROTATIONS, infisicalCreateBody(id, target.users, { name: "managed-rot", projectId: "iac" }), { headers: { "x-pgrotate-managed-by": "terraform" } });
    expect(rotation.body.secretRotation.managedBy).toBe("terraform");
    const rid = rotation.body.secretRotation.id;
    expect((await t.api("PATCH", `${ROTATIONS}/${rid}`, { description: "console edit" })).body.secretRotation.managedBy).toBe("terraform");
    expect((await t.api("GET", `${ROTATIONS}?projectId=iac`)).body.secretRotations[0].managedBy).toBe("terraform");
    await t.api("DELETE", `${ROTATIONS}/${rid}?deleteSecrets=true`);
  });

  describe("The console's files", () => {
    const dir = consoleDir();
    if (!dir) throw new Error("dist/console is missing: run `npm run build` (npm test does it in pretest)");
    const assets = fs.readdirSync(path.join(dir, "assets"));
    /** The console's files are not API operations: fetched as they are (apiCall checks answers against the API reference). */
    const file = async (urlPath: string) => {
      const res = await fetch(t.runner.url + urlPath);
      return { status: res.status, headers: res.headers, text: await res.text() };
    };

    test("index.html is never cached, has no inline script and is served with a strict CSP; hashed assets are immutable", async () => {
      const index = await file("/");
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toMatch(/^text\/html/);
      expect(index.headers.get("cache-control")).toBe("no-cache");
      expect(index.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
      expect(CONSOLE_CSP).toMatch(/script-src 'self'(;|$)/);
      expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
      const scripts = [...index.text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/src="\/assets\/[^"]+\.js"/);
        expect(body.trim()).toBe("");
      }
      const js = assets.find((a) => a.endsWith(".js"))!;
      const asset = await file(`/assets/${js}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toMatch(/javascript/);
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(/\beval\(/.test(asset.text)).toBe(false);
    });

    test("Deep links return index.html; unknown /api paths and missing assets stay JSON 404s", async () => {
      for (const p of ["/rotations/0b1c2d3e-0000-4000-8000-000000000000", "/app-connections", "/secrets?project=x", "/status"]) {
        const res = await file(p);
        expect(res.status).toBe(200);
        expect(res.text).toContain('<div id="root"></div>');
      }
      const api404 = await t.api("GET", "/api/v9/nothing-here");
      expect(api404.status).toBe(404);
      expect(api404.body).toMatchObject({ statusCode: 404, error: "NotFound" });
      const asset404 = await call("GET", "/assets/missing-abc123.js");
      expect(asset404.status).toBe(404);
      expect(asset404.body).toMatchObject({ error: "NotFound" });
      expect((await call("POST", "/rotations/x", { origin: null })).status).toBe(404);
      expect((await call("GET", "/healthz")).body).toEqual({ status: "ok" });
    });
  });
});
