/**
 * Hostile input (issue 7, item 4): property-based fuzzing (fast-check) plus the Big List of Naughty Strings
 * against every endpoint's body, path and query. Properties: no 5xx, the process keeps serving, every
 * rejected request leaves the store exactly as it was, and names with quotes, semicolons, unicode or more
 * than 63 bytes are taken literally or refused clearly, never executed.
 */
import { AuditWriter } from "../runner/auth/audit";
import fc from "fast-check";
import { ofBytes, mutated, query, segment, text, toWellFormed, value } from "./helpers/hostile-input";
import { canLogin, uniqueName, withClient } from "./helpers/pg";
import { recordFigure, scale, SOAK } from "./helpers/profile";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { openDigester } from "./helpers/store-state";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const SUITE = "fuzz";
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const REQUESTS = scale(1500, 10000);
const SEED = Number(process.env.PGROTATE_FUZZ_SEED ?? 20261125);
const REQUEST_TIMEOUT_MS = 20_000;

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

interface FuzzRequest {
  label: string;
  method: string;
  path: string;
  auth: "admin" | "read" | "none" | { header: string };
  body?: { json: unknown } | { raw: string };
  headers?: Record<string, string>;
}

describe("Hostile input: every endpoint fuzzed", () => {
  let t: TestRunner;
  let target: Target;
  let nasty: Target;
  let canary: string;
  let connectionId: string;
  let rotationId: string;
  let readToken: string;
  let readTokenId: string;
  let identityClientId: string;

  beforeAll(async () => {
    target = await createTarget({ prefix: "fuzz" });
    canary = uniqueName("fuzz_canary");
    await target.sql(`CREATE ROLE ${q(canary)} NOLOGIN`);
    // Usernames a careless implementation would execute: a quote closing the identifier, a statement after a
    // semicolon, unicode, exactly 63 bytes (PostgreSQL's limit).
    const tag = uniqueName("n").slice(-10);
    nasty = await createTarget({
      prefix: "fuzzn",
      usernames: [`fz${tag}"; DROP ROLE ${q(canary)}; --`, ofBytes(`ü${tag}'; SELECT 1;--`, 63)],
    });
    t = await startTestRunner({ logLevel: "info", authFailuresPerMinute: 1_000_000 });
    const conn = await t.api("POST", CONNECTIONS, target.connectionBody("fuzz-main"));
    expect(conn.status).toBe(200);
    connectionId = conn.body.appConnection.id;
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { projectId: "fuzz", name: "fuzz-main" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
    // One rotation now, so a manual rotation without force=true meets the grace guard (a 409 that must change nothing).
    expect((await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`)).status).toBe(200);
    const tok = await t.api("POST", "/api/v1/auth/tokens", { name: "fuzz-read", projectId: "fuzz", permission: "read" });
    readToken = tok.body.secret;
    readTokenId = tok.body.token.id;
    identityClientId = (await t.api("POST", "/api/v1/auth/identities", { name: "fuzz-app", permission: "read" })).body.clientId;
  });

  afterAll(async () => {
    await t?.stop();
    await nasty?.drop();
    await target?.sql(`DROP ROLE IF EXISTS ${q(canary)}`).catch(() => undefined);
    await target?.drop();
  });

  const roleExists = async (name: string) => (await target.sql<{ n: number }>("SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1", [name]))[0].n === 1;

  describe("Names are taken literally or refused clearly", () => {
    let nastyConnection: string;
    let nastyRotation: string;
    const keys = { username: `DB_USER';TRUNCATE"secrets";--`, password: `пароль"ключ;😀` };

    test("When the usernames hold a quote, a semicolon with SQL after it, unicode and exactly 63 bytes, then create and rotate work on exactly those roles and the SQL is never run", async () => {
      nastyConnection = (await t.api("POST", CONNECTIONS, nasty.connectionBody("fuzz-nasty"))).body.appConnection.id;
      const res = await t.api("POST", ROTATIONS, infisicalCreateBody(nastyConnection, nasty.users, { projectId: "fuzz-nasty", name: "nasty", secretsMapping: keys }));
      expect([res.status, res.body.message]).toEqual([200, undefined]);
      nastyRotation = res.body.secretRotation.id;
      expect(res.body.secretRotation.parameters).toMatchObject({ username1: nasty.users[0], username2: nasty.users[1] });
      expect((await t.api("POST", `${ROTATIONS}/${nastyRotation}/rotate-secrets`)).status).toBe(200);
      const creds = (await t.api("GET", `${ROTATIONS}/${nastyRotation}/generated-credentials`)).body;
      expect(creds.generatedCredentials.map((c: { username: string }) => c.username)).toEqual(nasty.users);
      for (const c of creds.generatedCredentials) expect(await canLogin(nasty.cluster, nasty.database, c.username, c.password)).toBe(true);
      expect(await roleExists(canary)).toBe(true);
    });

    test("Secret names with quotes, semicolons and unicode are stored and read back literally", async () => {
      const list = await t.api("GET", "/api/v3/secrets/raw?workspaceId=fuzz-nasty&environment=dev&secretPath=/");
      expect(list.body.secrets.map((s: { secretKey: string }) => s.secretKey).sort()).toEqual([keys.username, keys.password].sort());
      const one = await t.api("GET", `/api/v3/secrets/raw/${encodeURIComponent(keys.username)}?workspaceId=fuzz-nasty&environment=dev&secretPath=/`);
      expect(one.status).toBe(200);
      expect(one.body.secret).toMatchObject({ secretKey: keys.username, secretValue: nasty.users[1] });
      const stored = await withClient(t.storeUrl, (c) => c.query<{ key: string }>("SELECT key FROM secrets WHERE project_id = 'fuzz-nasty' ORDER BY key"));
      expect(stored.rows.map((r) => r.key)).toEqual([keys.username, keys.password].sort());
      expect((await withClient(t.storeUrl, (c) => c.query("SELECT count(*)::int AS n FROM secrets"))).rows[0].n).toBeGreaterThanOrEqual(4);
    });

    test("When a username is 64 bytes, then create answers 422 naming the 63-byte limit and nothing is stored", async () => {
      const digester = await openDigester(t.storeUrl);
      const before = await digester.digest();
      const long = ofBytes("ü'; DROP ROLE x;--", 64);
      const res = await t.api("POST", ROTATIONS, infisicalCreateBody(nastyConnection, [long, nasty.users[1]], { projectId: "fuzz-nasty", name: "long", secretsMapping: { username: "L_U", password: "L_P" } }));
      expect(res.status).toBe(422);
      expect(res.body.error).toBe("ValidationError");
      expect(res.body.message).toMatch(/63 bytes/);
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain("parameters.username1");
      expect(await digester.digest()).toEqual(before);
      await digester.close();
    });

    test("When a username that does not exist carries SQL, then the precheck names that literal role (422) and nothing runs", async () => {
      const injected = `x'; DROP ROLE ${q(canary)}; --`;
      // The second user exists and belongs to no rotation (nasty.users[1] does: a claim of it would be 409 first).
      const res = await t.api("POST", ROTATIONS, infisicalCreateBody(nastyConnection, [injected, canary], { projectId: "fuzz-nasty", name: "inj", secretsMapping: { username: "I_U", password: "I_P" } }));
      expect(res.status).toBe(422);
      expect(res.body.error).toBe("PrecheckFailed");
      expect(res.body.details.missing).toEqual([`role ${q(injected)}`]);
      expect(await roleExists(canary)).toBe(true);
    });
  });

  describe("A NUL character, which PostgreSQL text cannot hold, is refused with a 4xx wherever it goes", () => {
    const NUL = "a\u0000b";
    const rotBody = (over: Record<string, unknown>) => infisicalCreateBody(connectionId, target.users, { projectId: "fuzz-nul", name: "nul", secretsMapping: { username: "NUL_U", password: "NUL_P" }, ...over });
    const cases: Array<[string, () => Promise<{ status: number; body: { error?: string } }>]> = [
      ["a rotation name in the path", () => t.api("GET", `${ROTATIONS}/rotation-name/${encodeURIComponent(NUL)}?projectId=fuzz`)],
      ["a secret name in the path", () => t.api("GET", `/api/v3/secrets/raw/${encodeURIComponent(NUL)}?workspaceId=fuzz`)],
      ["the projectId filter of the rotation list", () => t.api("GET", `${ROTATIONS}?projectId=${encodeURIComponent(NUL)}`)],
      ["the actor filter of the audit log", () => t.api("GET", `/api/v1/audit-logs?actor=${encodeURIComponent(NUL)}`)],
      ["the action filter of the audit log", () => t.api("GET", `/api/v1/audit-logs?action=${encodeURIComponent(NUL)}`)],
      ["a rotation description", () => t.api("POST", ROTATIONS, rotBody({ description: NUL }))],
      ["a secret name in secretsMapping", () => t.api("POST", ROTATIONS, rotBody({ secretsMapping: { username: NUL, password: "NUL_P" } }))],
      ["a rotation description in PATCH", () => t.api("PATCH", `${ROTATIONS}/${rotationId}`, { description: NUL })],
      ["a secret name in PATCH", () => t.api("PATCH", `${ROTATIONS}/${rotationId}`, { secretsMapping: { username: NUL, password: "POSTGRES_DB_PASSWORD" } })],
      ["a connection description", () => t.api("POST", CONNECTIONS, { ...target.connectionBody("nul-desc"), description: NUL })],
      ["a connection description in PATCH", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { description: NUL })],
      ["a connection database", () => t.api("POST", CONNECTIONS, { ...target.connectionBody("nul-db"), credentials: { ...(target.connectionBody().credentials as object), database: NUL } })],
      ["a connection password", () => t.api("POST", CONNECTIONS, { ...target.connectionBody("nul-pw"), credentials: { ...(target.connectionBody().credentials as object), password: NUL } })],
      ["a connection CA certificate", () => t.api("POST", CONNECTIONS, { ...target.connectionBody("nul-ca"), credentials: { ...(target.connectionBody().credentials as object), sslCertificate: NUL } })],
      ["a login client secret", () => t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: identityClientId, clientSecret: NUL }, { token: null })],
    ];
    test.each(cases)("When %s holds a NUL character, then the answer is 4xx and the store is unchanged", async (_what, call) => {
      const digester = await openDigester(t.storeUrl);
      const before = await digester.digest();
      const res = await call();
      expect([res.status >= 400 && res.status < 500, res.status, res.body?.error]).toEqual([true, res.status, res.body?.error]);
      expect(await digester.digest()).toEqual(before);
      await digester.close();
    });
  });

  test("When a request carries a NUL character (here an unauthenticated login), then it is refused with 400, audited, and every later audit row is still written", async () => {
    const login = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: "nul\u0000id", clientSecret: "x" }, { token: null });
    expect([login.status, login.body.error]).toEqual([400, "BadRequest"]);
    expect(login.body.message).toMatch(/NUL/);
    // The audit writer itself never chokes on a NUL, whatever reaches it.
    const writer = new AuditWriter({ pool: t.runner.pool, logger: t.runner.logger });
    writer.add(["nul\u0000actor", "test.nul", null, null, null, null, null, 400, null, JSON.stringify({ k: "a\u0000b" })]);
    await writer.stop();
    const after = await t.api("POST", "/api/v1/auth/tokens", { name: "after-nul", permission: "read" });
    expect(after.status).toBe(200);
    const rows = (await t.api("GET", "/api/v1/audit-logs?limit=50")).body.auditLogs as Array<{ action: string; actor: string; resourceId: string | null; status: number }>;
    expect(rows.some((r) => r.action === "token.create" && r.resourceId === after.body.token.id)).toBe(true);
    expect(rows.filter((r) => r.status === 400).map((r) => r.action)).toContain("POST /api/v1/auth/universal-auth/login");
    expect(rows.some((r) => r.action === "test.nul" && r.actor.startsWith("nul"))).toBe(true);
  });

  test(`${REQUESTS} fuzzed requests: 0 answers 5xx, the runner keeps serving, and no rejected request changes the store`, async () => {
    const cluster = target.cluster;
    const connTemplate = { name: "fuzz-conn", method: "username-and-password", description: "d", credentials: { host: cluster.host, port: cluster.port, database: target.database, username: target.admin.username, password: target.admin.password, sslEnabled: false, sslRejectUnauthorized: true, sslCertificate: "x" } };
    const connPatch = { name: "fuzz-main", description: "d", credentials: { database: target.database, sslEnabled: false } };
    const rotTemplate = infisicalCreateBody(connectionId, ["fuzz_ghost_1", "fuzz_ghost_2"], {
      name: "fuzz-rot", projectId: "fuzz", secretPath: "/x", secretsMapping: { username: "FUZZ_U", password: "FUZZ_P" },
      parameters: { username1: "fuzz_ghost_1", username2: "fuzz_ghost_2", passwordRequirements: { length: 20, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: "-_" } },
    });
    const rotPatch = { description: "d", rotationInterval: 7, rotateAtUtc: { hours: 1, minutes: 2 }, isAutoRotationEnabled: true, secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "POSTGRES_DB_PASSWORD" } };
    const zonedPatch = { rotateAt: { hours: 2, minutes: 30 }, timeZone: "America/New_York" };
    const tokenTemplate = { name: "fuzz-tok", projectId: "fuzz", environment: "dev", secretPath: "/", permission: "read", expiresIn: 3600 };
    const identityTemplate = { name: "fuzz-id", projectId: "fuzz", environment: "dev", secretPath: "/", permission: "manage", accessTokenTTL: 60, accessTokenMaxTTL: 120 };
    const loginTemplate = { clientId: identityClientId, clientSecret: "not-the-secret" };
    const freezeTemplate = { frozen: true, reason: "release week" };
    const heartbeatTemplate = { instanceId: "fuzz-instance-1", appName: "fuzz-app", projectId: "fuzz", environment: "dev", secretPath: "/", usernames: [target.users[0]] };

    /** Connection bodies only ever point at loopback and at the test cluster's port (no traffic elsewhere). */
    const loopbackOnly = (b: unknown): unknown => {
      const cr = (b as { credentials?: Record<string, unknown> } | null)?.credentials;
      if (cr && typeof cr === "object" && !Array.isArray(cr)) {
        if (typeof cr.host === "string" && cr.host !== "127.0.0.1" && cr.host !== "localhost") cr.host = "127.0.0.1";
        if (typeof cr.port === "number" && Number.isInteger(cr.port) && cr.port >= 1 && cr.port <= 65535) cr.port = cluster.port;
      }
      return b;
    };
    const bodyOf = (template: Record<string, unknown>, loopback = false): fc.Arbitrary<FuzzRequest["body"]> =>
      fc.oneof(
        { weight: 6, arbitrary: mutated(template).map((json) => ({ json: loopback ? loopbackOnly(json) : json })) },
        { weight: 2, arbitrary: value.map((json) => ({ json: loopback ? loopbackOnly(json) : json })) },
        { weight: 2, arbitrary: text.map((raw) => ({ raw })) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '{"name": ', "[".repeat(5000) + "]".repeat(5000), '{"__proto__": {"isAdmin": true}, "name": "x"}', '{"constructor": {"prototype": {"x": 1}}}',
            JSON.stringify({ ...template, description: "x".repeat(70_000) }), "\u0000", "", "null", "1", '"str"', "[]", "{}{}", '{"a":1,"a":2}',
          ).map((raw) => ({ raw })),
        },
      );
    const headers: fc.Arbitrary<Record<string, string> | undefined> = fc.oneof(
      { weight: 12, arbitrary: fc.constant(undefined) },
      fc.constantFrom<Record<string, string>>(
        { "content-type": "text/plain" }, { "content-type": "application/json; charset=utf-16" }, { "content-type": "application/json; charset=bogus" },
        { "content-type": "application/x-www-form-urlencoded" }, { "content-encoding": "gzip" }, { "content-encoding": "deflate" },
        { "content-encoding": "br" }, { "content-encoding": "bogus" }, { "content-type": "application/json; charset=koi8-r" },
      ),
    );
    const auth: fc.Arbitrary<FuzzRequest["auth"]> = fc.oneof(
      { weight: 14, arbitrary: fc.constant("admin" as const) },
      { weight: 2, arbitrary: fc.constant("read" as const) },
      { weight: 1, arbitrary: fc.constant("none" as const) },
      { weight: 1, arbitrary: fc.oneof(text.map((s) => `Bearer ${s}`), text, fc.constant("Bearer " + "a".repeat(600)), fc.constant("Basic YTpi")).map((header) => ({ header })) },
    );
    const rotSeg = segment([rotationId]);
    const connSeg = segment([connectionId]);
    const otherSeg = segment(["6f1c0c3e-8f7a-4c1e-9a51-0b9c3d2e1f00"]);
    const qs = (keys: string[]) => query(keys).map((s) => (s ? `?${s}` : ""));
    const folderKeys = ["workspaceId", "projectId", "environment", "secretPath", "secretName", "type", "recursive", "include_imports", "expandSecretReferences", "viewSecretValue", "version"];
    const req = (label: string, method: string, path: fc.Arbitrary<string>, body?: fc.Arbitrary<FuzzRequest["body"]>): fc.Arbitrary<FuzzRequest> =>
      fc.record({ path, auth, body: body ?? fc.constant(undefined), headers }).map((r) => ({ label, method, ...r }));

    const endpoints: fc.Arbitrary<FuzzRequest> = fc.oneof(
      req("POST connection", "POST", qs(["x"]).map((s) => CONNECTIONS + s), bodyOf(connTemplate, true)),
      req("GET connections", "GET", qs(["projectId"]).map((s) => CONNECTIONS + s)),
      req("GET connection", "GET", connSeg.map((s) => `${CONNECTIONS}/${s}`)),
      req("PATCH connection", "PATCH", connSeg.map((s) => `${CONNECTIONS}/${s}`), bodyOf(connPatch, true)),
      req("DELETE connection", "DELETE", fc.tuple(connSeg, qs(["force"])).map(([s, x]) => `${CONNECTIONS}/${s}${x}`)),
      req("POST rotation", "POST", qs(["force"]).map((s) => ROTATIONS + s), bodyOf(rotTemplate)),
      req("GET rotations", "GET", qs(["projectId"]).map((s) => ROTATIONS + s)),
      req("GET rotation by name", "GET", fc.tuple(segment(["fuzz-main"]), qs(["projectId", "environment", "secretPath"])).map(([s, x]) => `${ROTATIONS}/rotation-name/${s}${x}`)),
      req("GET rotation", "GET", rotSeg.map((s) => `${ROTATIONS}/${s}`)),
      req("PATCH rotation", "PATCH", rotSeg.map((s) => `${ROTATIONS}/${s}`), fc.oneof(bodyOf(rotPatch), bodyOf(zonedPatch))),
      // The fixture rotation is only ever deleted with an invalid flag: deleting it would end the fuzzing of it.
      req("DELETE rotation", "DELETE", fc.oneof(
        fc.tuple(otherSeg, qs(["revokeGeneratedCredentials", "deleteSecrets"])).map(([s, x]) => `${ROTATIONS}/${s}${x}`),
        fc.tuple(text.filter((v) => v !== "true" && v !== "false"), qs(["deleteSecrets"])).map(([v, x]) => `${ROTATIONS}/${rotationId}?revokeGeneratedCredentials=${encodeURIComponent(toWellFormed(v))}${x ? "&" + x.slice(1) : ""}`),
      )),
      req("GET generated credentials", "GET", fc.tuple(rotSeg, qs(["x"])).map(([s, x]) => `${ROTATIONS}/${s}/generated-credentials${x}`)),
      req("GET history", "GET", fc.tuple(rotSeg, qs(["limit"])).map(([s, x]) => `${ROTATIONS}/${s}/history${x}`)),
      req("POST rotate", "POST", fc.tuple(rotSeg, qs(["force"])).map(([s, x]) => `${ROTATIONS}/${s}/rotate-secrets${x}`), fc.option(bodyOf({}), { nil: undefined })),
      req("GET raw secrets", "GET", qs(folderKeys).map((x) => `/api/v3/secrets/raw${x}`)),
      req("GET raw secret", "GET", fc.tuple(segment(["POSTGRES_DB_PASSWORD"]), qs(folderKeys)).map(([s, x]) => `/api/v3/secrets/raw/${s}${x}`)),
      req("POST login", "POST", fc.constant("/api/v1/auth/universal-auth/login"), bodyOf(loginTemplate)),
      req("POST token", "POST", fc.constant("/api/v1/auth/tokens"), bodyOf(tokenTemplate)),
      req("GET tokens", "GET", qs(["x"]).map((x) => `/api/v1/auth/tokens${x}`)),
      req("DELETE token", "DELETE", segment([readTokenId]).filter((s) => s !== readTokenId).map((s) => `/api/v1/auth/tokens/${s}`)),
      req("POST identity", "POST", fc.constant("/api/v1/auth/identities"), bodyOf(identityTemplate)),
      req("GET identities", "GET", fc.constant("/api/v1/auth/identities")),
      req("DELETE identity", "DELETE", otherSeg.map((s) => `/api/v1/auth/identities/${s}`)),
      req("GET audit logs", "GET", qs(["limit", "offset", "actor", "action"]).map((x) => `/api/v1/audit-logs${x}`)),
      // A frozen project of its own: freezing "fuzz" would turn the fixture rotation's grace 409 into a freeze 409.
      req("PUT freeze", "PUT", segment(["fuzz-frozen"]).map((s) => `/api/v1/projects/${s}/freeze`), fc.oneof(bodyOf(freezeTemplate), bodyOf({ frozen: false }))),
      req("GET freeze", "GET", fc.tuple(segment(["fuzz-frozen", "fuzz"]), qs(["x"])).map(([s, x]) => `/api/v1/projects/${s}/freeze${x}`)),
      req("POST consumer heartbeat", "POST", qs(["x"]).map((x) => `/api/v1/consumers/heartbeat${x}`), bodyOf(heartbeatTemplate)),
      req("DELETE consumer", "DELETE", fc.tuple(segment(["fuzz-instance-1"]), qs(folderKeys)).map(([s, x]) => `/api/v1/consumers/${s}${x}`)),
      req("GET consumers", "GET", qs(folderKeys).map((x) => `/api/v1/consumers${x}`)),
      req("GET rotation with usage", "GET", fc.tuple(rotSeg, fc.oneof(fc.constant("?include=usage"), qs(["include"]))).map(([s, x]) => `${ROTATIONS}/${s}${x}`)),
      req("GET health", "GET", fc.tuple(fc.constantFrom("/healthz", "/readyz", "/metrics"), qs(["x"])).map(([p, x]) => p + x)),
      fc.record({
        method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"),
        path: fc.tuple(fc.constantFrom("/api", "/api/v1", ROTATIONS, CONNECTIONS, "/api/v3/secrets", "/", "/x"), fc.array(segment(["..", connectionId]), { maxLength: 3 }), qs(["x"]))
          .map(([base, segs, x]) => [base, ...segs].join("/").replace(/\/{2,}/g, "/") + x),
        auth,
        body: fc.option(bodyOf({ a: 1 }), { nil: undefined }),
        headers,
      }).map((r) => ({ label: "any method, any path", ...r })),
    );

    const send = async (r: FuzzRequest) => {
      const h: Record<string, string> = { ...(r.headers ?? {}) };
      if (r.auth === "admin") h.authorization = `Bearer ${t.runner.adminToken}`;
      else if (r.auth === "read") h.authorization = `Bearer ${readToken}`;
      else if (r.auth !== "none") h.authorization = r.auth.header.replace(/[^\x20-\x7e]/g, "?");
      let body: string | undefined;
      if (r.body && r.method !== "GET" && r.method !== "HEAD") {
        body = "json" in r.body ? JSON.stringify(r.body.json) ?? "null" : r.body.raw;
        h["content-type"] ??= "application/json";
      }
      const res = await fetch(t.runner.url + r.path, { method: r.method, headers: h, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      return { status: res.status, text: await res.text() };
    };

    const digester = await openDigester(t.storeUrl);
    // Roles are cluster-wide and other test files create and drop theirs meanwhile: compare this file's own.
    const mine = [target.admin.username, ...target.users, ...nasty.users, nasty.admin.username, canary];
    const ownRoles = () => target.sql<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1) OR rolname LIKE 'fuzz%' OR rolname LIKE 'fz%' ORDER BY 1", [mine]);
    const rolesBefore = await ownRoles();
    let baseline = JSON.stringify(await digester.digest());
    const counts = { sent: 0, notSent: 0, s2xx: 0, s4xx: 0, s5xx: 0, other: 0 };
    const byLabel = new Map<string, Map<string, number>>();
    let acceptedThatChanged = 0;
    const violations: string[] = [];
    const secrets = [t.runner.adminToken, target.admin.password, readToken];
    /** A failing request, printable: control characters escaped, the test's own secrets masked. */
    const describeReq = (r: FuzzRequest) => {
      const body = r.body ? ("json" in r.body ? JSON.stringify(r.body.json) ?? "" : JSON.stringify(r.body.raw)) : "";
      const text = `${r.label}: ${r.method} ${JSON.stringify(r.path.slice(0, 160))}${body ? ` body=${body.slice(0, 200)}` : ""}`;
      return secrets.reduce((out, x) => out.split(x).join("***"), text);
    };
    const started = Date.now();
    const logsBefore = t.logs.length;
    try {
      await fc.assert(
        fc.asyncProperty(endpoints, async (r) => {
          let res: { status: number; text: string };
          try {
            res = await send(r);
          } catch (e) {
            // The client could not even build this request (e.g. a header fetch refuses); a timeout is a hang.
            if ((e as Error).name === "TimeoutError") violations.push(`no answer within ${REQUEST_TIMEOUT_MS} ms: ${describeReq(r)}`);
            else counts.notSent++;
            return true;
          }
          counts.sent++;
          const perLabel = byLabel.get(r.label) ?? new Map<string, number>();
          const code = res.status >= 400 ? (/"error":"(\w+)"/.exec(res.text)?.[1] ?? "") : "";
          const key = `${res.status}${code ? ` ${code}` : ""}`;
          perLabel.set(key, (perLabel.get(key) ?? 0) + 1);
          byLabel.set(r.label, perLabel);
          if (res.status >= 500) {
            counts.s5xx++;
            violations.push(`${res.status} ${JSON.stringify(res.text.slice(0, 200))} <- ${describeReq(r)}`);
          } else if (res.status >= 400) counts.s4xx++;
          else if (res.status >= 200 && res.status < 300) counts.s2xx++;
          else counts.other++;
          for (const s of secrets) if (res.text.includes(s)) violations.push(`a secret appeared in the answer to ${r.label}`);
          if (res.status >= 400 && r.method !== "HEAD") {
            let env: { statusCode?: unknown; error?: unknown; message?: unknown } = {};
            try {
              env = JSON.parse(res.text);
            } catch {
              violations.push(`${res.status} without a JSON error body <- ${describeReq(r)}`);
            }
            if (env.statusCode !== res.status || typeof env.error !== "string" || typeof env.message !== "string") violations.push(`${res.status} without the error envelope: ${JSON.stringify(res.text.slice(0, 200))} <- ${describeReq(r)}`);
            if (/\n\s+at \S+ \(|node_modules|\.ts:\d+/.test(res.text)) violations.push(`a stack trace in the answer <- ${describeReq(r)}`);
          }
          const after = JSON.stringify(await digester.digest());
          if (res.status >= 400 && after !== baseline) {
            const a = JSON.parse(after) as Record<string, string>;
            const b = JSON.parse(baseline) as Record<string, string>;
            violations.push(`rejected (${res.status}) but changed ${Object.keys(a).filter((k) => a[k] !== b[k]).join(", ")} <- ${describeReq(r)}`);
          }
          if (res.status < 400 && after !== baseline) acceptedThatChanged++;
          baseline = after;
          if (counts.sent % 250 === 0) {
            const health = await fetch(`${t.runner.url}/healthz`);
            if (health.status !== 200) violations.push(`/healthz answered ${health.status} after ${counts.sent} requests`);
          }
          return true;
        }),
        { numRuns: REQUESTS, seed: SEED },
      );
    } finally {
      await digester.close();
    }
    const elapsed = Date.now() - started;

    recordFigure(SUITE, "fuzzed requests sent", counts.sent, SOAK ? ">= 10000" : ">= 1500");
    recordFigure(SUITE, "answers 5xx", counts.s5xx, "0");
    recordFigure(SUITE, "answers 4xx / 2xx", `${counts.s4xx} / ${counts.s2xx}`);
    recordFigure(SUITE, "accepted requests that changed the store (digest sensitivity)", acceptedThatChanged);
    recordFigure(SUITE, "rejected requests that changed the store", violations.filter((v) => v.startsWith("rejected")).length, "0");
    const summary = [...byLabel].map(([l, m]) => `${l} ${[...m].sort((a, b) => a[0].localeCompare(b[0])).map(([k, n]) => `${k} x${n}`).join(", ")}`);
    process.stdout.write(`[fuzz] seed ${SEED}: ${counts.sent} requests in ${elapsed} ms (${counts.notSent} not sendable); statuses per endpoint:\n  ${summary.join("\n  ")}\n`);

    const health = await t.api("GET", "/healthz", undefined, { token: null });
    const ready = await t.api("GET", "/readyz", undefined, { token: null });
    // Error-level runner log lines written while fuzzing: their message and error text only (the runner scrubs them; this prints no value).
    const errorLines = t.logs.slice(logsBefore).filter((l) => /"level":(50|60)/.test(l)).map((l) => {
      const j = JSON.parse(l) as { msg?: string; err?: { message?: string } };
      return `${j.msg ?? ""}: ${j.err?.message ?? ""}`.slice(0, 300);
    });

    expect(counts.sent).toBeGreaterThanOrEqual(REQUESTS * 0.98);
    expect(acceptedThatChanged).toBeGreaterThan(0); // the digest does see changes: accepted writes moved it
    expect(violations.slice(0, 20)).toEqual([]);
    expect(counts.s5xx).toBe(0);
    expect(health.status).toBe(200);
    expect(ready.status).toBe(200);
    // The fixture rotation is intact and its active credentials still log in; no role came or went on the target.
    const creds = await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`);
    expect([creds.status, creds.body.message]).toEqual([200, undefined]);
    for (const c of creds.body.generatedCredentials as Array<{ username: string; password: string }>) expect(await canLogin(cluster, target.database, c.username, c.password)).toBe(true);
    expect(await ownRoles()).toEqual(rolesBefore);
    expect(await roleExists(canary)).toBe(true);
    expect([...new Set(errorLines)]).toEqual([]);
  }, scale(180_000, 1_800_000));
});
