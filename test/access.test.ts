import { InfisicalSDK } from "@infisical/sdk";
import { withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Access: scoped tokens, machine identities, audit log, limits", () => {
  let t: TestRunner;
  let target: Target;
  let rotationId: string;
  let otherRotationId: string;

  beforeAll(async () => {
    target = await createTarget({ prefix: "access" });
    t = await startTestRunner({ authFailuresPerMinute: 40 }); // the route sweep below makes ~25 failed authentications
    const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    rotationId = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { projectId: "shop", environment: "prod", secretPath: "/db" }))).body.secretRotation.id;
    const other = await createTarget({ prefix: "access2" });
    const conn2 = (await t.api("POST", "/api/v1/app-connections/postgres", other.connectionBody())).body.appConnection.id;
    otherRotationId = (await t.api("POST", ROTATIONS, infisicalCreateBody(conn2, other.users, { projectId: "billing", environment: "prod" }))).body.secretRotation.id;
    (globalThis as { __other?: Target }).__other = other;
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
    await (globalThis as { __other?: Target }).__other?.drop();
  });

  const token = async (body: Record<string, unknown>) => {
    const res = await t.api("POST", "/api/v1/auth/tokens", body);
    expect(res.status).toBe(200);
    return res.body as { token: { id: string }; secret: string };
  };

  test("An app on the official @infisical/sdk reads its rotated credentials by changing only siteUrl", async () => {
    const created = await t.api("POST", "/api/v1/auth/identities", { name: "shop-app", projectId: "shop", environment: "prod", secretPath: "/db", permission: "read" });
    expect(created.status).toBe(200);
    const { clientId, clientSecret } = created.body;
    const sdk = new InfisicalSDK({ siteUrl: t.runner.url });
    await sdk.auth().universalAuth.login({ clientId, clientSecret });
    const list = await sdk.secrets().listSecrets({ projectId: "shop", environment: "prod", secretPath: "/db" });
    const values = Object.fromEntries(list.secrets.map((s) => [s.secretKey, s.secretValue]));
    const creds = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    expect(values).toEqual({ POSTGRES_DB_USERNAME: creds.generatedCredentials[0].username, POSTGRES_DB_PASSWORD: creds.generatedCredentials[0].password });
    const one = await sdk.secrets().getSecret({ secretName: "POSTGRES_DB_PASSWORD", projectId: "shop", environment: "prod", secretPath: "/db" });
    expect(one.secretValue).toBe(creds.generatedCredentials[0].password);
    // Out of its scope: another project is refused.
    await expect(sdk.secrets().listSecrets({ projectId: "billing", environment: "prod", secretPath: "/" })).rejects.toThrow(/403/);
  });

  test("A read token sees only its project/environment/path and cannot change anything", async () => {
    const { secret } = await token({ name: "shop-read", projectId: "shop", environment: "prod", permission: "read" });
    const as = (m: string, p: string, b?: unknown) => t.api(m, p, b, { token: secret });
    expect((await as("GET", "/api/v3/secrets/raw?workspaceId=shop&environment=prod&secretPath=/db")).status).toBe(200);
    expect((await as("GET", "/api/v3/secrets/raw?workspaceId=billing&environment=prod")).status).toBe(403);
    expect((await as("GET", "/api/v3/secrets/raw?workspaceId=shop&environment=dev&secretPath=/db")).status).toBe(403);
    const list = (await as("GET", ROTATIONS)).body.secretRotations.map((r: { id: string }) => r.id);
    expect(list).toEqual([rotationId]);
    expect((await as("GET", `${ROTATIONS}/${rotationId}`)).status).toBe(200);
    expect((await as("GET", `${ROTATIONS}/${otherRotationId}`)).status).toBe(403);
    expect((await as("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`)).status).toBe(403);
    expect((await as("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).status).toBe(403);
    // Connections: only those granted to its scope (none here), and no change of any.
    const connections = await as("GET", "/api/v1/app-connections/postgres");
    expect([connections.status, connections.body.appConnections]).toEqual([200, []]);
    expect((await as("PATCH", `/api/v1/app-connections/postgres/${rotationId}`, { description: "x" })).status).toBe(403);
    expect((await as("POST", "/api/v1/auth/tokens", { name: "x", permission: "manage" })).status).toBe(403);
    expect((await as("GET", "/api/v1/audit-logs")).status).toBe(403);
  });

  test("A manage token rotates inside its scope only", async () => {
    const { secret } = await token({ name: "shop-manage", projectId: "shop", permission: "manage" });
    const as = (m: string, p: string) => t.api(m, p, undefined, { token: secret });
    expect((await as("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`)).status).toBe(200);
    expect((await as("POST", `${ROTATIONS}/${otherRotationId}/rotate-secrets`)).status).toBe(403);
    expect((await as("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).status).toBe(200);
  });

  test("Every API route answers 401 without a token and 403 to a token out of scope (a connection not granted to it: listed as none, 404 by id)", async () => {
    const { secret } = await token({ name: "nowhere", projectId: "nowhere", permission: "read" });
    const routes: Array<[string, string]> = [
      ["GET", "/api/v1/app-connections/postgres"], ["POST", "/api/v1/app-connections/postgres"],
      ["GET", `/api/v1/app-connections/postgres/${rotationId}`], ["PATCH", `/api/v1/app-connections/postgres/${rotationId}`],
      ["DELETE", `/api/v1/app-connections/postgres/${rotationId}`],
      ["POST", ROTATIONS], ["GET", `${ROTATIONS}/${rotationId}`], ["PATCH", `${ROTATIONS}/${rotationId}`],
      ["DELETE", `${ROTATIONS}/${rotationId}`], ["GET", `${ROTATIONS}/${rotationId}/generated-credentials`],
      ["GET", `${ROTATIONS}/${rotationId}/history`], ["POST", `${ROTATIONS}/${rotationId}/rotate-secrets`],
      ["GET", `${ROTATIONS}/rotation-name/my-pg-rotation?projectId=shop&environment=prod&secretPath=/db`],
      ["GET", "/api/v3/secrets/raw?workspaceId=shop&environment=prod&secretPath=/db"],
      ["GET", "/api/v3/secrets/raw/POSTGRES_DB_USERNAME?workspaceId=shop&environment=prod&secretPath=/db"],
      ["GET", "/api/v1/auth/tokens"], ["POST", "/api/v1/auth/tokens"], ["DELETE", `/api/v1/auth/tokens/${rotationId}`],
      ["GET", "/api/v1/auth/identities"], ["POST", "/api/v1/auth/identities"], ["GET", "/api/v1/audit-logs"],
    ];
    // Connections it may not use do not exist for a scoped token: listed as none, 404 by id.
    const hidden: Record<string, number> = { "GET /api/v1/app-connections/postgres": 200, [`GET /api/v1/app-connections/postgres/${rotationId}`]: 404 };
    for (const [m, p] of routes) {
      const anon = await t.api(m, p, undefined, { token: null });
      expect([m, p, anon.status]).toEqual([m, p, 401]);
      if (hidden[`${m} ${p}`]) {
        expect([m, p, (await t.api(m, p, undefined, { token: secret })).status]).toEqual([m, p, hidden[`${m} ${p}`]]);
        continue;
      }
      const scoped = await t.api(m, p, m === "POST" && p === ROTATIONS ? infisicalCreateBody(rotationId, target.users, { projectId: "shop" }) : undefined, { token: secret });
      expect([m, p, scoped.status]).toEqual([m, p, 403]);
    }
    // A list is not refused: it shows only what the token may see (here nothing).
    expect((await t.api("GET", ROTATIONS, undefined, { token: null })).status).toBe(401);
    const list = await t.api("GET", ROTATIONS, undefined, { token: secret });
    expect([list.status, list.body.secretRotations]).toEqual([200, []]);
  });

  test("A revoked or expired token stops working at once; revoking an identity revokes its access tokens", async () => {
    const { token: tok, secret } = await token({ name: "short", permission: "read" });
    expect((await t.api("GET", ROTATIONS, undefined, { token: secret })).status).toBe(200);
    // Without projectId/environment/path a token covers every folder (no default scope sneaks in).
    expect((await t.api("GET", ROTATIONS, undefined, { token: secret })).body.secretRotations).toHaveLength(2);
    expect((await t.api("GET", "/api/v3/secrets/raw?workspaceId=billing&environment=prod", undefined, { token: secret })).status).toBe(200);
    expect((await t.api("DELETE", `/api/v1/auth/tokens/${tok.id}`)).status).toBe(200);
    expect((await t.api("GET", ROTATIONS, undefined, { token: secret })).status).toBe(401);

    const exp = await token({ name: "expiring", permission: "read", expiresIn: 60 });
    await withClient(t.storeUrl, (c) => c.query("UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [exp.token.id]));
    expect((await t.api("GET", ROTATIONS, undefined, { token: exp.secret })).status).toBe(401);

    const ident = (await t.api("POST", "/api/v1/auth/identities", { name: "to-revoke", permission: "read" })).body;
    const login = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: ident.clientId, clientSecret: ident.clientSecret }, { token: null });
    expect(login.body).toMatchObject({ tokenType: "Bearer", expiresIn: 7200, accessTokenMaxTTL: 7200 });
    expect((await t.api("GET", ROTATIONS, undefined, { token: login.body.accessToken })).status).toBe(200);
    expect((await t.api("DELETE", `/api/v1/auth/identities/${ident.identity.id}`)).status).toBe(200);
    expect((await t.api("GET", ROTATIONS, undefined, { token: login.body.accessToken })).status).toBe(401);
    expect((await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: ident.clientId, clientSecret: ident.clientSecret }, { token: null })).status).toBe(401);
  });

  test("Tokens and client secrets are stored only as hashes and shown once", async () => {
    const { token: tok, secret } = await token({ name: "hashed", permission: "read" });
    const ident = (await t.api("POST", "/api/v1/auth/identities", { name: "hashed-id", permission: "read" })).body;
    const dump = await withClient(t.storeUrl, async (c) => JSON.stringify([(await c.query("SELECT * FROM access_tokens")).rows, (await c.query("SELECT * FROM machine_identities")).rows]));
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(ident.clientSecret);
    const listed = JSON.stringify((await t.api("GET", "/api/v1/auth/tokens")).body);
    expect(listed).toContain(tok.id);
    expect(listed).not.toContain(secret);
  });

  test("The audit log records every change and every secret read (who, what, when), never a value", async () => {
    const { secret } = await token({ name: "auditee", projectId: "shop", permission: "read" });
    await t.api("GET", "/api/v3/secrets/raw?workspaceId=shop&environment=prod&secretPath=/db", undefined, { token: secret });
    await new Promise((r) => setTimeout(r, 200)); // audit rows are written after the response
    const logs = (await t.api("GET", "/api/v1/audit-logs?limit=1000")).body.auditLogs as Array<Record<string, any>>;
    const actions = logs.map((l) => l.action);
    for (const a of ["rotation.create", "rotation.rotate", "secrets.read", "rotation.generated-credentials.read", "token.create", "token.revoke", "identity.create", "identity.revoke", "auth.universal-auth.login"]) {
      expect(actions).toContain(a);
    }
    const read = logs.find((l) => l.action === "secrets.read" && l.actor.startsWith("token:"))!;
    expect(read).toMatchObject({ projectId: "shop", environment: "prod", secretPath: "/db", status: 200 });
    expect(read.details.keys).toEqual(["POSTGRES_DB_PASSWORD", "POSTGRES_DB_USERNAME"]);
    expect(logs.some((l) => l.status === 401 && l.actor === "anonymous")).toBe(true);
    // Identical reads within a flush window are one row with a count: every read is still accounted for.
    const { secret: poller, token: pollerToken } = await token({ name: "poller", projectId: "shop", permission: "read" });
    for (let i = 0; i < 7; i++) await t.api("GET", "/api/v3/secrets/raw/POSTGRES_DB_USERNAME?workspaceId=shop&environment=prod&secretPath=/db", undefined, { token: poller });
    const polled = ((await t.api("GET", "/api/v1/audit-logs?limit=1000&action=secrets.read")).body.auditLogs as Array<Record<string, any>>)
      .filter((l) => l.actor === `token:${pollerToken.id}`);
    expect(polled.reduce((n, l) => n + (l.details.count ?? 1), 0)).toBe(7);
    const creds = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body.generatedCredentials;
    const text = JSON.stringify(logs);
    for (const c of creds) expect(text).not.toContain(c.password);
    expect(text).not.toContain(secret);
  });

  test("Security headers are set, and repeated failed authentications get 429", async () => {
    const ok = await fetch(`${t.runner.url}/healthz`);
    expect(ok.headers.get("x-content-type-options")).toBe("nosniff");
    expect(ok.headers.get("content-security-policy")).toBeTruthy();
    expect(ok.headers.get("x-powered-by")).toBeNull();
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) statuses.push((await t.api("GET", ROTATIONS, undefined, { token: `guess-${i}` })).status);
    expect(statuses).toContain(429);
    expect(statuses.indexOf(429)).toBeGreaterThan(0);
    const limited = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: "00000000-0000-0000-0000-000000000000", clientSecret: "x" }, { token: null });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe("TooManyRequests");
  });
});
