/**
 * pgrotate's own rules behind the Infisical routes its clients use (the clients' exact requests are replayed in
 * test/clients-*.test.ts): how a renewal ends, what a revocation reaches, how project names combine, what a
 * recursive read shows a scoped token, what a project by slug reveals, and that the fast read answers ETag and
 * 304 exactly as the API does.
 */
import { fakeClock } from "./helpers/clock";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const RAW = "/api/v3/secrets/raw";

describe("Infisical's routes under pgrotate's rules", () => {
  let t: TestRunner;
  let target: Target;
  const clock = fakeClock(new Date("2031-03-01T10:00:00Z"));

  beforeAll(async () => {
    target = await createTarget({ prefix: "compat" });
    t = await startTestRunner({ clock: clock.now, authFailuresPerMinute: 5 });
    const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const folders = [
      { name: "app", secretPath: "/app", mapping: { username: "APP_USER", password: "APP_PASSWORD" } },
      { name: "app-deep", secretPath: "/app/team/deep", mapping: { username: "DEEP_USER", password: "DEEP_PASSWORD" } },
      { name: "apple", secretPath: "/apple", mapping: { username: "APPLE_USER", password: "APPLE_PASSWORD" } },
    ];
    // One pair of users may serve one rotation only: the folders' rotations share the target's users one at a time.
    for (const [i, f] of folders.entries()) {
      const users: [string, string] = i === 0 ? target.users : [await target.addRole("u1"), await target.addRole("u2")];
      const res = await t.api("POST", ROTATIONS, infisicalCreateBody(conn, users, { name: f.name, projectId: "shop", environment: "prod", secretPath: f.secretPath, secretsMapping: f.mapping }));
      expect([f.name, res.status, res.body.message]).toEqual([f.name, 200, undefined]);
    }
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  const identity = async (name: string, scope: Record<string, unknown>, ttl = { accessTokenTTL: 600, accessTokenMaxTTL: 1800 }) => {
    const res = await t.api("POST", "/api/v1/auth/identities", { name, permission: "read", ...scope, ...ttl });
    expect(res.status).toBe(200);
    const login = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: res.body.clientId, clientSecret: res.body.clientSecret }, { token: null });
    expect(login.status).toBe(200);
    return login.body as { accessToken: string; expiresIn: number; accessTokenMaxTTL: number };
  };
  const renew = (accessToken: string) => t.api("POST", "/api/v1/auth/token/renew", { accessToken }, { token: null });
  const keysOf = (body: { secrets: Array<{ secretKey: string; secretPath: string }> }) => body.secrets.map((s) => `${s.secretPath} ${s.secretKey}`);

  test("When a login token is renewed, then it lives one TTL from now, never past its max TTL after login, and then renewal is refused so the client logs in again", async () => {
    const login = await identity("renewer", { projectId: "shop" });
    clock.add(300_000);
    const first = await renew(login.accessToken);
    expect([first.status, first.body.message]).toEqual([200, undefined]);
    expect(first.body).toEqual({ accessToken: login.accessToken, expiresIn: 600, accessTokenMaxTTL: 1800, tokenType: "Bearer" });
    clock.add(500_000); // 800 s after login, before the renewed expiry (900 s)
    expect((await renew(login.accessToken)).body.expiresIn).toBe(600);
    clock.add(500_000); // 1,300 s after login: one TTL more would pass the max TTL (1,800 s)
    const capped = await renew(login.accessToken);
    expect([capped.status, capped.body.expiresIn]).toEqual([200, 500]);
    expect((await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/app`, undefined, { token: login.accessToken })).status).toBe(200);
    clock.add(500_000); // at the max TTL: the token has expired and renewal cannot revive it
    const refused = await renew(login.accessToken);
    expect([refused.status, refused.body.message]).toEqual([401, expect.stringMatching(/log in again/)]);
    expect((await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/app`, undefined, { token: login.accessToken })).status).toBe(401);
  });

  test("When a login token is revoked by value, then it stops working at once; revoking it again succeeds; a value that is no login token is 401 and a bad body 422", async () => {
    const login = await identity("revoker", { projectId: "shop" });
    const revoke = (accessToken: unknown) => t.api("POST", "/api/v1/auth/token/revoke", { accessToken }, { token: null });
    expect((await revoke(login.accessToken)).body).toEqual({ message: "Successfully revoked access token" });
    expect((await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/app`, undefined, { token: login.accessToken })).status).toBe(401);
    expect((await renew(login.accessToken)).status).toBe(401);
    expect((await revoke(login.accessToken)).status).toBe(200);
    // The admin token and admin-made tokens are not login tokens: they are revoked by id, not by value here.
    expect((await revoke(t.runner.adminToken)).status).toBe(401);
    expect((await t.api("GET", "/api/v1/auth/tokens")).status).toBe(200);
    expect((await revoke("")).status).toBe(422);
    expect((await t.api("POST", "/api/v1/auth/token/revoke", { accessToken: login.accessToken, extra: 1 }, { token: null })).status).toBe(422);
  });

  test("When renewals keep failing past the failed-login limit, then logins still work (renewal's 401s are not failed logins)", async () => {
    for (let i = 0; i < 8; i++) expect((await renew(`pgr_at_not-a-token-${i}`)).status).toBe(401);
    await identity("after-bad-renewals", { projectId: "shop" });
  });

  test("When a query names the project twice, then the names must agree; empty parameters count as absent", async () => {
    const folder = "environment=prod&secretPath=%2Fapp";
    expect((await t.api("GET", `${RAW}?workspaceId=shop&workspaceSlug=shop&${folder}`)).status).toBe(200);
    expect((await t.api("GET", `${RAW}?workspaceId=&workspaceSlug=shop&${folder}`)).status).toBe(200);
    const differ = await t.api("GET", `${RAW}?workspaceId=shop&workspaceSlug=billing&${folder}`);
    expect([differ.status, differ.body.message]).toEqual([422, expect.stringMatching(/workspaceId and workspaceSlug name different projects/)]);
    expect((await t.api("GET", `/api/v4/secrets?projectId=shop&projectSlug=other&${folder}`)).status).toBe(422);
  });

  test("When a scoped token reads recursively, then it gets the folder and what lies under it within its scope, never a sibling whose name only starts the same", async () => {
    const admin = await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/app&recursive=true`);
    expect(keysOf(admin.body)).toEqual(["/app APP_PASSWORD", "/app APP_USER", "/app/team/deep DEEP_PASSWORD", "/app/team/deep DEEP_USER"]);
    expect(keysOf((await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/&recursive=true`)).body)).toHaveLength(6);
    // Scoped below the folder read: only its own subtree; scoped elsewhere: 403.
    const deep = await identity("deep-reader", { projectId: "shop", environment: "prod", secretPath: "/app/team" });
    const asDeep = await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/app&recursive=true`, undefined, { token: deep.accessToken });
    expect(keysOf(asDeep.body)).toEqual(["/app/team/deep DEEP_PASSWORD", "/app/team/deep DEEP_USER"]);
    expect((await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/app`, undefined, { token: deep.accessToken })).status).toBe(403);
    expect((await t.api("GET", `${RAW}?workspaceId=shop&environment=prod&secretPath=/apple&recursive=true`, undefined, { token: deep.accessToken })).status).toBe(403);
    expect((await t.api("GET", `${RAW}?workspaceId=shop&environment=dev&secretPath=/&recursive=true`, undefined, { token: deep.accessToken })).status).toBe(403);
  });

  test("When a project is looked up by slug, then it is found while a rotation lives in it, shows only the environments the token may read, and is 403 outside the token's scope", async () => {
    const found = await t.api("GET", "/api/v1/projects/slug/shop");
    expect(found.body).toMatchObject({ id: "shop", slug: "shop", environments: [{ slug: "prod", name: "prod" }] });
    expect((await t.api("GET", "/api/v2/workspace/shop")).body.id).toBe("shop");
    expect((await t.api("GET", "/api/v2/workspace/nothing-here")).status).toBe(404);
    expect((await t.api("GET", "/api/v2/workspace/not%20a%20slug")).status).toBe(422);
    const devOnly = await identity("dev-only", { projectId: "shop", environment: "dev" });
    expect((await t.api("GET", "/api/v1/projects/slug/shop", undefined, { token: devOnly.accessToken })).status).toBe(404);
    const billing = await identity("billing-only", { projectId: "billing" });
    expect((await t.api("GET", "/api/v1/projects/slug/shop", undefined, { token: billing.accessToken })).status).toBe(403);
  });

  test("When a project's environments are listed, then they are those the token may read, an empty list for a project with nothing filed, and 403 outside the token's scope", async () => {
    const envs = async (project: string, token?: string) => {
      const res = await t.api("GET", `/api/v1/projects/${project}/environments`, undefined, token ? { token } : undefined);
      return [res.status, res.body.environments ?? res.body.error];
    };
    expect(await envs("shop")).toEqual([200, ["prod"]]);
    expect(await envs("nothing-here")).toEqual([200, []]);
    expect(await envs("not%20a%20slug")).toEqual([422, "ValidationError"]);
    const devOnly = await identity("dev-only-envs", { projectId: "shop", environment: "dev" });
    expect(await envs("shop", devOnly.accessToken)).toEqual([200, []]);
    const prodOnly = await identity("prod-only-envs", { projectId: "shop", environment: "prod", secretPath: "/app" });
    expect(await envs("shop", prodOnly.accessToken)).toEqual([200, ["prod"]]);
    const billing = await identity("billing-only-envs", { projectId: "billing" });
    expect(await envs("shop", billing.accessToken)).toEqual([403, "Forbidden"]);
  });

  test("When a secret is read by name again and again, then the fast read answers with the API's ETag, 304 for a matching If-None-Match, and audits the 304", async () => {
    // A folder no test read before (its first read goes through Express), by a token the runner already knows
    // (so that read passes by the failed-login limiter, as the fast read does: the same headers).
    const url = `${RAW}/DEEP_PASSWORD?workspaceId=shop&environment=prod&secretPath=/app/team/deep`;
    const login = await identity("etag-reader", { projectId: "shop" });
    expect((await t.api("GET", "/api/v1/projects/slug/shop", undefined, { token: login.accessToken })).status).toBe(200);
    const read = async (headers: Record<string, string> = {}) => {
      const res = await fetch(t.runner.url + url, { headers: { authorization: `Bearer ${login.accessToken}`, ...headers } });
      const h = Object.fromEntries([...res.headers].filter(([k]) => !["date", "connection", "keep-alive"].includes(k)));
      return { status: res.status, headers: h, text: await res.text() };
    };
    const viaApi = await read(); // through Express: caches the folder
    const fromMemory = await read();
    expect(fromMemory).toEqual(viaApi);
    const etag = viaApi.headers.etag;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    const apiNotModified = await t.api("GET", url, undefined, { headers: { "if-none-match": etag } });
    expect(apiNotModified.status).toBe(304);
    const notModified = await read({ "if-none-match": `W/${etag}, "other"` });
    expect([notModified.status, notModified.text, notModified.headers.etag, notModified.headers["content-length"]]).toEqual([304, "", etag, undefined]);
    expect((await read({ "if-none-match": '"stale"' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // audit rows are written after the response
    const audits = (await t.api("GET", "/api/v1/audit-logs?limit=20")).body.auditLogs as Array<{ action: string; status: number; actor: string }>;
    expect(audits.filter((a) => a.action === "secrets.read" && a.status === 304).length).toBeGreaterThanOrEqual(2);
  });
});
