/** Who may own a database user: never the connection's own role, and never two rotations on one server. */
import { canLogin, cluster as clusterOf, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

describe("Ownership of database users", () => {
  let t: TestRunner;
  const targets: Target[] = [];
  let n = 0;

  beforeAll(async () => {
    t = await startTestRunner();
  });
  afterAll(async () => {
    await t?.stop();
    for (const x of targets) await x.drop();
  });

  async function target(opts: Parameters<typeof createTarget>[0] = {}): Promise<Target> {
    const x = await createTarget({ prefix: "own", ...opts });
    targets.push(x);
    return x;
  }
  async function connect(x: Target, over: Record<string, unknown> = {}): Promise<string> {
    const body = x.connectionBody();
    const res = await t.api("POST", CONNECTIONS, { ...body, credentials: { ...(body.credentials as object), ...over } });
    expect([res.status, res.body.message]).toEqual([200, undefined]);
    return res.body.appConnection.id as string;
  }
  const body = (connectionId: string, users: [string, string]) => {
    n++;
    return infisicalCreateBody(connectionId, users, { name: `own-${n}`, secretsMapping: { username: `OWN_U${n}`, password: `OWN_P${n}` } });
  };
  const rotationCount = async () => (await t.api("GET", ROTATIONS)).body.secretRotations.length as number;

  test("When username2 is the connection's own role, then create answers 422 saying why, and nothing is stored and no password changes", async () => {
    const x = await target();
    const connectionId = await connect(x);
    const before = await rotationCount();
    const res = await t.api("POST", ROTATIONS, body(connectionId, [x.users[0], x.admin.username]));
    expect([res.status, res.body.error]).toEqual([422, "ValidationError"]);
    expect(res.body.message).toContain(`"${x.admin.username}" is the role app connection`);
    expect(res.body.details).toEqual([{ path: "parameters.username2", message: "must not be the connection's own role" }]);
    expect(await rotationCount()).toBe(before);
    expect(await canLogin(x.cluster, x.database, x.admin.username, x.admin.password)).toBe(true);
    expect(await canLogin(x.cluster, x.database, x.users[0], x.initialPasswords[0])).toBe(true);
  });

  test("When a connection PATCH would make its role one of its rotations' users, then it answers 422 and the connection stays as it was", async () => {
    const x = await target();
    const connectionId = await connect(x);
    const r = await t.api("POST", ROTATIONS, body(connectionId, x.users));
    expect(r.status).toBe(200);
    const creds = (await t.api("GET", `${ROTATIONS}/${r.body.secretRotation.id}/generated-credentials`)).body.generatedCredentials;
    const res = await t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { credentials: { username: creds[0].username, password: creds[0].password } });
    expect([res.status, res.body.error]).toEqual([422, "ValidationError"]);
    expect(res.body.details[0].path).toBe("credentials.username");
    expect((await t.api("GET", `${CONNECTIONS}/${connectionId}`)).body.appConnection.credentials.username).toBe(x.admin.username);
    expect((await t.api("POST", `${ROTATIONS}/${r.body.secretRotation.id}/rotate-secrets`)).status).toBe(200);
    await t.api("DELETE", `${ROTATIONS}/${r.body.secretRotation.id}?deleteSecrets=true`);
  });

  test("When a second rotation claims a user of the first through another connection to the same server (localhost vs 127.0.0.1, another database), then it answers 409 naming the first, and the first's credentials keep logging in", async () => {
    const x = await target();
    const first = await t.api("POST", ROTATIONS, body(await connect(x), x.users));
    expect(first.status).toBe(200);
    const other = await target({ prefix: "own_other" }); // another database and connection role on the same cluster
    const viaLocalhost = await connect(other, { host: "localhost" });
    const res = await t.api("POST", ROTATIONS, body(viaLocalhost, [other.users[0], x.users[1]]));
    expect([res.status, res.body.error]).toEqual([409, "Conflict"]);
    expect(res.body.message).toContain(`"${x.users[1]}"`);
    expect(res.body.message).toContain(first.body.secretRotation.name);
    expect(res.body.details).toEqual({ username: x.users[1], rotationId: first.body.secretRotation.id, rotationName: first.body.secretRotation.name });
    const creds = (await t.api("GET", `${ROTATIONS}/${first.body.secretRotation.id}/generated-credentials`)).body.generatedCredentials;
    for (const c of creds) expect(await canLogin(x.cluster, x.database, c.username, c.password)).toBe(true);
    expect(await canLogin(other.cluster, other.database, other.users[0], other.initialPasswords[0])).toBe(true); // untouched
    await t.api("DELETE", `${ROTATIONS}/${first.body.secretRotation.id}?deleteSecrets=true`);
  });

  test("When two creates for the same user race through two connections, then exactly one succeeds and the other answers 409", async () => {
    const x = await target();
    const [a, b] = [await connect(x), await connect(x, { host: "localhost" })];
    const results = await Promise.all([t.api("POST", ROTATIONS, body(a, x.users)), t.api("POST", ROTATIONS, body(b, x.users))]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!.body.secretRotation;
    const creds = (await t.api("GET", `${ROTATIONS}/${winner.id}/generated-credentials`)).body.generatedCredentials;
    for (const c of creds) expect(await canLogin(x.cluster, x.database, c.username, c.password)).toBe(true);
    await t.api("DELETE", `${ROTATIONS}/${winner.id}?deleteSecrets=true`);
  });

  test("When a connection PATCH moves it to a server where another rotation owns the same user names, then it answers 409 and stays on its server", async () => {
    const on15 = await target({ cluster: clusterOf(15), prefix: "own15" });
    const owner = await t.api("POST", ROTATIONS, body(await connect(on15), on15.users));
    expect(owner.status).toBe(200);
    const on17 = await target({ cluster: clusterOf(17), prefix: "own17", usernames: on15.users }); // same names, another server
    const connectionId = await connect(on17);
    const mine = await t.api("POST", ROTATIONS, body(connectionId, on17.users));
    expect(mine.status).toBe(200);
    const creds15 = on15.connectionBody().credentials as Record<string, unknown>;
    const res = await t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { credentials: creds15 });
    expect([res.status, res.body.error]).toEqual([409, "Conflict"]);
    expect(res.body.message).toContain(owner.body.secretRotation.name);
    expect((await t.api("GET", `${CONNECTIONS}/${connectionId}`)).body.appConnection.credentials.port).toBe(on17.cluster.port);
    for (const id of [owner.body.secretRotation.id, mine.body.secretRotation.id]) await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`);
  });

  test("When a connection was stored before servers were recorded, then the next start learns its server and a claim through another spelling is refused", async () => {
    const x = await target();
    const legacy = await connect(x);
    const r = await t.api("POST", ROTATIONS, body(legacy, x.users));
    expect(r.status).toBe(200);
    await withClient(t.storeUrl, (c) => c.query("UPDATE connections SET server_id = NULL WHERE id = $1", [legacy]));
    await t.restart();
    let serverId: string | null = null;
    for (let i = 0; i < 50 && !serverId; i++) {
      serverId = await withClient(t.storeUrl, async (c) => (await c.query<{ s: string | null }>("SELECT server_id AS s FROM connections WHERE id = $1", [legacy])).rows[0].s);
      if (!serverId) await new Promise((res) => setTimeout(res, 100));
    }
    expect(serverId).toMatch(/^sysid:\d+$/);
    const res = await t.api("POST", ROTATIONS, body(await connect(x, { host: "localhost" }), x.users));
    expect(res.status).toBe(409);
    await t.api("DELETE", `${ROTATIONS}/${r.body.secretRotation.id}?deleteSecrets=true`);
  });
});
