/**
 * How long after a rotation each Kubernetes path has the new password, measured by replaying the clients'
 * requests (test/helpers/go-client.ts; sources in the clients-*.test.ts files): the Infisical operator with
 * instantUpdates (the event, then its reconcile's read with If-None-Match), and the work one poll costs External
 * Secrets (login, list, revoke) and the Infisical agent (a v4 read whose ETag changed). The figures printed here
 * (milliseconds, never a secret) are the "Kubernetes applications" table of docs/applications.md; a poll's own wait (ESO's
 * refreshInterval, the agent's polling interval) adds to them.
 */
import { byKey, goRequest, isPing, jsonPostHeaders, openSse, sdkHeaders, startWorld, type World } from "./helpers/go-client";

const ROUNDS = 5;
const v3List = "/api/v3/secrets/raw?environment=dev&expandSecretReferences=true&include_imports=true&recursive=false&secretPath=%2Fapp&workspaceId=shop&workspaceSlug=";
const esoList = "/api/v3/secrets/raw?environment=dev&expandSecretReferences=true&include_imports=true&recursive=false&secretPath=%2Fapp&workspaceId=&workspaceSlug=shop";
const agentList = "/api/v4/secrets?environment=dev&expandSecretReferences=true&includeImports=true&includePersonalOverrides=false&projectId=shop&recursive=false&secretPath=%2Fapp";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe("The delay from a rotation to each Kubernetes client's copy, replayed", () => {
  let w: World;
  const base = () => w.t.runner.url;

  beforeAll(async () => {
    w = await startWorld("kdelay");
  });
  afterAll(async () => {
    await w?.stop();
  });

  const login = async (ua: string) => {
    const res = await goRequest(base(), { method: "POST", pathAndQuery: "/api/v1/auth/universal-auth/login", headers: jsonPostHeaders(ua), body: JSON.stringify({ clientId: w.identity.clientId, clientSecret: w.identity.clientSecret }) });
    expect(res.status).toBe(200);
    return res.json.accessToken as string;
  };

  test("When a folder rotates under the Infisical operator's instant-updates subscription, then its reconcile reads the new password well within 2 seconds", async () => {
    const ua = "k8-operator/dev";
    const token = await login(ua);
    const conditions = { environmentSlug: "dev", secretPath: "/app" };
    const stream = await openSse(base(), {
      method: "POST",
      pathAndQuery: "/api/v1/events/subscribe/project-events",
      headers: { ...sdkHeaders(ua, token), "Content-Type": "application/json", Accept: "text/event-stream", Connection: "keep-alive" },
      body: JSON.stringify({ projectId: "shop", register: ["secret:create", "secret:update", "secret:delete", "secret:import-mutation"].map((event) => ({ event, conditions })) }),
    });
    try {
      expect(stream.status).toBe(200);
      let etag = String((await goRequest(base(), { method: "GET", pathAndQuery: v3List, headers: sdkHeaders(ua, token) })).headers.etag);
      const delays: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const seen = stream.events().length;
        const t0 = Date.now();
        await w.rotate("/app");
        await stream.waitFor((f) => !isPing(f) && stream.events().length > seen, 2000);
        // The reconcile the event triggers: the list with the ETag it kept (reconciler.go), now 200 with the new pair.
        const res = await goRequest(base(), { method: "GET", pathAndQuery: v3List, headers: sdkHeaders(ua, token, { "If-None-Match": etag }) });
        delays.push(Date.now() - t0);
        expect(res.status).toBe(200);
        expect(byKey(res.json.secrets).DB_PASSWORD.secretValue).toBe((await w.active("/app")).password);
        etag = String(res.headers.etag);
      }
      console.log(`infisical operator, instantUpdates: rotation to new password read ${delays.join(", ")} ms (median ${median(delays)})`);
      expect(Math.max(...delays)).toBeLessThan(2000);
    } finally {
      stream.close();
    }
  });

  test("When External Secrets and the Infisical agent poll after a rotation, then one poll reads the new password (ESO: login, list, revoke; agent: a v4 read whose ETag changed)", async () => {
    const eso: number[] = [];
    const agent: number[] = [];
    const agentToken = await login("cli");
    let agentEtag = String((await goRequest(base(), { method: "GET", pathAndQuery: agentList, headers: sdkHeaders("cli", agentToken) })).headers.etag);
    for (let i = 0; i < ROUNDS; i++) {
      await w.rotate("/app");
      const password = (await w.active("/app")).password;
      let t0 = Date.now();
      const token = await login("infisical-go-sdk");
      const list = await goRequest(base(), { method: "GET", pathAndQuery: esoList, headers: sdkHeaders("infisical-go-sdk", token) });
      const revoked = await goRequest(base(), { method: "POST", pathAndQuery: "/api/v1/auth/token/revoke", headers: jsonPostHeaders("infisical-go-sdk", token), body: JSON.stringify({ accessToken: token }) });
      eso.push(Date.now() - t0);
      expect([list.status, revoked.status, byKey(list.json.secrets).DB_PASSWORD.secretValue === password]).toEqual([200, 200, true]);
      t0 = Date.now();
      const read = await goRequest(base(), { method: "GET", pathAndQuery: agentList, headers: sdkHeaders("cli", agentToken) });
      agent.push(Date.now() - t0);
      // agent.go MonitorSecretChanges: a changed ETag is what makes it rewrite the file.
      expect([read.status, read.headers.etag !== agentEtag, byKey(read.json.secrets).DB_PASSWORD.secretValue === password]).toEqual([200, true, true]);
      agentEtag = String(read.headers.etag);
    }
    console.log(`external secrets, one reconcile (login, list, revoke): ${eso.join(", ")} ms (median ${median(eso)}); infisical agent, one poll: ${agent.join(", ")} ms (median ${median(agent)})`);
  });
});
