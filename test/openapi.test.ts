import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { InfisicalSDK } from "@infisical/sdk";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { expressApp, type AppDeps } from "../runner/app";
import { openApiDocument } from "../runner/api/openapi/document";
import { INFISICAL_CREATE_EXAMPLE } from "../runner/api/openapi/rotations";
import { ERROR_CODES } from "../runner/responses";
import { createRotationSchema } from "../runner/schemas";
import { checkAgainstReference, documentedOperations, findOperation, recorded } from "./helpers/openapi";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const CONNECTIONS = "/api/v1/app-connections/postgres";
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const VALIDATOR_CLI = require.resolve("@seriousme/openapi-schema-validator/bin/validate-api-cli.js");

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: unknown;
}

/** "METHOD /path/{param}" of every route in an Express router stack, mounts included. */
function expressRoutes(stack: Layer[], prefix = ""): string[] {
  return stack.flatMap((l) => {
    if (l.route) {
      const p = (prefix + l.route.path).replace(/(.)\/$/, "$1").replace(/:(\w+)/g, "{$1}");
      return Object.keys(l.route.methods).filter((m) => m !== "_all").map((m) => `${m.toUpperCase()} ${p}`);
    }
    if (l.handle.stack) return expressRoutes(l.handle.stack, prefix + (typeof l.rawPath === "string" && l.rawPath !== "/" ? l.rawPath : ""));
    return [];
  });
}

/** Stands in for every dependency: the app is only built to read its routes, never called. */
const inert: unknown = new Proxy(function inert() {}, { get: (_t, p) => (p === "then" ? undefined : inert), apply: () => inert });

function validateWithCli(doc: unknown): { valid: boolean; errors?: unknown[] } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-openapi-")), "openapi.json");
  try {
    fs.writeFileSync(file, JSON.stringify(doc));
    const run = spawnSync(process.execPath, [VALIDATOR_CLI, file], { encoding: "utf8" });
    return JSON.parse(run.stdout) as { valid: boolean; errors?: unknown[] };
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

describe("API reference: GET /openapi.json and /docs", () => {
  test("Every route Express serves is in the reference, and every operation in the reference is served by Express", () => {
    const app = expressApp(inert as AppDeps) as unknown as { router: { stack: Layer[] } };
    const served = [...new Set(expressRoutes(app.router.stack))].sort();
    const documented = documentedOperations().map((o) => `${o.method} ${o.path}`).sort();
    expect(served.length).toBeGreaterThan(25);
    expect(documented).toEqual(served);
  });

  test("The reference is valid OpenAPI 3.1 (checked by a validator that rejects a broken document)", () => {
    const doc = openApiDocument();
    expect(doc.openapi).toBe("3.1.0");
    expect(validateWithCli(doc)).toEqual({ valid: true });
    const broken = JSON.parse(JSON.stringify(doc)) as { info: Record<string, unknown> };
    delete broken.info.version;
    expect(validateWithCli(broken).valid).toBe(false);
  });

  test("Every schema in the reference compiles as JSON Schema 2020-12 in strict mode", () => {
    const ajv = new Ajv2020({ strict: true });
    addFormats(ajv);
    ajv.addKeyword("example");
    const doc = openApiDocument() as unknown as { components: { schemas: Record<string, object> } };
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
    for (const name of Object.keys(doc.components.schemas)) expect([name, typeof ajv.getSchema(`#/components/schemas/${name}`)]).toEqual([name, "function"]);
  });

  test("The reference documents the bearer scheme, every error code with its status, and Infisical's create request as an example", () => {
    const doc = openApiDocument() as unknown as Record<string, any>;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearer: [] }, { consoleSession: [] }]);
    expect(doc.components.securitySchemes.consoleSession).toMatchObject({ type: "apiKey", in: "cookie", name: "pgrotate_session" });
    expect(doc.paths["/api/v1/console/session"].post.security).toEqual([]);
    for (const code of ERROR_CODES) expect(Object.keys(doc.components.schemas)).toContain(`${code}Error`);
    expect(doc.components.schemas.GracePeriodError.properties.statusCode.const).toBe(409);
    expect(doc.paths["/healthz"].get.security).toEqual([]);
    expect(doc.paths["/api/v1/auth/universal-auth/login"].post.security).toEqual([]);
    const create = doc.paths[ROTATIONS].post.requestBody.content["application/json"];
    expect(create.examples.infisical.value).toEqual(INFISICAL_CREATE_EXAMPLE);
    expect(createRotationSchema.safeParse(INFISICAL_CREATE_EXAMPLE).success).toBe(true);
    // Request and response schemas of every operation under /api: each has a JSON 200 body (or a 204 without one) and documents 401 and 500.
    for (const op of documentedOperations().filter((o) => o.path.startsWith("/api/") && !o.path.includes("universal-auth") && o.path !== "/api/status")) {
      const success = op.statuses.includes("204") ? "204" : "200";
      expect([op.operationId, op.statuses]).toEqual([op.operationId, expect.arrayContaining([success, "401", "500"])]);
    }
    expect(documentedOperations().filter((o) => o.statuses.includes("204")).map((o) => o.operationId).sort()).toEqual(["consumerHeartbeat", "consumerLeave"]);
  });

  test("An answer that differs from the reference is reported (the oracle used by every API test has teeth)", () => {
    const rotation = { ...INFISICAL_CREATE_EXAMPLE };
    expect(checkAgainstReference("GET", `${ROTATIONS}/3c90c3cc-0d44-4b50-8888-8dd25736052a`, 200, { secretRotation: rotation }, "application/json")).not.toEqual([]);
    expect(checkAgainstReference("GET", "/healthz", 200, { status: "ok" }, "application/json")).toEqual([]);
    expect(checkAgainstReference("GET", "/healthz", 200, { status: "ok", extra: 1 }, "application/json")).not.toEqual([]);
    expect(checkAgainstReference("GET", "/healthz", 418, { status: "ok" }, "application/json")[0]).toMatch(/does not document/);
    expect(checkAgainstReference("GET", "/nowhere", 404, { statusCode: 404, error: "NotFound", message: "No route" }, "application/json")).toEqual([]);
    expect(checkAgainstReference("GET", "/nowhere", 404, { statusCode: 404, error: "Conflict", message: "x" }, "application/json")).not.toEqual([]);
    expect(checkAgainstReference("GET", "/nowhere", 200, {}, "application/json")[0]).toMatch(/documents no such operation/);
  });

  describe("through a real runner", () => {
    let t: TestRunner;
    let target: Target;
    let bare: Target;

    beforeAll(async () => {
      target = await createTarget({ prefix: "oapi" });
      bare = await createTarget({ prefix: "oapi_bare", adminRights: "none" });
      t = await startTestRunner({ authFailuresPerMinute: 8 });
    });
    afterAll(async () => {
      await t?.stop();
      await target?.drop();
      await bare?.drop();
    });

    test("The official @infisical/sdk's requests each match a documented operation (method, path and query parameters)", async () => {
      const seen: Array<{ method: string; url: string; status: number }> = [];
      const proxy = http.createServer((req, res) => {
        const up = http.request(t.runner.url + req.url, { method: req.method, headers: req.headers }, (answer) => {
          seen.push({ method: req.method!, url: req.url!, status: answer.statusCode! });
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        });
        req.pipe(up);
      });
      await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
      try {
        const conn = (await t.api("POST", CONNECTIONS, target.connectionBody())).body.appConnection;
        const rot = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn.id, target.users, { name: "sdk-rotation", projectId: "sdk" }))).body.secretRotation;
        const ident = (await t.api("POST", "/api/v1/auth/identities", { name: "sdk-app", projectId: "sdk", permission: "read" })).body;
        const sdk = new InfisicalSDK({ siteUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
        await sdk.auth().universalAuth.login({ clientId: ident.clientId, clientSecret: ident.clientSecret });
        const list = await sdk.secrets().listSecrets({ projectId: "sdk", environment: "dev", secretPath: "/" });
        expect(list.secrets.map((s) => s.secretKey).sort()).toEqual(["POSTGRES_DB_PASSWORD", "POSTGRES_DB_USERNAME"]);
        await sdk.secrets().getSecret({ secretName: "POSTGRES_DB_USERNAME", projectId: "sdk", environment: "dev", secretPath: "/" });
        await t.api("DELETE", `${ROTATIONS}/${rot.id}?deleteSecrets=true`);
        await t.api("DELETE", `${CONNECTIONS}/${conn.id}`);
      } finally {
        await new Promise((r) => proxy.close(r));
      }
      expect(seen.map((s) => s.method)).toEqual(["POST", "GET", "GET"]);
      for (const s of seen) {
        const op = findOperation(s.method, s.url);
        expect([s.method, s.url, op?.operationId, s.status]).toEqual([s.method, s.url, expect.any(String), 200]);
        const params = [...new URL(s.url, "http://x").searchParams.keys()];
        expect([s.url, params.filter((p) => !op!.query.includes(p))]).toEqual([s.url, []]);
      }
      expect(seen.map((s) => findOperation(s.method, s.url)!.operationId)).toEqual(["universalAuthLogin", "listSecretsRaw", "getSecretRaw"]);
    });

    test("/docs serves Swagger UI from the installed swagger-ui-dist under a CSP that forbids inline script and eval", async () => {
      const page = await fetch(`${t.runner.url}/docs`);
      const html = await page.text();
      const csp = page.headers.get("content-security-policy")!;
      const scriptSrc = csp.split(";").find((d) => d.startsWith("script-src "))!;
      expect(scriptSrc).toBe("script-src 'self'");
      expect(csp).toContain("script-src-attr 'none'");
      expect(csp).not.toMatch(/unsafe-eval/);
      // No inline script: every <script> has a src, and they are this origin's files.
      const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBe(2);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/ src="\.\/docs\/[\w.-]+\.js"/);
        expect(body.trim()).toBe("");
      }
      expect(html).not.toMatch(/https?:\/\//); // no CDN
      const bundle = Buffer.from(await (await fetch(`${t.runner.url}/docs/swagger-ui-bundle.js`)).arrayBuffer());
      expect(bundle.equals(fs.readFileSync(require.resolve("swagger-ui-dist/swagger-ui-bundle.js")))).toBe(true);
      const init = await fetch(`${t.runner.url}/docs/init.js`);
      expect([init.status, init.headers.get("content-type")]).toEqual([200, expect.stringMatching(/^application\/javascript/)]);
      expect(await init.text()).toContain("openapi.json");
      // Only the listed files: the package's own index.html (with its inline script) is not reachable.
      expect((await t.api("GET", "/docs/index.html", undefined, { token: null })).status).toBe(404);
      expect((await t.api("GET", "/docs/..%2Fpackage.json", undefined, { token: null })).status).toBe(404);
      // At /docs/ (trailing slash) the links resolve to the same files.
      expect(await (await fetch(`${t.runner.url}/docs/`)).text()).toContain('src="./swagger-ui-bundle.js"');
    });

    test("Every documented operation answers, and each answer (success and error) validates against its documented schema", async () => {
      recorded.length = 0;
      const ok = async (method: string, url: string, body?: unknown, token?: string | null) => {
        const res = await t.api(method, url, body, token === undefined ? {} : { token });
        expect([method, url, res.status]).toEqual([method, url, 200]);
        return res.body;
      };
      for (const p of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/init.js", "/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js"]) await ok("GET", p, undefined, null);

      const conn = (await ok("POST", CONNECTIONS, target.connectionBody())).appConnection;
      await ok("GET", CONNECTIONS);
      await ok("GET", `${CONNECTIONS}/${conn.id}`);
      await ok("GET", `${CONNECTIONS}/connection-name/${conn.name}`);
      await ok("PATCH", `${CONNECTIONS}/${conn.id}`, { description: "the app database" });

      const rot = (await ok("POST", ROTATIONS, infisicalCreateBody(conn.id, target.users))).secretRotation;
      await ok("GET", `${ROTATIONS}?projectId=my-project`);
      await ok("GET", `${ROTATIONS}/rotation-name/my-pg-rotation?projectId=my-project&environment=dev&secretPath=/`);
      await ok("GET", `${ROTATIONS}/${rot.id}`);
      await ok("PATCH", `${ROTATIONS}/${rot.id}`, { rotationInterval: 7, rotateAt: { hours: 2, minutes: 30 }, timeZone: "Europe/Berlin" });
      await ok("POST", `${ROTATIONS}/${rot.id}/rotate-secrets`);
      expect((await ok("POST", `${ROTATIONS}/${rot.id}/check`)).drift.result).toBe("ok");
      await ok("GET", `${ROTATIONS}/${rot.id}/generated-credentials`);
      await ok("GET", `${ROTATIONS}/${rot.id}/history`);
      await ok("GET", `${ROTATIONS}/${rot.id}/pair-check`);
      await ok("POST", `${CONNECTIONS}/${conn.id}/pair-check`, { username1: target.users[0], username2: target.users[1] });
      await ok("GET", `${CONNECTIONS}/${conn.id}/server-version`);
      // The change feed is an event stream: its status and content type are checked against the reference, then it is closed.
      const feedUrl = "/api/v1/events/secrets?workspaceId=my-project&environment=dev&secretPath=/";
      const stop = new AbortController();
      const feed = await fetch(t.runner.url + feedUrl, { headers: { authorization: `Bearer ${t.runner.adminToken}` }, signal: stop.signal });
      expect(checkAgainstReference("GET", feedUrl, feed.status, undefined, feed.headers.get("content-type"))).toEqual([]);
      stop.abort();
      await feed.body?.cancel().catch(() => undefined);
      // Infisical's project-events subscription, the same way.
      const subscribeUrl = "/api/v1/events/subscribe/project-events";
      const stopSub = new AbortController();
      const sub = await fetch(t.runner.url + subscribeUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${t.runner.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ projectId: "my-project", register: [{ event: "secret:update", conditions: { environmentSlug: "dev", secretPath: "/**" } }] }),
        signal: stopSub.signal,
      });
      expect(checkAgainstReference("POST", subscribeUrl, sub.status, undefined, sub.headers.get("content-type"))).toEqual([]);
      stopSub.abort();
      await sub.body?.cancel().catch(() => undefined);
      // The rotation-status stream, the same way.
      const rotationsUrl = "/api/v1/events/rotations?workspaceId=my-project&environment=dev";
      const stopRotations = new AbortController();
      const rotationStream = await fetch(t.runner.url + rotationsUrl, { headers: { authorization: `Bearer ${t.runner.adminToken}` }, signal: stopRotations.signal });
      expect(checkAgainstReference("GET", rotationsUrl, rotationStream.status, undefined, rotationStream.headers.get("content-type"))).toEqual([]);
      stopRotations.abort();
      await rotationStream.body?.cancel().catch(() => undefined);
      await ok("GET", "/api/v3/secrets/raw?workspaceId=my-project&environment=dev&secretPath=/");
      await ok("GET", "/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=my-project&environment=dev&secretPath=/");
      await ok("GET", "/api/v4/secrets?projectId=my-project&environment=dev&secretPath=/&recursive=true");
      await ok("GET", "/api/v4/secrets/POSTGRES_DB_PASSWORD?projectId=my-project&environment=dev&secretPath=/");
      const noContent = async (method: string, url: string, body?: unknown) => {
        const res = await t.api(method, url, body);
        expect([method, url, res.status, res.text]).toEqual([method, url, 204, ""]);
      };
      const consumerFolder = "workspaceId=my-project&environment=dev&secretPath=/";
      await noContent("POST", "/api/v1/consumers/heartbeat", { instanceId: "openapi-1", appName: "billing-app", workspaceId: "my-project", environment: "dev", secretPath: "/", usernames: [target.users[0]] });
      expect((await ok("GET", `/api/v1/consumers?${consumerFolder}`)).consumers).toHaveLength(1);
      await noContent("DELETE", `/api/v1/consumers/openapi-1?${consumerFolder}`);
      await ok("GET", "/api/v2/workspace/my-project");
      await ok("GET", "/api/v1/projects/slug/my-project");
      await ok("GET", "/api/v1/projects/my-project/environments");
      await ok("GET", "/api/status", undefined, null);

      const tok = await ok("POST", "/api/v1/auth/tokens", { name: "ci-read", projectId: "my-project", permission: "read", expiresIn: 3600 });
      await ok("GET", "/api/v1/auth/tokens");
      const ident = await ok("POST", "/api/v1/auth/identities", { name: "orders-app", projectId: "my-project", environment: "dev", permission: "read" });
      await ok("GET", "/api/v1/auth/identities");
      await ok("POST", "/api/v1/admin/keys/rekey", {});
      await ok("GET", "/api/v1/admin/keys");
      const login = await ok("POST", "/api/v1/auth/universal-auth/login", { clientId: ident.clientId, clientSecret: ident.clientSecret }, null);
      await ok("POST", "/api/v1/auth/token/renew", { accessToken: login.accessToken }, null);
      await ok("POST", "/api/v1/auth/token/revoke", { accessToken: login.accessToken }, null);
      await ok("POST", "/api/v1/console/session", { token: t.runner.adminToken }, null);
      await ok("GET", "/api/v1/console/session");
      await ok("DELETE", "/api/v1/console/session");
      await new Promise((r) => setTimeout(r, 250)); // audit rows are written after the response
      expect((await ok("GET", "/api/v1/audit-logs?limit=50")).auditLogs.length).toBeGreaterThan(5);
      await ok("GET", "/api/v1/admin/backup"); // JSON lines: validated by its content type only

      // Errors of each code, each validated against the operation's documented error body by t.api.
      const status = async (expected: number, method: string, url: string, body?: unknown, opts: Parameters<TestRunner["api"]>[3] = {}) => {
        const res = await t.api(method, url, body, opts);
        expect([method, url, res.status, res.body?.error]).toEqual([method, url, expected, expect.any(String)]);
        return res.body.error as string;
      };
      const codes = new Set<string>();
      codes.add(await status(400, "POST", CONNECTIONS, undefined, { rawBody: "{not json" }));
      codes.add(await status(409, "POST", `${ROTATIONS}/${rot.id}/rotate-secrets`)); // grace guard
      // A project freeze and a rotation window (issue 25): their operations, and the 409s of a manual rotation.
      await ok("PUT", "/api/v1/projects/my-project/freeze", { frozen: true, reason: "release" });
      await ok("GET", "/api/v1/projects/my-project/freeze");
      codes.add(await status(409, "POST", `${ROTATIONS}/${rot.id}/rotate-secrets`));
      await ok("PUT", "/api/v1/projects/my-project/freeze", { frozen: false });
      const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
      const closed = { weekdays: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], startTime: hhmm(Date.now() + 2 * 3_600_000), endTime: hhmm(Date.now() + 3 * 3_600_000) };
      await ok("PATCH", `${ROTATIONS}/${rot.id}`, { rotationWindow: closed });
      codes.add(await status(409, "POST", `${ROTATIONS}/${rot.id}/rotate-secrets`));
      await ok("PATCH", `${ROTATIONS}/${rot.id}`, { rotationWindow: null });
      codes.add(await status(409, "POST", CONNECTIONS, target.connectionBody(conn.name)));
      codes.add(await status(413, "PATCH", `${ROTATIONS}/${rot.id}`, undefined, { rawBody: JSON.stringify({ description: "x".repeat(70_000) }) }));
      codes.add(await status(422, "POST", ROTATIONS, { ...infisicalCreateBody(conn.id, target.users), rotationInterval: 0 }));
      codes.add(await status(403, "POST", `${ROTATIONS}/${rot.id}/rotate-secrets`, undefined, { token: tok.secret }));
      codes.add(await status(404, "GET", `${ROTATIONS}/3c90c3cc-0d44-4b50-8888-8dd25736052a`));
      codes.add(await status(502, "POST", CONNECTIONS, { ...target.connectionBody(), credentials: { ...(target.connectionBody().credentials as object), port: 1 } }));
      const bareConn = (await ok("POST", CONNECTIONS, bare.connectionBody())).appConnection;
      codes.add(await status(422, "POST", ROTATIONS, infisicalCreateBody(bareConn.id, bare.users, { name: "bare", secretsMapping: { username: "U", password: "P" } })));
      await ok("DELETE", `${CONNECTIONS}/${bareConn.id}`);

      await ok("DELETE", `/api/v1/auth/tokens/${tok.token.id}`);
      await ok("DELETE", `/api/v1/auth/identities/${ident.identity.id}`);
      await ok("DELETE", `${ROTATIONS}/${rot.id}?revokeGeneratedCredentials=true&deleteSecrets=true`);
      codes.add(await status(404, "GET", "/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=my-project&environment=dev"));
      await ok("DELETE", `${CONNECTIONS}/${conn.id}`);
      // Last: failed authentications until the rate limit (8 a minute here) answers 429.
      for (let i = 0; i < 12 && !codes.has("TooManyRequests"); i++) codes.add(await status(i < 8 ? 401 : 429, "GET", ROTATIONS, undefined, { token: "wrong-token" }));

      const answered = new Set(recorded.filter((r) => r.status === 200 || r.status === 204).map((r) => r.operationId));
      expect(documentedOperations().map((o) => o.operationId).filter((id) => !answered.has(id))).toEqual([]);
      expect([...codes].sort()).toEqual(
        ["BadRequest", "Conflict", "Forbidden", "GracePeriod", "NotFound", "OutsideRotationWindow", "PayloadTooLarge", "PrecheckFailed", "ProjectFrozen", "TargetUnavailable", "TooManyRequests", "Unauthorized", "ValidationError"].sort(),
      );
    });
  });
});
