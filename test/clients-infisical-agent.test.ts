/**
 * The Infisical CLI agent (`infisical agent`), replayed request by request as its Go code sends them.
 * CLI = Infisical/cli @ 242df555: packages/cmd/agent.go (ManageTokenLifecycle, RefreshAccessToken, RevokeCredentials,
 * MonitorSecretChanges, the template functions), packages/util/secrets.go, packages/api/{api,model}.go; login and revoke
 * through infisical/go-sdk (pinned v0.7.0). User-Agent "cli" (packages/api/api.go USER_AGENT) on every request.
 * The agent rewrites a template's file only when the ETag header changed since its previous poll.
 * Details and sources: /work/notes23/clients.md §3.
 */
import { byKey, expectGoDecodes, expectJson, goRequest, goValues, jsonPostHeaders, sdkHeaders, startWorld, type World } from "./helpers/go-client";

const UA = "cli";

/** CLI packages/api/model.go GetSecretsV4Response.Secrets[] and GetSecretV4ByNameResponse.Secret. */
const V4_SECRET = {
  _id: "string", version: "int", workspace: "string", type: "string", environment: "string", secretKey: "string",
  secretValue: "string", secretComment: "string", secretPath: "string", skipMultilineEncoding: "bool", tags: "array",
} as const;

/** CLI api.go CallGetSecretsV4 (template function `secret "<projectId>" "<env>" "<path>" '{"recursive":false}'`). */
const LIST = "/api/v4/secrets?environment=dev&expandSecretReferences=true&includeImports=true&includePersonalOverrides=false&projectId=shop&recursive=false&secretPath=%2Fapp";
/** CLI api.go CallFetchSingleSecretByName (template function `getSecretByName`). */
const single = (name: string) => `/api/v4/secrets/${name}?environment=dev&expandSecretReferences=true&includeImports=true&projectId=shop&secretPath=%2Fapp&type=shared`;

describe("The Infisical agent's requests, as its Go code sends them", () => {
  let w: World;
  const base = () => w.t.runner.url;

  beforeAll(async () => {
    w = await startWorld("agent");
  });
  afterAll(async () => {
    await w?.stop();
  });

  /** go-sdk UniversalAuthLogin (agent.go FetchUniversalAuthAccessToken); organizationSlug only from the environment. */
  const login = () =>
    goRequest(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/auth/universal-auth/login",
      headers: jsonPostHeaders(UA),
      body: JSON.stringify({ clientId: w.identity.clientId, clientSecret: w.identity.clientSecret }),
    });
  /** agent.go RefreshAccessToken → api.go CallMachineIdentityRefreshAccessToken: plain resty client, no bearer. */
  const renew = (accessToken: string) =>
    goRequest(base(), { method: "POST", pathAndQuery: "/api/v1/auth/token/renew", headers: jsonPostHeaders(UA), body: JSON.stringify({ accessToken }) });
  /** util/secrets.go: SetAuthToken + Accept: application/json; the GET carries no body. */
  const read = (pathAndQuery: string, accessToken: string, extra: Record<string, string> = {}) =>
    goRequest(base(), { method: "GET", pathAndQuery, headers: sdkHeaders(UA, accessToken, { Accept: "application/json", ...extra }) });
  const token = async () => {
    const res = await login();
    expect(res.status).toBe(200);
    return res.json.accessToken as string;
  };

  test("The replayed queries are exactly what url.Values.Encode() makes of the agent's SetQueryParam calls", () => {
    expect(LIST.split("?")[1]).toBe(goValues({
      projectId: "shop", environment: "dev", secretPath: "/app", includeImports: "true", recursive: "false",
      expandSecretReferences: "true", includePersonalOverrides: "false",
    }));
    expect(single("DB_PASSWORD").split("?")[1]).toBe(goValues({
      expandSecretReferences: "true", includeImports: "true", environment: "dev", secretPath: "/app", projectId: "shop", type: "shared",
    }));
  });

  test("When the agent logs in, then it gets a token whose expiresIn is above the 30 seconds the agent refuses", async () => {
    const res = await login();
    expect(res.status).toBe(200);
    expectJson(res);
    expectGoDecodes(res.json, { accessToken: "string", expiresIn: "int", accessTokenMaxTTL: "int", tokenType: "string" }, ["accessToken", "expiresIn", "accessTokenMaxTTL"]);
    expect(res.json.expiresIn).toBeGreaterThan(30); // agent.go FetchNewAccessToken exits at ≤ 30 s
    expect(res.json.accessTokenMaxTTL).toBe(w.identity.accessTokenMaxTTL);
  });

  test("When the agent renews its token without a bearer, then it gets a token that reads, its TTL and the configured max TTL", async () => {
    const accessToken = await token();
    const res = await renew(accessToken);
    expect(res.status).toBe(200);
    expectJson(res);
    // api/model.go UniversalAuthRefreshResponse: accessToken, expiresIn, tokenType, accessTokenMaxTTL
    expectGoDecodes(res.json, { accessToken: "string", expiresIn: "int", tokenType: "string", accessTokenMaxTTL: "int" }, ["accessToken", "expiresIn", "accessTokenMaxTTL"]);
    expect(res.json.expiresIn).toBe(w.identity.accessTokenTTL);
    expect(res.json.accessTokenMaxTTL).toBe(w.identity.accessTokenMaxTTL);
    expect((await read(LIST, res.json.accessToken)).status).toBe(200); // the agent switches to the returned token
    // renewed again later, from the renewed token (ManageTokenLifecycle, every 2/3 of the TTL)
    expect((await renew(res.json.accessToken)).status).toBe(200);
  });

  test("When the agent polls a folder twice without a change, then the ETag is the same (its file is not rewritten), and sending it back answers 304", async () => {
    const accessToken = await token();
    const first = await read(LIST, accessToken);
    expect(first.status).toBe(200);
    expectJson(first);
    expectGoDecodes(first.json, { secrets: "array", imports: "array" }, ["secrets"]);
    for (const s of first.json.secrets) {
      expectGoDecodes(s, V4_SECRET, ["_id", "secretKey", "secretValue"]);
      expect({ workspace: s.workspace, environment: s.environment, type: s.type, secretPath: s.secretPath }).toEqual({ workspace: "shop", environment: "dev", type: "shared", secretPath: "/app" });
    }
    expect(byKey(first.json.secrets).DB_PASSWORD.secretValue).toBe((await w.active("/app")).password);
    // api.go CallGetSecretsV4: ETag = response.Header().Get("etag")
    const etag = String(first.headers.etag ?? "");
    expect(etag).not.toBe("");
    const second = await read(LIST, accessToken);
    expect(second.status).toBe(200);
    expect(second.headers.etag).toBe(etag);
    expect(second.json).toEqual(first.json);
    expect((await read(LIST, accessToken, { "If-None-Match": etag })).status).toBe(304);

    const one = await read(single("DB_PASSWORD"), accessToken);
    expect(one.status).toBe(200);
    const oneEtag = String(one.headers.etag ?? "");
    expect(oneEtag).not.toBe("");
    expect((await read(single("DB_PASSWORD"), accessToken)).headers.etag).toBe(oneEtag);
    expect((await read(single("DB_PASSWORD"), accessToken, { "If-None-Match": oneEtag })).status).toBe(304);
  });

  test("When a rotation happens between two polls, then the ETag changes and the value differs, on the list and on getSecretByName", async () => {
    const accessToken = await token();
    const before = await read(LIST, accessToken);
    const beforeOne = await read(single("DB_PASSWORD"), accessToken);
    expect([before.status, beforeOne.status]).toEqual([200, 200]);
    await w.rotate("/app");
    const active = await w.active("/app");

    const after = await read(LIST, accessToken);
    expect(after.status).toBe(200);
    expect(String(after.headers.etag ?? "")).not.toBe("");
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(byKey(after.json.secrets).DB_PASSWORD.secretValue).toBe(active.password);
    expect(byKey(after.json.secrets).DB_PASSWORD.secretValue).not.toBe(byKey(before.json.secrets).DB_PASSWORD.secretValue);
    expect((await read(LIST, accessToken, { "If-None-Match": String(before.headers.etag) })).status).toBe(200);

    const afterOne = await read(single("DB_PASSWORD"), accessToken);
    expect(afterOne.status).toBe(200);
    expectJson(afterOne);
    expectGoDecodes(afterOne.json, { secret: "object" }, ["secret"]);
    expectGoDecodes(afterOne.json.secret, V4_SECRET, ["_id", "secretKey", "secretValue"]);
    expect(afterOne.json.secret.secretKey).toBe("DB_PASSWORD");
    expect(afterOne.json.secret.secretValue).toBe(active.password);
    expect(String(afterOne.headers.etag ?? "")).not.toBe("");
    expect(afterOne.headers.etag).not.toBe(beforeOne.headers.etag);
  });

  test("When getSecretByName names a secret that does not exist, then the answer is 404", async () => {
    const accessToken = await token();
    expect((await read(single("NO_SUCH_SECRET"), accessToken)).status).toBe(404);
  });

  test("When a template uses secretByProjectSlug, then GET /api/v1/projects/slug/{slug} gives the id its list uses", async () => {
    const accessToken = await token();
    // agent.go secretTemplateByProjectSlugFunction → api.go CallGetProjectBySlug (bearer, User-Agent; no Accept)
    const res = await goRequest(base(), { method: "GET", pathAndQuery: "/api/v1/projects/slug/shop", headers: sdkHeaders(UA, accessToken) });
    expect(res.status).toBe(200);
    expectJson(res);
    expectGoDecodes(res.json, { id: "string", name: "string", slug: "string" }, ["id"]); // api/model.go Project
    expect(res.json.id).toBe("shop");
    expect((await read(LIST.replace("projectId=shop", `projectId=${res.json.id}`), accessToken)).status).toBe(200);
  });

  test("When the agent shuts down with revoke-credentials-on-shutdown, then the revoke (bearer plus the token in the body) succeeds and the token neither reads nor renews", async () => {
    const accessToken = await token();
    expect((await read(LIST, accessToken)).status).toBe(200);
    // agent.go RevokeCredentials: temporary SDK client, SetAccessToken(token) → RevokeAccessToken (revoke_access_token.go)
    const res = await goRequest(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/auth/token/revoke",
      headers: jsonPostHeaders(UA, accessToken),
      body: JSON.stringify({ accessToken }),
    });
    expect(res.status).toBe(200);
    expectJson(res);
    expectGoDecodes(res.json, { message: "string" }, ["message"]);
    expect((await read(LIST, accessToken)).status).toBe(401);
    // At the next start the agent renews the token left in its sink file first; a revoked one must fail (then it logs in)
    expect((await renew(accessToken)).status).toBe(401);
  });

  // Last: if failed renews counted as failed logins, this would leave the address rate limited.
  test("When many renews with unknown tokens fail, then they do not count toward the failed-login limit: a login right after still works", async () => {
    const limit = w.t.config.authFailuresPerMinute;
    for (let i = 0; i < limit + 10; i++) {
      const res = await renew(`stale-token-from-a-sink-file-${i}`);
      expect(res.status).toBe(401);
    }
    const res = await login();
    expect(res.status).toBe(200);
    expect((await read(LIST, res.json.accessToken)).status).toBe(200);
  });
});
