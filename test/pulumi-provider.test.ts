/**
 * Provider level: Pulumi's real dynamic-provider plugin host, driven over gRPC like the engine drives it,
 * against a real runner and a real PostgreSQL target. The serialized providers are the ones the resource
 * classes register (captured under mocks), so what runs here is what `pulumi up` would run.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { PostgresConnection, PostgresCredentialsRotation } from "../provider";
import { canLogin } from "./helpers/pg";
import { type ProviderHost, secretValue, startProviderHost, urnOf } from "./helpers/pulumi-host";
import { registeredAtLeast, useMocks } from "./helpers/pulumi-mocks";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, type Target } from "./helpers/target";

const REPO = path.resolve(__dirname, "..");
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONN_URN = urnOf("PostgresConnection", "app-db");
const ROT_URN = urnOf("PostgresCredentialsRotation", "app-db-credentials");

/** The `__provider` text of each kind, as the resource classes register it. */
async function serializedProviders(): Promise<{ connection: string; rotation: string }> {
  const registered = useMocks();
  new PostgresConnection("c", { name: "c", host: "h", port: 1, database: "d", username: "u", password: "p" });
  new PostgresCredentialsRotation("r", { name: "r", connectionId: "x", rotationInterval: 1, parameters: { username1: "a", username2: "b" }, secretsMapping: { username: "U", password: "P" } });
  await registeredAtLeast(registered, 2);
  const of = (suffix: string) => registered.find((r) => r.type.endsWith(suffix))!.inputs.__provider as string;
  return { connection: of(":PostgresConnection"), rotation: of(":PostgresCredentialsRotation") };
}

/** The environment without any runner settings: the hosts here get them from Configure unless told. */
function envWithout(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!("PGROTATE_URL" in extra)) delete env.PGROTATE_URL;
  if (!("PGROTATE_TOKEN" in extra)) delete env.PGROTATE_TOKEN;
  return env;
}

/** The error message of `p`, or "(no error)": a failing assertion then never prints resolved outputs (passwords). */
const errorOf = (p: Promise<unknown>): Promise<string> => p.then(() => "(no error)", (e: Error) => e.message);

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe("The Pulumi dynamic providers in Pulumi's plugin host, against a real runner and PostgreSQL 17", () => {
  let t: TestRunner;
  let target: Target;
  let host: ProviderHost;
  let providers: { connection: string; rotation: string };
  let token: string;
  const secretsSeen = new Set<string>();

  let connArgs: Record<string, any>;
  let conn: { id: string; properties: Record<string, any> };
  let rotArgs: Record<string, any>;
  let rotId: string;
  let rotState: Record<string, any>;

  const login = (user: string, password: string) => canLogin(target.cluster, target.database, user, password);
  const generated = async () => {
    const res = await t.api("GET", `${ROTATIONS}/${rotId}/generated-credentials`);
    expect(res.status).toBe(200);
    for (const c of res.body.generatedCredentials) secretsSeen.add(c.password);
    return res.body.generatedCredentials as Array<{ username: string; password: string }>;
  };
  /** Every output but the two that are secret in Pulumi's state (and the provider code). */
  const plain = (props: Record<string, any>) => {
    const { secrets: _s, password: _p, __provider: _q, ...rest } = props;
    return rest;
  };
  /** Asserted as a boolean so that a failure never prints the secret. */
  const expectAbsent = (text: string, secret: string) => expect(text.includes(secret)).toBe(false);

  beforeAll(async () => {
    if (!fs.existsSync(path.join(REPO, "dist/provider/index.js"))) throw new Error("dist/ is missing: run `npx tsc -p tsconfig.json` (npm test does it in pretest)");
    providers = await serializedProviders();
    target = await createTarget({ prefix: "pulumi" });
    t = await startTestRunner({ logLevel: "warn" });
    token = t.runner.adminToken;
    secretsSeen.add(target.admin.password);
    // The repo root is a Pulumi project (root Pulumi.yaml): the host runs there, as `pulumi up` from a clone would.
    host = await startProviderHost({ cwd: REPO, env: envWithout() });
    await host.configure({ "pgrotate:runnerUrl": t.runner.url, "pgrotate:token": secretValue(token), "pgrotate-quickstart:unrelated": "x" });
    connArgs = {
      __provider: providers.connection,
      name: "pulumi-app-db",
      host: target.cluster.host,
      port: target.cluster.port,
      database: target.database,
      username: target.admin.username,
      password: target.admin.password,
      sslEnabled: false,
    };
  });

  afterAll(async () => {
    await host?.stop();
    await t?.stop();
    await target?.drop();
  });

  test("Check returns each bad argument as a failure naming its property: a bad slug, interval 0, a missing connection", async () => {
    const res = await host.check(ROT_URN, {}, {
      __provider: providers.rotation,
      name: "Not A Slug",
      rotationInterval: 0,
      parameters: { username1: "a", username2: "a" },
      secretsMapping: { username: "U", password: "P" },
      revokeOnDelete: "yes",
    });
    const byProperty = Object.fromEntries(res.failures.map((f) => [f.property, f.reason]));
    expect(byProperty.name).toMatch(/slug/);
    expect(byProperty.rotationInterval).toMatch(/at least 1 day/);
    expect(byProperty.connectionId).toMatch(/connectionId is required/);
    expect(byProperty.revokeOnDelete).toMatch(/true or false/);

    const good = { __provider: providers.rotation, name: "ok", connectionId: "3b241101-e2bb-4255-8caf-4136c566a962", rotationInterval: 1, parameters: { username1: "a", username2: "b" }, secretsMapping: { username: "U", password: "P" } };
    const same = await host.check(ROT_URN, {}, { ...good, parameters: { username1: "a", username2: "a" } });
    expect(same.failures).toEqual([{ property: "parameters.username2", reason: "username1 and username2 must differ" }]);

    const typo = await host.check(ROT_URN, {}, { ...good, rotationIntervall: 2 });
    expect(typo.failures).toEqual([{ property: "rotationIntervall", reason: 'unknown property "rotationIntervall"' }]);

    const badConn = await host.check(CONN_URN, {}, { ...connArgs, port: 0, name: "ok" });
    expect(badConn.failures.map((f) => f.property)).toEqual(["port"]);
  });

  test("Check passes good arguments, and a connectionId not known yet (preview) is not a failure", async () => {
    const res = await host.check(CONN_URN, {}, connArgs);
    expect(res.failures).toEqual([]);
    expect(plain(res.inputs)).toMatchObject({ name: "pulumi-app-db", port: target.cluster.port });
    const preview = await host.check(ROT_URN, {}, { __provider: providers.rotation, name: "r", connectionId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", rotationInterval: 1, parameters: { username1: "a", username2: "b" }, secretsMapping: { username: "U", password: "P" } });
    expect(preview.failures).toEqual([]);
  });

  test("Create of a connection and a rotation: the secrets output logs in as username1, no other output holds a password or the token, and the precheck's warning is logged", async () => {
    conn = await host.create(CONN_URN, connArgs);
    expect(plain(conn.properties)).toMatchObject({ connectionId: conn.id, name: "pulumi-app-db", username: target.admin.username, sslEnabled: false });
    expectAbsent(JSON.stringify(plain(conn.properties)), target.admin.password);

    rotArgs = {
      __provider: providers.rotation,
      name: "pulumi-app-credentials",
      description: "first",
      connectionId: conn.id,
      projectId: "pulumi-test",
      environment: "dev",
      secretPath: "/",
      rotationInterval: 30,
      parameters: { username1: target.users[0], username2: target.users[1] },
      secretsMapping: { username: "APP_DB_USER", password: "APP_DB_PASSWORD" },
      revokeOnDelete: true,
    };
    const created = await host.create(ROT_URN, rotArgs);
    rotId = created.id;
    rotState = created.properties;
    expect(plain(rotState)).toMatchObject({ rotationId: rotId, activeIndex: 0, activeUsername: target.users[0], rotationStatus: "success", rotationInterval: 30 });
    expect(typeof rotState.nextRotationAt).toBe("string");
    expect(typeof rotState.lastRotatedAt).toBe("string");
    expect(Object.keys(rotState.secrets).sort()).toEqual(["APP_DB_PASSWORD", "APP_DB_USER"]);
    expect(rotState.secrets.APP_DB_USER).toBe(target.users[0]);
    expect(await login(rotState.secrets.APP_DB_USER, rotState.secrets.APP_DB_PASSWORD)).toBe(true);
    // The connection role lacks pg_monitor: the runner's precheck warning is a Pulumi warning (pulumi.log.warn), with the GRANT.
    expect(host.stderr()).toContain(`pgrotate: The connection role "${target.admin.username}" cannot see other roles' session details`);
    expect(host.stderr()).toContain(`GRANT pg_monitor TO "${target.admin.username}";`);
    // The provider tells the runner it manages both (X-Pgrotate-Managed-By): the console marks them.
    expect((await t.api("GET", `${ROTATIONS}/${rotId}`)).body.secretRotation.managedBy).toBe("pulumi");
    expect((await t.api("GET", `/api/v1/app-connections/postgres/${conn.id}`)).body.appConnection.managedBy).toBe("pulumi");

    await generated();
    for (const s of [...secretsSeen, token]) {
      expectAbsent(JSON.stringify(plain(rotState)), s);
      expectAbsent(rotState.__provider, s);
    }
  });

  test("Diff: a description change is an update, a username1 change replaces (old one deleted first), nothing changed is no change", async () => {
    expect(await host.diff(ROT_URN, rotId, rotState, { ...rotArgs, description: "second" })).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    expect(await host.diff(ROT_URN, rotId, rotState, { ...rotArgs, parameters: { ...rotArgs.parameters, username1: "someone_else" } })).toEqual({
      changes: "some",
      replaces: ["parameters"],
      deleteBeforeReplace: true,
    });
    expect((await host.diff(ROT_URN, rotId, rotState, { ...rotArgs, projectId: "other" })).replaces).toEqual(["projectId"]);
    // Left out and the runner's default are the same thing.
    const { projectId: _p, secretPath: _s, ...withoutDefaults } = rotArgs;
    expect((await host.diff(ROT_URN, rotId, { ...rotState, projectId: "default" }, withoutDefaults)).changes).toBe("none");
    expect((await host.diff(ROT_URN, rotId, rotState, rotArgs)).changes).toBe("none");
    expect((await host.diff(CONN_URN, conn.id, conn.properties, { ...connArgs, password: "changed" })).changes).toBe("some");
  });

  test("Update of the interval, description and driftRepair reaches the runner (and a connection's description too)", async () => {
    expect(plain(rotState)).toMatchObject({ driftRepair: "reapply" });
    rotArgs = { ...rotArgs, rotationInterval: 7, description: "second", driftRepair: "off" };
    expect((await host.diff(ROT_URN, rotId, rotState, rotArgs)).changes).toBe("some");
    const updated = await host.update(ROT_URN, rotId, rotState, rotArgs);
    rotState = updated.properties;
    expect(plain(rotState)).toMatchObject({ rotationInterval: 7, description: "second", driftRepair: "off", activeIndex: 0 });
    const res = await t.api("GET", `${ROTATIONS}/${rotId}`);
    expect(res.body.secretRotation).toMatchObject({ rotationInterval: 7, description: "second", driftRepair: "off" });
    expect((await host.diff(ROT_URN, rotId, rotState, rotArgs)).changes).toBe("none");

    connArgs = { ...connArgs, description: "the app database" };
    conn = { id: conn.id, properties: (await host.update(CONN_URN, conn.id, conn.properties, connArgs)).properties };
    expect((await t.api("GET", `/api/v1/app-connections/postgres/${conn.id}`)).body.appConnection.description).toBe("the app database");
  });

  test("A rotationWindow round-trips: a bad one fails Check naming it; set from the program it is stored and in the outputs, the next diff is clean, and leaving it out removes it", async () => {
    const window = { weekdays: ["mon", "tue", "wed", "thu", "fri"], startTime: "22:00", endTime: "05:00", blackouts: [{ from: "2030-12-20", to: "2031-01-04" }] };
    const bad = await host.check(ROT_URN, rotState, { ...rotArgs, rotationWindow: { ...window, weekdays: [] } });
    expect(bad.failures).toEqual([{ property: "rotationWindow.weekdays", reason: expect.stringMatching(/never opens/) }]);
    const withWindow = { ...rotArgs, rotationWindow: window };
    expect((await host.diff(ROT_URN, rotId, rotState, withWindow)).changes).toBe("some");
    const set = (await host.update(ROT_URN, rotId, rotState, withWindow)).properties;
    const stored = { ...window, blackouts: [{ from: "2030-12-20", to: "2031-01-04", reason: null }] };
    expect(plain(set).rotationWindow).toEqual(stored);
    expect((await t.api("GET", `${ROTATIONS}/${rotId}`)).body.secretRotation.rotationWindow).toEqual(stored);
    expect((await host.diff(ROT_URN, rotId, set, withWindow)).changes).toBe("none");
    const cleared = (await host.update(ROT_URN, rotId, set, rotArgs)).properties;
    expect(plain(cleared).rotationWindow).toBeNull();
    expect((await t.api("GET", `${ROTATIONS}/${rotId}`)).body.secretRotation.rotationWindow).toBeNull();
    expect((await host.diff(ROT_URN, rotId, cleared, rotArgs)).changes).toBe("none");
    rotState = cleared;
  });

  test("When maxHoldHours changes (to 0, never hold), then the update reaches the runner and the next diff is clean; left out it is the default 24", async () => {
    expect(plain(rotState)).toMatchObject({ maxHoldHours: 24 });
    rotArgs = { ...rotArgs, maxHoldHours: 0 };
    expect((await host.diff(ROT_URN, rotId, rotState, rotArgs)).changes).toBe("some");
    rotState = (await host.update(ROT_URN, rotId, rotState, rotArgs)).properties;
    expect((await t.api("GET", `${ROTATIONS}/${rotId}`)).body.secretRotation.maxHoldHours).toBe(0);
    expect((await host.diff(ROT_URN, rotId, rotState, rotArgs)).changes).toBe("none");
    const { maxHoldHours: _m, ...withoutHold } = rotArgs;
    expect((await host.diff(ROT_URN, rotId, rotState, withoutHold)).changes).toBe("some");
  });

  test("A connection's sslCertificate set and then removed from the program is cleared on the runner, and the next diff is clean", async () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"; // stored only: TLS stays off here
    const connUrl = `/api/v1/app-connections/postgres/${conn.id}`;
    const withCa = { ...connArgs, sslCertificate: pem };
    conn = { id: conn.id, properties: (await host.update(CONN_URN, conn.id, conn.properties, withCa)).properties };
    expect((await t.api("GET", connUrl)).body.appConnection.credentials.sslCertificate).toBe(pem);
    expect((await host.diff(CONN_URN, conn.id, conn.properties, connArgs)).changes).toBe("some");
    conn = { id: conn.id, properties: (await host.update(CONN_URN, conn.id, conn.properties, connArgs)).properties };
    expect((await t.api("GET", connUrl)).body.appConnection.credentials).not.toHaveProperty("sslCertificate");
    expect((await host.diff(CONN_URN, conn.id, conn.properties, connArgs)).changes).toBe("none");
  });

  test("A connection's allowedScopes round-trip: granted from the program, stored on the runner, in the outputs; the next diff is clean, and leaving them out withdraws them", async () => {
    const connUrl = `/api/v1/app-connections/postgres/${conn.id}`;
    const granted = { ...connArgs, allowedScopes: [{ projectId: "pulumi-test", secretPath: "/team-a/" }, { projectId: "other", environment: "prod" }] };
    const stored = [{ projectId: "pulumi-test", environment: null, secretPath: "/team-a" }, { projectId: "other", environment: "prod", secretPath: null }];
    expect((await host.check(CONN_URN, {}, granted)).failures).toEqual([]);
    expect((await host.diff(CONN_URN, conn.id, conn.properties, granted))).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    conn = { id: conn.id, properties: (await host.update(CONN_URN, conn.id, conn.properties, granted)).properties };
    expect(conn.properties.allowedScopes).toEqual(stored);
    expect((await t.api("GET", connUrl)).body.appConnection.allowedScopes).toEqual(stored);
    expect((await host.diff(CONN_URN, conn.id, conn.properties, granted)).changes).toBe("none");
    expect((await host.read(CONN_URN, conn.id, conn.properties)).properties.allowedScopes).toEqual(stored);
    const bad = await host.check(CONN_URN, {}, { ...connArgs, allowedScopes: [{ projectId: "x", environment: "Not A Slug" }] });
    expect(bad.failures.map((f) => f.property)).toEqual(["allowedScopes.0.environment"]);

    conn = { id: conn.id, properties: (await host.update(CONN_URN, conn.id, conn.properties, connArgs)).properties };
    expect((await t.api("GET", connUrl)).body.appConnection.allowedScopes).toEqual([]);
    expect((await host.diff(CONN_URN, conn.id, conn.properties, connArgs)).changes).toBe("none");
  });

  test("Read (pulumi refresh) after a manual rotation through the API shows username2 active, with secrets that log in; a connection reads back too", async () => {
    const res = await t.api("POST", `${ROTATIONS}/${rotId}/rotate-secrets`);
    expect(res.status).toBe(200);
    const read = await host.read(ROT_URN, rotId, rotState);
    expect(read.id).toBe(rotId);
    expect(plain(read.properties)).toMatchObject({ activeIndex: 1, activeUsername: target.users[1], rotationInterval: 7, revokeOnDelete: true });
    expect(read.properties.secrets.APP_DB_USER).toBe(target.users[1]);
    expect(await login(target.users[1], read.properties.secrets.APP_DB_PASSWORD)).toBe(true);
    expect((await host.diff(ROT_URN, rotId, read.properties, rotArgs)).changes).toBe("none");
    rotState = read.properties;

    const connRead = await host.read(CONN_URN, conn.id, conn.properties);
    expect(connRead.id).toBe(conn.id);
    expect(plain(connRead.properties)).toMatchObject({ connectionId: conn.id, description: "the app database", port: target.cluster.port });
    expect(connRead.properties.password === target.admin.password).toBe(true); // kept from the state: the runner never returns it
  });

  test("A rotationTrigger change rotates now: inside the grace period it fails with the runner's message, with forceRotation it rotates", async () => {
    expect(await errorOf(host.update(ROT_URN, rotId, rotState, { ...rotArgs, rotationTrigger: "1" }))).toMatch(/answered 409: Rotating now would change the password.*forceRotation: true/);
    expect((await t.api("GET", `${ROTATIONS}/${rotId}`)).body.secretRotation.activeIndex).toBe(1);

    rotArgs = { ...rotArgs, rotationTrigger: "1", forceRotation: true };
    const updated = await host.update(ROT_URN, rotId, rotState, rotArgs);
    rotState = updated.properties;
    expect(plain(rotState)).toMatchObject({ activeIndex: 0, activeUsername: target.users[0], rotationTrigger: "1" });
    expect(await login(target.users[0], rotState.secrets.APP_DB_PASSWORD)).toBe(true);
    // The same trigger again is no change.
    expect((await host.diff(ROT_URN, rotId, rotState, rotArgs)).changes).toBe("none");
  });

  test("A 4xx from the runner surfaces its message: a second connection with a taken name", async () => {
    expect(await errorOf(host.create(CONN_URN, connArgs))).toMatch(/answered 409: An app connection named "pulumi-app-db" already exists/);
    expect(await errorOf(host.create(ROT_URN, { ...rotArgs, name: "other", secretsMapping: { username: "OTHER_USER", password: "OTHER_PASSWORD" }, parameters: { username1: "no_such_user_1", username2: "no_such_user_2" } }))).toMatch(/answered 422: .*no_such_user_1/);
    const listed = await t.api("GET", `${ROTATIONS}?projectId=pulumi-test`);
    expect(listed.body.secretRotations.map((r: { name: string }) => r.name)).toEqual(["pulumi-app-credentials"]); // nothing stored
  });

  test("Delete with revokeOnDelete: neither generated password logs in any more, and a later Read reports the rotation gone", async () => {
    const before = await generated();
    await host.delete(ROT_URN, rotId, rotState);
    for (const c of before) expect(await login(c.username, c.password)).toBe(false);
    expect((await t.api("GET", `${ROTATIONS}/${rotId}`)).status).toBe(404);
    const read = await host.read(ROT_URN, rotId, rotState);
    expect(read.id).toBe("");

    await host.delete(CONN_URN, conn.id, conn.properties);
    expect((await t.api("GET", `/api/v1/app-connections/postgres/${conn.id}`)).status).toBe(404);
  });

  test("Nothing the plugin host logged holds a password or the token", () => {
    for (const s of [...secretsSeen, token]) expectAbsent(host.stderr(), s);
  });

  describe("in a project that installed pgrotate as a package, with the runner settings from the environment", () => {
    let project: string;
    let other: ProviderHost;
    let deadUrl: string;

    beforeAll(async () => {
      project = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-pulumi-project-"));
      fs.mkdirSync(path.join(project, "node_modules"));
      fs.symlinkSync(REPO, path.join(project, "node_modules", "pgrotate"), "dir");
      fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "some-infra", dependencies: { pgrotate: "file:" + REPO } }));
      deadUrl = `http://127.0.0.1:${await closedPort()}`;
      other = await startProviderHost({ cwd: project, env: envWithout({ PGROTATE_URL: deadUrl, PGROTATE_TOKEN: "some-token-for-a-runner-that-is-down" }) });
      await other.configure({});
    });

    afterAll(async () => {
      await other?.stop();
      if (project) fs.rmSync(project, { recursive: true, force: true });
    });

    test("An unreachable runner gives an error that names its URL", async () => {
      const message = await errorOf(other.create(CONN_URN, connArgs));
      expect(message).toContain(`Could not reach the pgrotate runner at ${deadUrl}`);
      expect(message.includes(target.admin.password)).toBe(false);
    });
  });
});
