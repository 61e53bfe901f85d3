import { withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

describe("Bad input gets a clear 4xx and changes nothing", () => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  let rotationId: string;

  /** Every row of the store, to prove a rejected request changed nothing. */
  const snapshot = () =>
    withClient(t.storeUrl, async (c) => {
      const out: Record<string, unknown> = {};
      for (const table of ["connections", "rotations", "credentials", "rotation_intents", "secrets"]) {
        out[table] = (await c.query(`SELECT * FROM ${table} ORDER BY 1`)).rows;
      }
      return JSON.stringify(out);
    });

  beforeAll(async () => {
    target = await createTarget({ prefix: "valid" });
    t = await startTestRunner();
    connectionId = (await t.api("POST", CONNECTIONS, target.connectionBody("main-conn"))).body.appConnection.id;
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  const body = (over: Record<string, unknown>) => infisicalCreateBody(connectionId, ["x_user_1", "x_user_2"], { name: "other", ...over });

  const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, RegExp, string?]> = [
    ["a name that is not a slug", () => t.api("POST", ROTATIONS, body({ name: "Bad Name!" })), 422, /slug/, "name"],
    ["rotationInterval 0", () => t.api("POST", ROTATIONS, body({ rotationInterval: 0 })), 422, /at least 1 day/, "rotationInterval"],
    ["a fractional rotationInterval", () => t.api("POST", ROTATIONS, body({ rotationInterval: 1.5 })), 422, /whole number/, "rotationInterval"],
    ["equal mapping keys", () => t.api("POST", ROTATIONS, body({ secretsMapping: { username: "SAME", password: "SAME" } })), 422, /must differ/, "secretsMapping.password"],
    ["a mapping key with /", () => t.api("POST", ROTATIONS, body({ secretsMapping: { username: "A/B", password: "C" } })), 422, /'\/'/, "secretsMapping.username"],
    ["an unknown connection", () => t.api("POST", ROTATIONS, body({ connectionId: "6f1c0c3e-8f7a-4c1e-9a51-0b9c3d2e1f00" })), 404, /connection/i],
    ["an unknown field", () => t.api("POST", ROTATIONS, body({ rotationIntervall: 3 })), 422, /rotationIntervall/],
    ["a bad time zone", () => t.api("POST", ROTATIONS, body({ rotateAtUtc: undefined, rotateAt: { hours: 1, minutes: 0 }, timeZone: "Mars/Olympus" })), 422, /IANA/, "timeZone"],
    ["an unknown rotation id", () => t.api("GET", `${ROTATIONS}/6f1c0c3e-8f7a-4c1e-9a51-0b9c3d2e1f00`), 404, /not found/],
    ["a rotation id that is not a UUID", () => t.api("GET", `${ROTATIONS}/nope'; DROP TABLE rotations; --`), 404, /not found/],
    ["malformed JSON", () => t.api("POST", ROTATIONS, undefined, { rawBody: '{"name": ' }), 400, /Malformed JSON/],
    ["a rotation description with an escape sequence", () => t.api("POST", ROTATIONS, body({ description: "db\u001b[2J\u001b]0;owned\u0007" })), 422, /description must not contain control characters/, "description"],
    ["a rotation description with a C1 control character", () => t.api("POST", ROTATIONS, body({ description: "db\u009b2J" })), 422, /description must not contain control characters/, "description"],
    ["a PATCH of a rotation's description with an escape sequence", () => t.api("PATCH", `${ROTATIONS}/${rotationId}`, { description: "db\u001b[31m" }), 422, /description must not contain control characters/, "description"],
    ["a connection description with an escape sequence", () => t.api("POST", CONNECTIONS, { ...target.connectionBody("esc-conn"), description: "db\u001b[2J" }), 422, /description must not contain control characters/, "description"],
    ["a PATCH of a connection's description with an escape sequence", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { description: "db\u0007\u001b[31m" }), 422, /description must not contain control characters/, "description"],
    ["an oversized body", () => t.api("POST", ROTATIONS, body({ description: "x".repeat(100_000) })), 413, /too large/],
    ["a duplicate rotation name in the folder", () => t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, ["x_user_1", "x_user_2"])), 409, /already exists/],
    ["a mapping key already used in the folder", () => t.api("POST", ROTATIONS, body({ secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "OTHER" } })), 409, /POSTGRES_DB_USERNAME/],
    ["a duplicate connection name", () => t.api("POST", CONNECTIONS, target.connectionBody("main-conn")), 409, /already exists/],
    ["a connection whose password is wrong", () => t.api("POST", CONNECTIONS, { ...target.connectionBody("wrong-pw"), credentials: { ...(target.connectionBody().credentials as object), password: "wrong" } }), 422, /rejected the login/],
    ["a PATCH of the usernames", () => t.api("PATCH", `${ROTATIONS}/${rotationId}`, { parameters: { username1: "other" } }), 422, /cannot change in place/],
    ["a PATCH with interval 0", () => t.api("PATCH", `${ROTATIONS}/${rotationId}`, { rotationInterval: 0 }), 422, /at least 1 day/],
    ["the same allowed scope twice (\"/team-a/\" is \"/team-a\")", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes: [{ projectId: "shop", secretPath: "/team-a" }, { projectId: "shop", secretPath: "/team-a/" }] }), 422, /repeats allowedScopes\[0\]/, "allowedScopes.1"],
    ["more than 100 allowed scopes", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes: Array.from({ length: 101 }, (_, i) => ({ projectId: `p${i}` })) }), 422, /at most 100/, "allowedScopes"],
    ["an allowed scope without a project", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes: [{ environment: "dev" }] }), 422, /projectId/, "allowedScopes.0.projectId"],
    ["an allowed scope whose environment is not a slug", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes: [{ projectId: "shop", environment: "Prod" }] }), 422, /slug/, "allowedScopes.0.environment"],
    ["an allowed scope whose path is not a folder", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes: [{ projectId: "shop", secretPath: "team-a" }] }), 422, /secretPath/, "allowedScopes.0.secretPath"],
    ["an allowed scope with an unknown field", () => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes: [{ projectId: "shop", permission: "manage" }] }), 422, /permission/],
    ["a new connection with a bad allowed scope", () => t.api("POST", CONNECTIONS, { ...target.connectionBody("scoped-conn"), allowedScopes: [{ projectId: "bad id!" }] }), 422, /projectId/, "allowedScopes.0.projectId"],
    ["deleting a connection in use", () => t.api("DELETE", `${CONNECTIONS}/${connectionId}`), 409, /used by 1/],
    ["a missing token", () => t.api("GET", ROTATIONS, undefined, { token: null }), 401, /Missing bearer token/],
    ["a wrong token", () => t.api("GET", ROTATIONS, undefined, { token: "wrong-token" }), 401, /Invalid, expired or revoked token/],
    ["a wrong token on a write", () => t.api("DELETE", `${ROTATIONS}/${rotationId}?revokeGeneratedCredentials=true`, undefined, { token: "x" }), 401, /Invalid, expired or revoked token/],
  ];

  // Every row has five cells: jest would take a missing fifth argument for a `done` callback.
  test.each(cases.map(([what, call, status, message, field]) => [what, call, status, message, field ?? ""] as const))("When the request has %s, then it answers the right 4xx with a clear message and nothing changes", async (_what, call, status, message, field) => {
    const before = await snapshot();
    const res = await call();
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status });
    expect(typeof res.body.error).toBe("string");
    expect(res.body.message).toMatch(message);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // never a stack
    if (field) expect(res.body.details.map((d: { path: string }) => d.path)).toContain(field);
    expect(await snapshot()).toBe(before);
  });

  test("A request that declares an empty body (Content-Length: 0) is answered as one with {}: the same 422 on a create, the same 200 on a PATCH", async () => {
    const send = async (method: string, url: string, raw: string) => {
      const res = await fetch(t.runner.url + url, {
        method,
        headers: { authorization: `Bearer ${t.runner.adminToken}`, "content-type": "application/json", "content-length": String(raw.length) },
        body: raw,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const before = await snapshot();
    const empty = await send("POST", ROTATIONS, "");
    expect(empty.status).toBe(422);
    expect(empty).toEqual(await send("POST", ROTATIONS, "{}"));
    expect(await snapshot()).toBe(before);
    const patched = await send("PATCH", `${ROTATIONS}/${rotationId}`, "");
    expect(patched.status).toBe(200);
    expect(patched).toEqual(await send("PATCH", `${ROTATIONS}/${rotationId}`, "{}"));
  });

  test("A description may span lines (the console's Description is a text area): line feeds, carriage returns and tabs are accepted", async () => {
    const multiLine = "the orders database\r\n\tread by the orders app\nand its jobs";
    const rotation = await t.api("PATCH", `${ROTATIONS}/${rotationId}`, { description: multiLine });
    expect([rotation.status, rotation.body.secretRotation?.description]).toEqual([200, multiLine]);
    const connection = await t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { description: multiLine });
    expect([connection.status, connection.body.appConnection?.description]).toEqual([200, multiLine]);
  });

  test("When the interval is changed with PATCH, then nextRotationAt is recomputed, and auto-rotation off gives null", async () => {
    const r1 = await t.api("PATCH", `${ROTATIONS}/${rotationId}`, { rotationInterval: 2 });
    expect(r1.status).toBe(200);
    const last = new Date(r1.body.secretRotation.lastRotatedAt);
    const next = new Date(r1.body.secretRotation.nextRotationAt);
    expect((next.getTime() - last.getTime()) / 86400000).toBeGreaterThan(2);
    expect((next.getTime() - last.getTime()) / 86400000).toBeLessThanOrEqual(3);
    const r2 = await t.api("PATCH", `${ROTATIONS}/${rotationId}`, { isAutoRotationEnabled: false });
    expect(r2.body.secretRotation.nextRotationAt).toBeNull();
  });

  test("A rotation is found by name within its folder, and the secrets can be renamed", async () => {
    const byName = await t.api("GET", `${ROTATIONS}/rotation-name/my-pg-rotation?projectId=my-project&environment=dev&secretPath=/`);
    expect(byName.status).toBe(200);
    expect(byName.body.secretRotation.id).toBe(rotationId);
    expect((await t.api("GET", `${ROTATIONS}/rotation-name/my-pg-rotation?projectId=other`)).status).toBe(404);
    const renamed = await t.api("PATCH", `${ROTATIONS}/${rotationId}`, { secretsMapping: { username: "DB_USER", password: "DB_PASS" } });
    expect(renamed.status).toBe(200);
    const keys = (await t.api("GET", "/api/v3/secrets/raw?workspaceId=my-project")).body.secrets.map((s: { secretKey: string }) => s.secretKey);
    expect(keys).toEqual(["DB_PASS", "DB_USER"]);
  });

  test("/healthz and /readyz answer without a token; every API route needs one", async () => {
    expect((await t.api("GET", "/healthz", undefined, { token: null })).status).toBe(200);
    const ready = await t.api("GET", "/readyz", undefined, { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: "ready", rotations: 1, failing: 0 });
    for (const [m, p] of [["GET", CONNECTIONS], ["POST", ROTATIONS], ["GET", "/api/v3/secrets/raw"], ["GET", `${ROTATIONS}/${rotationId}/generated-credentials`]]) {
      expect((await t.api(m, p, undefined, { token: null })).status).toBe(401);
    }
  });
});
