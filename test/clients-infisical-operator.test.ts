/**
 * Infisical's Kubernetes operator, replayed request by request as its Go code sends them.
 * OP = Infisical/kubernetes-operator @ 8a8a6c7b: InfisicalSecret (internal/services/infisicalsecret/reconciler.go,
 * internal/util/{secrets,workspace}.go, internal/api/api.go, internal/util/sse/sse.go) on infisical/go-sdk, and
 * InfisicalStaticSecret (internal/services/infisicalstaticsecret/reconciler.go, internal/api/{secrets_v4,projects}.go).
 * User-Agent: internal/util/version.go UserAgent() = "k8-operator/<Version>" ("dev" unless set at build).
 * Details and sources: /work/notes23/clients.md §2.
 */
import {
  byKey, expectGoDecodes, expectJson, goRequest, goValues, jsonPostHeaders, openSse, sdkHeaders, startWorld,
  type SseStream, type World,
} from "./helpers/go-client";

const UA = "k8-operator/dev";

/** go-sdk packages/models/secrets.go `Secret` (InfisicalSecret reads it through the SDK). */
const SDK_SECRET = {
  id: "string", workspace: "string", environment: "string", version: "int", type: "string", secretKey: "string",
  secretValue: "string", secretComment: "string", secretPath: "string", secretMetadata: "array", tags: "array",
} as const;
/** OP internal/api/secrets_v4.go `Secret`. */
const V4_SECRET = { id: "string", type: "string", secretKey: "string", environment: "string", secretValue: "string", secretPath: "string" } as const;
/** OP internal/model/model.go `Project`. */
const PROJECT = { id: "string", name: "string", slug: "string", orgId: "string", environments: "array" } as const;

/** go-sdk list_secrets.go with ProjectID set (OP util/secrets.go GetPlainTextSecretsViaMachineIdentity): workspaceSlug empty. */
const v3List = (secretPath: string, recursive: boolean) =>
  `/api/v3/secrets/raw?environment=dev&expandSecretReferences=true&include_imports=true&recursive=${recursive}&secretPath=${encodeURIComponent(secretPath)}&workspaceId=shop&workspaceSlug=`;
/** OP api/secrets_v4.go ListSecrets: projectId, environment, secretPath, recursive (tagSlugs only when set). */
const v4List = (secretPath: string, recursive: boolean) =>
  `/api/v4/secrets?environment=dev&projectId=shop&recursive=${recursive}&secretPath=${encodeURIComponent(secretPath)}`;

describe("Infisical's Kubernetes operator's requests, as its Go code sends them", () => {
  let w: World;
  const base = () => w.t.runner.url;
  const open: SseStream[] = [];

  beforeAll(async () => {
    w = await startWorld("kop", { tree: true, runner: { feed: { heartbeatMs: 250 } } });
  });
  afterAll(async () => {
    for (const s of open) s.close();
    await w?.stop();
  });

  /** go-sdk universal_auth_login.go (no bearer; organizationSlug omitted: the operator never sets it). */
  const login = async () => {
    const res = await goRequest(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/auth/universal-auth/login",
      headers: jsonPostHeaders(UA),
      body: JSON.stringify({ clientId: w.identity.clientId, clientSecret: w.identity.clientSecret }),
    });
    expect(res.status).toBe(200);
    return res.json as { accessToken: string; expiresIn: number; accessTokenMaxTTL: number; tokenType: string };
  };

  test("The replayed queries are exactly what url.Values.Encode() makes of the operator's parameter maps", () => {
    expect(v3List("/app", false).split("?")[1]).toBe(goValues({
      workspaceId: "shop", workspaceSlug: "", environment: "dev", secretPath: "/app",
      expandSecretReferences: "true", include_imports: "true", recursive: "false",
    }));
    expect(v4List("/app", true).split("?")[1]).toBe(goValues({ projectId: "shop", environment: "dev", secretPath: "/app", recursive: "true" }));
  });

  test("When the operator's SDK renews its token without a bearer, then it gets the login's four fields and the renewed token reads", async () => {
    const first = await login();
    expectGoDecodes(first, { accessToken: "string", expiresIn: "int", accessTokenMaxTTL: "int", tokenType: "string" }, ["accessToken", "expiresIn", "accessTokenMaxTTL"]);
    // go-sdk client_auth_helper.go doTokenRenewal → packages/api/auth/renew_access_token.go: cloned client, token cleared
    const renew = await goRequest(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/auth/token/renew",
      headers: jsonPostHeaders(UA),
      body: JSON.stringify({ accessToken: first.accessToken }), // RenewAccessTokenRequest
    });
    expect(renew.status).toBe(200);
    expectJson(renew);
    expectGoDecodes(renew.json, { accessToken: "string", expiresIn: "int", accessTokenMaxTTL: "int", tokenType: "string" }, ["accessToken", "expiresIn", "accessTokenMaxTTL"]);
    expect(renew.json.tokenType).toBe("Bearer");
    expect(renew.json.expiresIn).toBe(w.identity.accessTokenTTL);
    // client_auth_helper.go needsReAuth compares accessTokenMaxTTL with the time since the first login: it is the configured max TTL
    expect(renew.json.accessTokenMaxTTL).toBe(w.identity.accessTokenMaxTTL);
    const read = await goRequest(base(), { method: "GET", pathAndQuery: v3List("/app", false), headers: sdkHeaders(UA, renew.json.accessToken) });
    expect(read.status).toBe(200);
  });

  test("When InfisicalSecret resolves its projectSlug through GET /api/v2/workspace/{slug}, then the top-level id is the project's id", async () => {
    const { accessToken } = await login();
    // OP util/workspace.go ExtractProjectIdFromSlug → api/api.go CallGetProjectBySlugV2 (decodes model.Project at the top level)
    const res = await goRequest(base(), { method: "GET", pathAndQuery: "/api/v2/workspace/shop", headers: sdkHeaders(UA, accessToken, { Accept: "application/json" }) });
    expect(res.status).toBe(200);
    expectJson(res);
    expectGoDecodes(res.json, PROJECT, ["id"]);
    expect(res.json.id).toBe("shop");
  });

  test("When InfisicalStaticSecret resolves its projectSlug through GET /api/v1/projects/slug/{slug}, then the top-level id is the project's id", async () => {
    const { accessToken } = await login();
    // OP api/projects.go FindProjectBySlug (CreateRestyClient: bearer and User-Agent, no Accept)
    const res = await goRequest(base(), { method: "GET", pathAndQuery: "/api/v1/projects/slug/shop", headers: sdkHeaders(UA, accessToken) });
    expect(res.status).toBe(200);
    expectJson(res);
    expectGoDecodes(res.json, PROJECT, ["id"]);
    expect(res.json.id).toBe("shop");
  });

  test("When InfisicalSecret lists with workspaceId and an empty workspaceSlug, then it gets the secrets and an ETag, If-None-Match answers 304, and after a rotation 200 with a new ETag", async () => {
    const { accessToken } = await login();
    const get = (ifNoneMatch?: string) =>
      goRequest(base(), { method: "GET", pathAndQuery: v3List("/app", false), headers: sdkHeaders(UA, accessToken, ifNoneMatch ? { "If-None-Match": ifNoneMatch } : {}) });
    const first = await get();
    expect(first.status).toBe(200);
    expectJson(first);
    for (const s of first.json.secrets) expectGoDecodes(s, SDK_SECRET, ["id", "secretKey", "secretValue"]);
    expect(Object.keys(byKey(first.json.secrets)).sort()).toEqual(["DB_PASSWORD", "DB_USERNAME"]);
    // go-sdk list_secrets.go: secretsResponse.ETag = res.Header().Get("ETag"); the reconciler sends it back as If-None-Match
    const etag = String(first.headers.etag ?? "");
    expect(etag).not.toBe("");
    const unchanged = await get(etag);
    expect(unchanged.status).toBe(304); // list_secrets.go: 304 → NotModifiedError → "Secrets unchanged"
    expect(unchanged.text).toBe("");

    await w.rotate("/app");
    const changed = await get(etag);
    expect(changed.status).toBe(200);
    expect(String(changed.headers.etag ?? "")).not.toBe("");
    expect(changed.headers.etag).not.toBe(etag);
    expect(byKey(changed.json.secrets).DB_PASSWORD.secretValue).toBe((await w.active("/app")).password);
    expect(byKey(changed.json.secrets).DB_PASSWORD.secretValue).not.toBe(byKey(first.json.secrets).DB_PASSWORD.secretValue);
  });

  test("When InfisicalSecret lists recursively, then the sub-folders' secrets come too with their own secretPath, and nothing outside the token's scope", async () => {
    const { accessToken } = await login();
    for (const folder of ["/app", "/"]) {
      // secretsPath "/" + recursive is what subscribes with "/**" (reconciler.go OpenInstantUpdatesStream)
      const res = await goRequest(base(), { method: "GET", pathAndQuery: v3List(folder, true), headers: sdkHeaders(UA, accessToken) });
      expect({ folder, status: res.status }).toEqual({ folder, status: 200 });
      const secrets = byKey(res.json.secrets);
      expect(Object.keys(secrets).sort()).toEqual(["DB_PASSWORD", "DB_USERNAME", "SUB_DB_PASSWORD", "SUB_DB_USERNAME"]);
      expect(secrets.SUB_DB_PASSWORD.secretPath).toBe("/app/sub");
      expect(secrets.DB_PASSWORD.secretPath).toBe("/app");
      expect(secrets.SUB_DB_PASSWORD.secretValue).toBe((await w.active("/app/sub")).password);
    }
  });

  test("When InfisicalStaticSecret lists through GET /api/v4/secrets with projectId, environment, secretPath and recursive, then it gets each secret's id, type, secretKey, environment, secretValue and secretPath", async () => {
    const { accessToken } = await login();
    for (const recursive of [false, true]) {
      const res = await goRequest(base(), { method: "GET", pathAndQuery: v4List("/app", recursive), headers: sdkHeaders(UA, accessToken) });
      expect({ recursive, status: res.status }).toEqual({ recursive, status: 200 });
      expectJson(res);
      expectGoDecodes(res.json, { secrets: "array", imports: "array" }, ["secrets"]);
      for (const s of res.json.secrets) {
        expectGoDecodes(s, V4_SECRET, Object.keys(V4_SECRET));
        expect({ type: s.type, environment: s.environment }).toEqual({ type: "shared", environment: "dev" });
      }
      const keys = Object.keys(byKey(res.json.secrets)).sort();
      expect(keys).toEqual(recursive ? ["DB_PASSWORD", "DB_USERNAME", "SUB_DB_PASSWORD", "SUB_DB_USERNAME"] : ["DB_PASSWORD", "DB_USERNAME"]);
      expect(byKey(res.json.secrets).DB_USERNAME.secretValue).toBe((await w.active("/app")).username);
    }
  });

  test("When InfisicalStaticSecret's cached token is no longer valid, then v4 answers 401 so the operator drops it and logs in again", async () => {
    // OP api/secrets_v4.go: 401/403 → ErrUnauthorized → reconciler.go DeleteCacheEntry
    const res = await goRequest(base(), { method: "GET", pathAndQuery: v4List("/app", false), headers: sdkHeaders(UA, "not-a-token") });
    expect(res.status).toBe(401);
  });

  test("When the operator subscribes to project events, then it gets pings, no event while nothing changes, nothing for a folder outside its scope, and an event within 2 seconds of its folder's rotation", async () => {
    const { accessToken } = await login();
    // OP api/api.go CallSubscribeProjectEventsWithBaseURL: SubscribeProjectEventsRequest, json.Marshal field order; the
    // reconciler (OpenInstantUpdatesStream) sets Content-Type, Accept: text/event-stream and Connection: keep-alive.
    const conditions = { environmentSlug: "dev", secretPath: "/**" }; // secretsPath "/" + recursive
    const body = JSON.stringify({
      projectId: "shop",
      register: ["secret:create", "secret:update", "secret:delete", "secret:import-mutation"].map((event) => ({ event, conditions })),
    });
    const stream = await openSse(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/events/subscribe/project-events",
      headers: { ...sdkHeaders(UA, accessToken), "Content-Type": "application/json", Accept: "text/event-stream", Connection: "keep-alive" },
      body,
    });
    open.push(stream);
    expect(stream.status).toBe(200);
    expect(String(stream.headers["content-type"])).toMatch(/^text\/event-stream/);

    // sse.go monitorHealth: no ping (event "ping", or data "1" without a name) for 2 minutes → reconnect. With the
    // runner's heartbeat at 250 ms a ping must come quickly; a ": comment" heartbeat would not count.
    await stream.waitFor((f) => f.event === "ping" || (f.event === "" && f.data.trim() === "1"), 2000);
    // Every non-ping frame makes the operator reconcile: none while nothing changed.
    await new Promise((r) => setTimeout(r, 500));
    expect(stream.events().map((f) => f.event)).toEqual([]);

    // A rotation in /other matches "/**" but is outside the identity's scope (/app): no event.
    await w.rotate("/other");
    await new Promise((r) => setTimeout(r, 1000));
    expect(stream.events().map((f) => f.event)).toEqual([]);

    const t0 = Date.now();
    await w.rotate("/app");
    const ev = await stream.waitFor((f) => !(f.event === "ping" || (f.event === "" && f.data.trim() === "1")), 2000);
    const delay = ev.at - t0;
    console.log(`project-events: first event ${delay} ms after the rotate-secrets call was sent`);
    expect(delay).toBeLessThanOrEqual(2000);
    expect(["secret:create", "secret:update", "secret:delete", "secret:import-mutation"]).toContain(ev.event);
    stream.close();
  });

  test("When the operator subscribes without a valid token, then it gets 401 with a message it can decode", async () => {
    const stream = await openSse(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/events/subscribe/project-events",
      headers: { ...sdkHeaders(UA, "not-a-token"), "Content-Type": "application/json", Accept: "text/event-stream", Connection: "keep-alive" },
      body: JSON.stringify({ projectId: "shop", register: [{ event: "secret:update", conditions: { environmentSlug: "dev", secretPath: "/app" } }] }),
    });
    expect(stream.status).toBe(401);
    // api.go: on IsError it json-decodes { message } from the body
    expect(JSON.parse(stream.text)).toEqual(expect.objectContaining({ message: expect.any(String) }));
  });
});
