/**
 * External Secrets Operator's Infisical provider, replayed request by request as its Go code sends them.
 * ESO (external-secrets/external-secrets @ cc5bfbc2) providers/v1/infisical/{provider.go,client.go} drives
 * infisical/go-sdk (pinned v0.8.0; read at v0.7.1 88895e15) packages/api/{auth,secrets}/*.go on resty v2.
 * One ExternalSecret reconcile = NewClient (login) → GetAllSecrets / GetSecret → Close (revoke).
 * Details and sources: /work/notes23/clients.md §1.
 */
import { byKey, expectGoDecodes, expectJson, goRequest, goValues, jsonPostHeaders, sdkHeaders, startWorld, type World } from "./helpers/go-client";

/** go-sdk Config.UserAgent default (SDK client.go); ESO sets none. */
const UA = "infisical-go-sdk";

/** SDK packages/models/secrets.go `Secret`: every field the go-sdk decodes, with its Go type. */
const SDK_SECRET = {
  id: "string", workspace: "string", environment: "string", version: "int", type: "string", secretKey: "string",
  secretValue: "string", secretComment: "string", secretPath: "string", secretMetadata: "array", tags: "array",
} as const;

describe("External Secrets Operator's requests, as its Go code sends them", () => {
  let w: World;
  const base = () => w.t.runner.url;

  beforeAll(async () => {
    w = await startWorld("eso");
  });
  afterAll(async () => {
    await w?.stop();
  });

  /** SDK packages/api/auth/universal_auth_login.go: cloned client without the token; body UniversalAuthLoginRequest. */
  const login = async (organizationSlug?: string) => {
    const body: Record<string, string> = { clientId: w.identity.clientId, clientSecret: w.identity.clientSecret };
    if (organizationSlug) body.organizationSlug = organizationSlug; // `json:"organizationSlug,omitempty"`
    return goRequest(base(), { method: "POST", pathAndQuery: "/api/v1/auth/universal-auth/login", headers: jsonPostHeaders(UA), body: JSON.stringify(body) });
  };
  const token = async () => {
    const res = await login();
    expect(res.status).toBe(200);
    return res.json.accessToken as string;
  };

  /** SDK packages/api/secrets/list_secrets.go CallListSecretsV3: all seven keys, workspaceId empty (ESO sets only ProjectSlug). */
  const LIST = "/api/v3/secrets/raw?environment=dev&expandSecretReferences=true&include_imports=true&recursive=false&secretPath=%2Fapp&workspaceId=&workspaceSlug=shop";
  /** SDK packages/api/secrets/retrieve_secret.go CallRetrieveSecretV3: workspaceSlug only (ProjectID empty), type=shared. */
  const single = (key: string) => `/api/v3/secrets/raw/${key}?environment=dev&expandSecretReferences=true&include_imports=true&secretPath=%2Fapp&type=shared&workspaceSlug=shop`;

  test("The replayed queries are exactly what url.Values.Encode() makes of the go-sdk's parameter maps", () => {
    expect(LIST.split("?")[1]).toBe(goValues({
      workspaceId: "", workspaceSlug: "shop", environment: "dev", secretPath: "/app",
      expandSecretReferences: "true", include_imports: "true", recursive: "false",
    }));
    expect(single("DB_PASSWORD").split("?")[1]).toBe(goValues({
      environment: "dev", secretPath: "/app", expandSecretReferences: "true", include_imports: "true", type: "shared", workspaceSlug: "shop",
    }));
  });

  test("When ESO logs in with organizationSlug in the body (or without it), then it gets a Bearer access token with expiresIn and accessTokenMaxTTL", async () => {
    // ESO provider.go performUniversalAuthLogin: Auth().WithOrganizationSlug(secretsScope.organizationSlug).UniversalAuthLogin
    for (const org of ["my-org", undefined]) {
      const res = await login(org);
      expect(res.status).toBe(200);
      expectJson(res);
      // SDK packages/api/auth/models.go MachineIdentityAuthLoginResponse
      expectGoDecodes(res.json, { accessToken: "string", expiresIn: "int", accessTokenMaxTTL: "int", tokenType: "string" }, ["accessToken", "expiresIn", "accessTokenMaxTTL"]);
      expect(res.json.tokenType).toBe("Bearer");
      expect(res.json.expiresIn).toBe(w.identity.accessTokenTTL);
      expect(res.json.accessTokenMaxTTL).toBe(w.identity.accessTokenMaxTTL);
    }
  });

  test("When ESO lists a folder with an empty workspaceId and the project's slug, then it gets the folder's two secrets with every field the go-sdk decodes", async () => {
    const accessToken = await token();
    // ESO client.go GetAllSecrets → Secrets().List (SDK list_secrets.go); GET with no body: no Content-Type, no Accept
    const res = await goRequest(base(), { method: "GET", pathAndQuery: LIST, headers: sdkHeaders(UA, accessToken) });
    expect(res.status).toBe(200);
    expectJson(res);
    expectGoDecodes(res.json, { secrets: "array", imports: "array" }, ["secrets"]);
    const active = await w.active("/app");
    const secrets = byKey(res.json.secrets);
    expect(Object.keys(secrets).sort()).toEqual(["DB_PASSWORD", "DB_USERNAME"]);
    for (const s of res.json.secrets) {
      expectGoDecodes(s, SDK_SECRET, ["id", "secretKey", "secretValue"]);
      expect({ workspace: s.workspace, environment: s.environment, type: s.type, secretPath: s.secretPath }).toEqual({ workspace: "shop", environment: "dev", type: "shared", secretPath: "/app" });
    }
    expect(secrets.DB_USERNAME.secretValue).toBe(active.username);
    expect(secrets.DB_PASSWORD.secretValue).toBe(active.password);

    // The SecretStore's Validate (ESO client.go Validate): the same list without IncludeImports → include_imports=false
    const validate = await goRequest(base(), { method: "GET", pathAndQuery: LIST.replace("include_imports=true", "include_imports=false"), headers: sdkHeaders(UA, accessToken) });
    expect(validate.status).toBe(200);
  });

  test("When ESO reads one key with workspaceSlug alone, then it gets that secret with its value", async () => {
    const accessToken = await token();
    // ESO client.go GetSecret → Secrets().Retrieve (SDK retrieve_secret.go) → { secret }
    const res = await goRequest(base(), { method: "GET", pathAndQuery: single("DB_PASSWORD"), headers: sdkHeaders(UA, accessToken) });
    expect(res.status).toBe(200);
    expectJson(res);
    expectGoDecodes(res.json, { secret: "object" }, ["secret"]);
    expectGoDecodes(res.json.secret, SDK_SECRET, ["id", "secretKey", "secretValue"]);
    expect(res.json.secret.secretKey).toBe("DB_PASSWORD");
    expect(res.json.secret.secretValue).toBe((await w.active("/app")).password);
  });

  test("When ESO reads a key that does not exist, then the answer is 404 so deletionPolicy Delete can prune it", async () => {
    const accessToken = await token();
    // ESO client.go isNotFoundError: *sdkErrors.APIError with StatusCode 404 → esv1.NoSecretErr
    const res = await goRequest(base(), { method: "GET", pathAndQuery: single("NO_SUCH_KEY"), headers: sdkHeaders(UA, accessToken) });
    expect(res.status).toBe(404);
    expect(res.json).toEqual(expect.objectContaining({ statusCode: 404 }));
  });

  test("When ESO closes its client after a reconcile, then the revoke (bearer plus the token in the body) succeeds and the token reads no more", async () => {
    // One reconcile in ESO's order: NewClient (login), GetAllSecrets, GetSecret, Close (revoke)
    const accessToken = await token();
    expect((await goRequest(base(), { method: "GET", pathAndQuery: LIST, headers: sdkHeaders(UA, accessToken) })).status).toBe(200);
    expect((await goRequest(base(), { method: "GET", pathAndQuery: single("DB_USERNAME"), headers: sdkHeaders(UA, accessToken) })).status).toBe(200);
    // ESO provider.go Close → SDK auth.go RevokeAccessToken → packages/api/auth/revoke_access_token.go (not cloned: the bearer is sent)
    const revoke = await goRequest(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/auth/token/revoke",
      headers: jsonPostHeaders(UA, accessToken),
      body: JSON.stringify({ accessToken }), // RevokeAccessTokenRequest
    });
    expect(revoke.status).toBe(200);
    expectJson(revoke);
    expectGoDecodes(revoke.json, { message: "string" }, ["message"]); // RevokeAccessTokenResponse
    expect((await goRequest(base(), { method: "GET", pathAndQuery: LIST, headers: sdkHeaders(UA, accessToken) })).status).toBe(401);
    // The next reconcile logs in again and reads
    const again = await token();
    expect((await goRequest(base(), { method: "GET", pathAndQuery: LIST, headers: sdkHeaders(UA, again) })).status).toBe(200);
  });

  test("When ESO names a project the identity is not scoped to, then the list is refused", async () => {
    const accessToken = await token();
    const res = await goRequest(base(), { method: "GET", pathAndQuery: LIST.replace("workspaceSlug=shop", "workspaceSlug=elsewhere"), headers: sdkHeaders(UA, accessToken) });
    expect([403, 404]).toContain(res.status);
  });
});
