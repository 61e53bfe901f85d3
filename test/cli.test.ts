import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { runCli, runCliOnTerminal, type CliRun } from "./helpers/cli";
import { canLogin, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A port nothing listens on (bound once by the OS, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const json = (r: CliRun): any => JSON.parse(r.stdout);
const noStack = (r: CliRun) => expect(r.stderr).not.toMatch(/\n\s+at /);

describe("pgrotate CLI: the built dist/runner/cli.js against a real runner", () => {
  let t: TestRunner;
  let target: Target;
  let second: Target;
  let bare: Target;
  let noTokenDir: string;
  let slow = false;
  /** Every run, and every password the runner held at some point: the last test checks none leaked. */
  const runs: CliRun[] = [];
  const passwords = new Set<string>();
  let env: Record<string, string | undefined>;

  const cli = async (args: string[], o: { env?: Record<string, string | undefined>; input?: string } = {}) => {
    const r = await runCli(args, { env: { ...env, ...o.env }, input: o.input });
    runs.push(r);
    return r;
  };
  const expectOk = (r: CliRun) => expect([r.args.join(" "), r.code, r.stderr]).toEqual([r.args.join(" "), 0, ""]);
  /** Remembers both users' current passwords (to search every output for them). */
  const learnPasswords = async (rotationId: string) => {
    const creds = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    for (const c of creds.generatedCredentials) passwords.add(c.password);
    return creds as { generatedCredentials: Array<{ username: string; password: string }>; activeIndex: number };
  };
  const rotationByName = async (name: string, project = "my-project") =>
    (await t.api("GET", `${ROTATIONS}/rotation-name/${name}?projectId=${project}&environment=dev&secretPath=/`)).body.secretRotation;

  beforeAll(async () => {
    target = await createTarget({ prefix: "cli" });
    second = await createTarget({ prefix: "cli2" });
    bare = await createTarget({ prefix: "cli_bare", adminRights: "none" });
    t = await startTestRunner({ faults: { afterVerify: async () => void (slow && (await sleep(1500))) } });
    noTokenDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-cli-"));
    env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, PGROTATE_DATA_DIR: noTokenDir, NO_COLOR: "1" };
    for (const tg of [target, second, bare]) passwords.add(tg.admin.password);
  });
  afterAll(async () => {
    await t?.stop();
    for (const tg of [target, second, bare]) await tg?.drop();
    if (noTokenDir) fs.rmSync(noTokenDir, { recursive: true, force: true });
  });

  const connectionArgs = (tg: Target, name: string) => [
    "connections", "create", "--name", name, "--host", tg.cluster.host, "--port", String(tg.cluster.port), "--database", tg.database, "--username", tg.admin.username,
  ];

  test("connections create reads the password from stdin, verifies the login, and list/get show the connection, never its password", async () => {
    const created = await cli(connectionArgs(target, "cli-db"), { input: target.admin.password + "\n" });
    expectOk(created);
    expect(created.stdout).toMatch(/^Created connection cli-db \([0-9a-f-]{36}\); the login was verified\.\n$/);
    const asJson = await cli([...connectionArgs(second, "cli-db-2"), "--json"], { input: second.admin.password });
    expectOk(asJson);
    expect(json(asJson)).toMatchObject({ name: "cli-db-2", credentials: { username: second.admin.username } });
    const bareConn = await cli(connectionArgs(bare, "cli-bare"), { input: bare.admin.password });
    expectOk(bareConn);

    const list = await cli(["connections", "list"]);
    expectOk(list);
    expect(list.stdout.split("\n")[0]).toMatch(/^NAME\s+TARGET\s+ROLE\s+TLS\s+ALLOWED\s+CREATED\s+ID$/);
    expect(list.stdout).toMatch(new RegExp(`cli-db\\s+${target.cluster.host}:${target.cluster.port}/${target.database}\\s+${target.admin.username}\\s+off\\s+unscoped tokens only`));
    expect(json(await cli(["connections", "list", "--json"])).map((c: { name: string }) => c.name).sort()).toEqual(["cli-bare", "cli-db", "cli-db-2"]);
    const get = await cli(["connections", "get", "cli-db"]);
    expectOk(get);
    expect(get.stdout).toMatch(/^Name\s+cli-db$/m);
    expect(get.stdout).toMatch(new RegExp(`^Role\\s+${target.admin.username}$`, "m"));
    const byId = await cli(["connections", "get", json(asJson).id, "--json"]);
    expect(json(byId)).toEqual(json(asJson));
  });

  test("connections update changes fields in place and verifies a new password (read from stdin) before storing it", async () => {
    const described = await cli(["connections", "update", "cli-db", "--description", "the app database"]);
    expectOk(described);
    expect(described.stdout).toMatch(/^Description\s+the app database$/m);
    const wrong = await cli(["connections", "update", "cli-db", "--new-password"], { input: "not-the-password\n" });
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringMatching(/^pgrotate: The target .* rejected the login of .*\n$/)]);
    const right = await cli(["connections", "update", "cli-db", "--new-password", "--json"], { input: target.admin.password + "\n" });
    expectOk(right);
    expect(json(right)).toMatchObject({ name: "cli-db", description: "the app database", version: 3 });
    const arg = await cli(["connections", "update", "cli-db", "--password", "argument-password-value"]);
    expect([arg.code, arg.stderr.includes("argument-password-value")]).toEqual([2, false]);
  });

  test("connections update --allow grants the connection to scoped tokens (replacing the list), get shows them, --no-allow withdraws them; a bad scope is a usage error", async () => {
    const granted = await cli(["connections", "update", "cli-db", "--allow", "shop/prod/team-a", "--allow", "billing/*/db", "--allow", "other", "--json"]);
    expectOk(granted);
    expect(json(granted).allowedScopes).toEqual([
      { projectId: "shop", environment: "prod", secretPath: "/team-a" },
      { projectId: "billing", environment: null, secretPath: "/db" },
      { projectId: "other", environment: null, secretPath: null },
    ]);
    expect((await cli(["connections", "get", "cli-db"])).stdout).toMatch(/^Allowed scopes\s+shop\/prod\/team-a, billing\/\*\/db, other$/m);
    const bad = await cli(["connections", "update", "cli-db", "--allow", "shop/Prod"]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/allowedScopes\.0\.environment|environment must be a slug/)]);
    const withdrawn = await cli(["connections", "update", "cli-db", "--no-allow"]);
    expectOk(withdrawn);
    expect(withdrawn.stdout).toMatch(/^Allowed scopes\s+unscoped tokens only$/m);
  });

  test("connections create refuses a password given as an argument and an empty stdin (exit 2); a wrong password is the runner's refusal (exit 1)", async () => {
    const arg = await cli([...connectionArgs(target, "never"), "--password", "argument-password-value"]);
    expect([arg.code, arg.stdout]).toEqual([2, ""]);
    expect(arg.stderr).toMatch(/never taken as an argument/);
    expect(arg.stderr).not.toContain("argument-password-value");
    const empty = await cli(connectionArgs(target, "never"), { input: "" });
    expect([empty.code, empty.stdout]).toEqual([2, ""]);
    expect(empty.stderr).toMatch(/^pgrotate: No Password of .* on stdin/);
    const wrong = await cli(connectionArgs(target, "never"), { input: "not-the-password" });
    expect([wrong.code, wrong.stdout]).toEqual([1, ""]);
    expect(wrong.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^pgrotate: The target .* rejected the login of .* \(28P01\)$/)]);
    expect((await t.api("GET", "/api/v1/app-connections/postgres")).body.appConnections.map((c: { name: string }) => c.name)).not.toContain("never");
  });

  test("rotations create makes a rotation from options, or from Infisical's JSON body with --file, checked with the runner's schemas first; the precheck's warnings go to stderr (with --json, into the document)", async () => {
    const bad = await cli(["--project", "my-project", "rotations", "create", "--name", "cli-rotation", "--connection", "cli-db", "--user1", target.users[0], "--user2", target.users[0], "--interval", "30", "--username-secret", "DB_USER", "--password-secret", "DB_PASS"]);
    expect([bad.code, bad.stdout]).toEqual([2, ""]);
    expect(bad.stderr).toMatch(/^pgrotate: Invalid rotation: parameters\.username2: username1 and username2 must differ\n$/);
    const zero = await cli(["rotations", "create", "--interval", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/option '--interval <days>' argument '0' is invalid/);

    const created = await cli(["--project", "my-project", "rotations", "create", "--name", "cli-rotation", "--connection", "cli-db", "--user1", target.users[0], "--user2", target.users[1], "--interval", "30", "--username-secret", "DB_USER", "--password-secret", "DB_PASS"]);
    expect(created.code).toBe(0);
    // The connection role lacks pg_monitor: the precheck's warning reaches the operator on stderr, with the GRANT.
    expect(created.stderr).toBe(`Warning: The connection role "${target.admin.username}" cannot see other roles' session details (it has neither pg_monitor nor pg_read_all_stats): ` +
      "before a rotation changes a password, pgrotate still counts who is logged in as that user and waits for them, but cannot name their applications or addresses. " +
      `To see them, run as a superuser: GRANT pg_monitor TO "${target.admin.username}";\n`);
    expect(created.stdout).toMatch(new RegExp(`^Created rotation cli-rotation \\([0-9a-f-]{36}\\); both users have new passwords and ${target.users[0]} is active\\.$`, "m"));
    expect(created.stdout).toMatch(/^Folder\s+my-project\/dev\/$/m);
    const rotation = await rotationByName("cli-rotation");
    expect(rotation).toMatchObject({ rotationInterval: 30, rotateAtUtc: { hours: 0, minutes: 0 }, secretsMapping: { username: "DB_USER", password: "DB_PASS" } });
    await learnPasswords(rotation.id);

    const conn2 = json(await cli(["connections", "get", "cli-db-2", "--json"])).id;
    const file = path.join(noTokenDir, "rotation.json");
    fs.writeFileSync(file, JSON.stringify(infisicalCreateBody(conn2, second.users, { name: "file-rotation", projectId: "my-project" })));
    const fromFile = await cli(["rotations", "create", "--file", file, "--at", "03:15", "--time-zone", "Europe/Berlin", "--json"]);
    expectOk(fromFile);
    // --json: one document on stdout, the warnings a field of it.
    expect(json(fromFile)).toMatchObject({ name: "file-rotation", projectId: "my-project", rotateAt: { hours: 3, minutes: 15 }, timeZone: "Europe/Berlin", rotateAtUtc: null });
    expect(json(fromFile).warnings).toEqual([expect.stringContaining(`GRANT pg_monitor TO "${second.admin.username}";`)]);
    await learnPasswords(json(fromFile).id);
  });

  test("A failed precheck prints the runner's message and the SQL to run, on stderr, and exits 1", async () => {
    const r = await cli(["rotations", "create", "--name", "bare-rotation", "--connection", "cli-bare", "--user1", bare.users[0], "--user2", bare.users[1], "--interval", "7", "--username-secret", "U", "--password-secret", "P"]);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    noStack(r);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^pgrotate: The connection role .* cannot rotate .*missing CREATEROLE/);
    expect(lines[1]).toBe("Run as a superuser on the target:");
    expect(lines.slice(2)).toContain(`  ALTER ROLE "${bare.admin.username}" CREATEROLE;`);
  });

  test("rotations list and get show the console's status words, the folder and the active user; --json prints the API's objects", async () => {
    const list = await cli(["rotations", "list"]);
    expectOk(list);
    const [header, ...rows] = list.stdout.trim().split("\n");
    expect(header).toMatch(/^NAME\s+FOLDER\s+STATUS\s+ACTIVE USER\s+LAST ROTATED\s+NEXT ROTATION\s+ID$/);
    const row = rows.find((l) => l.startsWith("cli-rotation "))!;
    expect(row).toMatch(new RegExp(`^cli-rotation\\s+my-project/dev/\\s+Rotates in 3[01] days\\s+${target.users[0]}\\s+just now\\s+in 3[01] days \\(\\d{4}-\\d\\d-\\d\\d 00:00 UTC\\)\\s+[0-9a-f-]{36}$`));
    const asJson = json(await cli(["rotations", "list", "--json"]));
    const api = (await t.api("GET", ROTATIONS)).body.secretRotations;
    expect(asJson).toEqual(api);
    expect((await cli(["--project", "elsewhere", "rotations", "list"])).stdout).toBe("No rotations.\n");
    expect(json(await cli(["--project", "my-project", "rotations", "list", "--json"])).map((r: { name: string }) => r.name).sort()).toEqual(["cli-rotation", "file-rotation"]);

    const get = await cli(["--project", "my-project", "rotations", "get", "cli-rotation"]);
    expectOk(get);
    expect(get.stdout).toMatch(/^Status\s+Rotates in 3[01] days$/m);
    expect(get.stdout).toMatch(new RegExp(`^Active user\\s+${target.users[0]} \\(username1\\)$`, "m"));
    expect(get.stdout).toMatch(/^Schedule\s+every 30 days at 00:00 UTC$/m);
    expect(get.stdout).toMatch(/^Secrets\s+DB_USER \(username\), DB_PASS \(password\)$/m);
    const id = (await rotationByName("cli-rotation")).id;
    expect(json(await cli(["rotations", "get", id, "--json"]))).toEqual((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation);
    // By name, the folder matters: the default folder (default/dev/) has no such rotation.
    const elsewhere = await cli(["rotations", "get", "cli-rotation"]);
    expect([elsewhere.code, elsewhere.stdout, elsewhere.stderr]).toEqual([1, "", 'pgrotate: No secret rotation named "cli-rotation" in project default, environment dev, path /\n']);
  });

  test("credentials shows both users and which is active, with passwords masked unless --show", async () => {
    const id = (await rotationByName("cli-rotation")).id;
    const creds = await learnPasswords(id);
    const masked = await cli(["--project", "my-project", "credentials", "cli-rotation"]);
    expectOk(masked);
    expect(masked.stdout).toMatch(new RegExp(`^username1\\s+${target.users[0]}\\s+\\*{8} \\(--show\\)\\s+active$`, "m"));
    expect(masked.stdout).toMatch(new RegExp(`^username2\\s+${target.users[1]}\\s+\\*{8} \\(--show\\)$`, "m"));
    const maskedJson = json(await cli(["credentials", id, "--json"]));
    expect(maskedJson).toEqual({ generatedCredentials: [{ username: target.users[0] }, { username: target.users[1] }], activeIndex: 0, rotationId: id, type: "postgres-credentials" });

    const shown = await cli(["credentials", id, "--show"]);
    expectOk(shown);
    for (const c of creds.generatedCredentials) expect(shown.stdout).toContain(c.password);
    expect(json(await cli(["credentials", id, "--show", "--json"]))).toEqual({ ...creds, rotationId: id, type: "postgres-credentials" });
  });

  test("rotations rotate rotates; right after, the grace guard refuses with one line and exit 1, and --force rotates anyway", async () => {
    const rotated = await cli(["--project", "my-project", "rotations", "rotate", "cli-rotation"]);
    expectOk(rotated);
    expect(rotated.stdout).toMatch(new RegExp(`^Rotated cli-rotation: ${target.users[1]} is now active\\.\\nNext rotation: in \\d+ days \\(.* UTC\\)\\n$`));
    const id = (await rotationByName("cli-rotation")).id;
    expect((await learnPasswords(id)).activeIndex).toBe(1);

    const refused = await cli(["--project", "my-project", "rotations", "rotate", "cli-rotation"]);
    expect([refused.code, refused.stdout]).toEqual([1, ""]);
    expect(refused.stderr.split("\n")).toEqual([expect.stringMatching(/^pgrotate: Rotating now would change the password of .* Allowed from .* \(pass --force to rotate anyway\)$/), ""]);
    expect((await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation.activeIndex).toBe(1);

    const forced = await cli(["rotations", "rotate", id, "--force", "--json"]);
    expectOk(forced);
    expect(json(forced)).toMatchObject({ id, activeIndex: 0, rotationStatus: "success", isLastRotationManual: true });
    await learnPasswords(id);
  });

  test("A rotation that takes more than a moment shows progress on stderr only; stdout stays one JSON document", async () => {
    slow = true;
    try {
      const r = await cli(["--project", "my-project", "rotations", "rotate", "cli-rotation", "--force", "--json"]);
      expect([r.code, r.stderr]).toEqual([0, "Rotating cli-rotation…\n"]);
      expect(json(r)).toMatchObject({ name: "cli-rotation", activeIndex: 1 });
    } finally {
      slow = false;
    }
    const quick = await cli(["--project", "my-project", "rotations", "rotate", "cli-rotation", "--force"]);
    expectOk(quick);
    await learnPasswords((await rotationByName("cli-rotation")).id);
  });

  test("rotations history lists every attempt newest first, as a table and as JSON", async () => {
    const h = await cli(["--project", "my-project", "rotations", "history", "cli-rotation"]);
    expectOk(h);
    const [header, ...rows] = h.stdout.trim().split("\n");
    expect(header).toMatch(/^STARTED\s+TRIGGER\s+RESULT\s+USER\s+DURATION\s+MESSAGE$/);
    expect(rows.map((r) => r.split(/\s{2,}/)[1])).toEqual(["manual", "manual", "manual", "manual", "create"]);
    expect(rows[0]).toMatch(new RegExp(`^just now \\(.* UTC\\)\\s+manual\\s+success\\s+${target.users[0]}\\s+\\d+ ms$`));
    const asJson = json(await cli(["--project", "my-project", "rotations", "history", "cli-rotation", "--json"]));
    expect(asJson.map((e: { trigger: string }) => e.trigger)).toEqual(["manual", "manual", "manual", "manual", "create"]);
  });

  test("rotations update changes the schedule, auto-rotation and secret names; a bad value is a usage error", async () => {
    const r = await cli(["--project", "my-project", "rotations", "update", "file-rotation", "--interval", "7", "--at", "02:30", "--no-auto-rotation", "--password-secret", "FILE_DB_PASSWORD"]);
    expectOk(r);
    expect(r.stdout).toMatch(/^Status\s+Auto-Rotation Disabled$/m);
    expect(r.stdout).toMatch(/^Schedule\s+every 7 days at 02:30 Europe\/Berlin \(auto-rotation disabled\)$/m);
    expect(await rotationByName("file-rotation")).toMatchObject({
      rotationInterval: 7, isAutoRotationEnabled: false, nextRotationAt: null, rotateAtUtc: null, rotateAt: { hours: 2, minutes: 30 }, timeZone: "Europe/Berlin",
      secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "FILE_DB_PASSWORD" },
    });
    const bad = await cli(["--project", "my-project", "rotations", "update", "file-rotation", "--time-zone", "Mars/Olympus"]);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^pgrotate: Invalid rotation update: timeZone: timeZone must be an IANA time zone/)]);
  });

  test("secrets list and get print values only with --show (list without it: the names the rotations map)", async () => {
    const id = (await rotationByName("cli-rotation")).id;
    const creds = await learnPasswords(id);
    const active = creds.generatedCredentials[creds.activeIndex];
    const list = await cli(["--project", "my-project", "secrets", "list"]);
    expectOk(list);
    expect(list.stdout).toMatch(/^DB_PASS\s+\*{8} \(--show\)\s+password of rotation cli-rotation\s+/m);
    expect(json(await cli(["--project", "my-project", "secrets", "list", "--json"])).every((s: object) => !("secretValue" in s))).toBe(true);
    const shown = await cli(["--project", "my-project", "secrets", "list", "--show"]);
    expect(shown.stdout).toMatch(new RegExp(`^DB_USER\\s+${active.username}\\s`, "m"));
    expect(shown.stdout).toContain(active.password);
    const one = await cli(["--project", "my-project", "secrets", "get", "DB_PASS", "--show"]);
    expect([one.code, one.stdout]).toEqual([0, active.password + "\n"]);
    const hidden = await cli(["--project", "my-project", "secrets", "get", "DB_PASS"]);
    expect(hidden.stdout).toMatch(/^Value\s+\*{8} \(--show\)$/m);
    const missing = await cli(["--project", "my-project", "secrets", "get", "NOPE"]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/^pgrotate: Secret "NOPE" not found/)]);
  });

  test("status shows readiness and counts, and needs no token", async () => {
    const r = await cli(["status"], { env: { PGROTATE_TOKEN: undefined } });
    expectOk(r);
    expect(r.stdout).toMatch(new RegExp(`^Runner\\s+${t.runner.url}\\nStatus\\s+ready\\nRotations\\s+2\\nFailing\\s+0\\nDrifted\\s+0\\nOverdue\\s+0\\nIn flight\\s+0\\nNotifications\\s+live\\n$`));
    expect(json(await cli(["status", "--json"], { env: { PGROTATE_TOKEN: undefined } }))).toEqual({ status: "ready", store: "ok", rotations: 2, failing: 0, drifted: 0, overdue: 0, intents: 0, notifications: "live" });
  });

  test("tokens create prints the secret once with the scope given on the command line; list never shows it; revoke stops it at once", async () => {
    const created = await cli(["--project", "my-project", "tokens", "create", "--name", "ci-read", "--permission", "read", "--expires-in", "12h"]);
    expect(created.code).toBe(0);
    expect(created.stderr).toBe("The secret is shown once: store it now.\n");
    expect(created.stdout).toMatch(/^Permission\s+read over my-project\/any environment \(any path\)$/m);
    expect(created.stdout).toMatch(/^Expires\s+in 12 hours \(/m);
    const secret = /^Secret\s+(pgr_tok_\S+)$/m.exec(created.stdout)![1];
    expect((await t.api("GET", `${ROTATIONS}?projectId=my-project`, undefined, { token: secret })).status).toBe(200);

    const asJson = json(await cli(["tokens", "create", "--name", "ci-manage", "--permission", "manage", "--json"]));
    expect(asJson).toMatchObject({ token: { name: "ci-manage", permission: "manage", scope: { projectId: null, environment: null, secretPath: null }, expiresAt: null }, secret: expect.stringMatching(/^pgr_tok_/) });

    const list = await cli(["tokens", "list"]);
    expectOk(list);
    expect(list.stdout).toMatch(/^ci-read\s+read\s+my-project\/any environment \(any path\)\s+in 12 hours\s+active\s+[0-9a-f-]{36}$/m);
    expect(list.stdout).not.toContain(secret);
    expect(json(await cli(["tokens", "list", "--json"])).map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(["ci-read", "ci-manage"]));

    const unconfirmed = await cli(["tokens", "revoke", "ci-read"]);
    expect([unconfirmed.code, unconfirmed.stdout]).toEqual([2, ""]);
    expect(unconfirmed.stderr).toMatch(/^pgrotate: Revoke token "ci-read" .*: not confirmed; pass --yes \(there is no terminal to ask on\)\n$/);
    expect((await t.api("GET", ROTATIONS, undefined, { token: secret })).status).toBe(200);
    const revoked = await cli(["tokens", "revoke", "ci-read", "--yes", "--json"]);
    expectOk(revoked);
    expect(json(revoked)).toMatchObject({ name: "ci-read", revokedAt: expect.any(String) });
    expect((await t.api("GET", ROTATIONS, undefined, { token: secret })).status).toBe(401);
    expect((await cli(["tokens", "list"])).stdout).toMatch(/^ci-read\s.*\srevoked\s/m);
  });

  test("identities create prints a client id and secret that log in; revoke needs --yes and ends the identity's logins", async () => {
    const created = await cli(["--project", "my-project", "--environment", "dev", "identities", "create", "--name", "orders-app", "--permission", "read", "--access-token-ttl", "1h", "--access-token-max-ttl", "2h"]);
    expect(created.code).toBe(0);
    const clientId = /^Client ID\s+(\S+)$/m.exec(created.stdout)![1];
    const clientSecret = /^Client secret\s+(\S+)$/m.exec(created.stdout)![1];
    const login = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId, clientSecret }, { token: null });
    expect(login.body).toMatchObject({ expiresIn: 3600, accessTokenMaxTTL: 7200 });
    const list = await cli(["identities", "list"]);
    expect(list.stdout).toMatch(new RegExp(`^orders-app\\s+read\\s+my-project/dev \\(any path\\)\\s+3600 s\\s+active\\s+${clientId}\\s+[0-9a-f-]{36}$`, "m"));
    expect(json(await cli(["identities", "list", "--json"]))[0]).toMatchObject({ name: "orders-app", clientId });
    expect((await cli(["identities", "revoke", "orders-app"])).code).toBe(2);
    expectOk(await cli(["identities", "revoke", "orders-app", "--yes"]));
    expect((await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId, clientSecret }, { token: null })).status).toBe(401);
    const again = await cli(["identities", "revoke", "orders-app", "--yes"]);
    expect([again.code, again.stderr]).toEqual([1, 'pgrotate: No machine identity with the name or id "orders-app"\n']);
  });

  test("audit shows who did what, newest first; --limit caps it and a bad --limit is a usage error", async () => {
    await sleep(250); // audit rows are written after the response
    const r = await cli(["audit", "--limit", "5"]);
    expectOk(r);
    const [header, ...rows] = r.stdout.trim().split("\n");
    expect(header).toMatch(/^WHEN\s+ACTOR\s+ACTION\s+STATUS\s+FOLDER\s+DETAILS$/);
    expect(rows).toHaveLength(5);
    const all = json(await cli(["audit", "--limit", "1000", "--json"]));
    expect(all.map((l: { action: string }) => l.action)).toEqual(expect.arrayContaining(["rotation.rotate", "rotation.create", "token.revoke", "identity.revoke"]));
    const rotates = json(await cli(["audit", "--action", "rotation.rotate", "--json"]));
    expect(rotates.length).toBeGreaterThanOrEqual(4);
    expect(rotates.every((l: { action: string }) => l.action === "rotation.rotate")).toBe(true);
    for (const bad of ["0", "1001", "ten"]) {
      const b = await cli(["audit", "--limit", bad]);
      expect([b.code, b.stdout, b.stderr]).toEqual([2, "", expect.stringMatching(/option '--limit <n>' argument .* is invalid\. a whole number from 1 to 1000/)]);
    }
  });

  test("On a terminal, a destructive command asks y/N (no: nothing changes) and a password is typed at a prompt that never echoes it", async () => {
    const no = await runCliOnTerminal(["tokens", "revoke", "ci-manage"], { env, answers: [{ after: /\[y\/N\] /, type: "n\r" }] });
    expect(no.code).toBe(1);
    expect(no.transcript).toMatch(/Revoke token "ci-manage" \([0-9a-f-]{36}\)\? \[y\/N\] /);
    expect(no.transcript).toContain("pgrotate: Not confirmed; nothing was changed.");
    expect((await t.api("GET", "/api/v1/auth/tokens")).body.tokens.find((x: { name: string }) => x.name === "ci-manage").revokedAt).toBeNull();
    const yes = await runCliOnTerminal(["tokens", "revoke", "ci-manage"], { env, answers: [{ after: /\[y\/N\] /, type: "y\r" }] });
    expect([yes.code, yes.transcript]).toEqual([0, expect.stringContaining("Revoked token ci-manage.")]);

    const typed = await runCliOnTerminal(connectionArgs(target, "typed-db"), { env, answers: [{ after: /Password of \S+: /, type: `${target.admin.password}\r` }] });
    expect([typed.code, typed.transcript]).toEqual([0, expect.stringContaining("Created connection typed-db")]);
    expect(typed.transcript).not.toContain(target.admin.password);
    expectOk(await cli(["connections", "delete", "typed-db", "--yes"]));
  });

  test("rotations delete needs --yes without a terminal; --revoke leaves both users with unknown passwords and --delete-secrets removes the secrets; a connection in use cannot be deleted", async () => {
    const id = (await rotationByName("file-rotation")).id;
    const old = await learnPasswords(id);
    const unconfirmed = await cli(["--project", "my-project", "rotations", "delete", "file-rotation", "--revoke"]);
    expect([unconfirmed.code, unconfirmed.stderr]).toEqual([2, expect.stringMatching(/^pgrotate: Delete rotation "file-rotation" in my-project\/dev\/; both users get unknown passwords: not confirmed; pass --yes/)]);
    expect((await t.api("GET", `${ROTATIONS}/${id}`)).status).toBe(200);

    const inUse = await cli(["connections", "delete", "cli-db-2", "--yes"]);
    expect([inUse.code, inUse.stderr]).toEqual([1, "pgrotate: App connection cli-db-2 is used by 1 secret rotation(s); delete them first\n"]);

    const deleted = await cli(["--project", "my-project", "rotations", "delete", "file-rotation", "--revoke", "--delete-secrets", "--yes"]);
    expectOk(deleted);
    expect(deleted.stdout).toBe(`Deleted rotation file-rotation.\n${second.users[0]} and ${second.users[1]} now have unknown passwords.\nIts secrets were removed.\n`);
    for (const c of old.generatedCredentials) expect(await canLogin(second.cluster, second.database, c.username, c.password)).toBe(false);
    expect((await t.api("GET", "/api/v3/secrets/raw/FILE_DB_PASSWORD?workspaceId=my-project&environment=dev")).status).toBe(404);

    const conn = await cli(["connections", "delete", "cli-db-2", "--yes", "--json"]);
    expectOk(conn);
    expect(json(conn)).toMatchObject({ name: "cli-db-2" });
  });

  test("Without a token a command that needs one exits 2 and says how to give one; a wrong token is the runner's 401 (exit 1)", async () => {
    const none = await cli(["rotations", "list"], { env: { PGROTATE_TOKEN: undefined } });
    expect([none.code, none.stdout]).toEqual([2, ""]);
    expect(none.stderr).toBe(`pgrotate: No token: pass --token or set PGROTATE_TOKEN, or save a profile with pgrotate login (or run where the runner's ${path.join(noTokenDir, "admin.token")} is readable)\n`);
    const wrong = await cli(["--token", "not-a-token", "rotations", "list"]);
    expect([wrong.code, wrong.stderr]).toEqual([1, "pgrotate: Invalid, expired or revoked token (check --token / PGROTATE_TOKEN)\n"]);
  });

  test("For a runner on this host the data directory's admin.token is used; never for a remote URL", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-cli-token-"));
    try {
      fs.writeFileSync(path.join(dir, "admin.token"), t.runner.adminToken + "\n", { mode: 0o600 });
      const local = await cli(["rotations", "list", "--json"], { env: { PGROTATE_TOKEN: undefined, PGROTATE_DATA_DIR: dir } });
      expectOk(local);
      expect(json(local)).toHaveLength(1);
      const remote = await cli(["--url", "http://runner.example.invalid:8080", "rotations", "list"], { env: { PGROTATE_TOKEN: undefined, PGROTATE_DATA_DIR: dir } });
      expect([remote.code, remote.stderr]).toEqual([2, "pgrotate: No token: pass --token or set PGROTATE_TOKEN, or save a profile with pgrotate login\n"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("When the runner is unreachable, then every command exits 3 and names the URL", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const commands = [
      ["status"], ["rotations", "list"], ["rotations", "get", "x"], ["rotations", "rotate", "x"], ["rotations", "history", "x"], ["rotations", "delete", "x", "--yes"],
      ["rotations", "update", "x", "--interval", "2"], ["rotations", "create", "--name", "x", "--connection", "c"], ["credentials", "x"],
      ["connections", "list"], ["connections", "get", "x"], ["connections", "delete", "x", "--yes"], ["secrets", "list"], ["secrets", "get", "X"],
      ["tokens", "list"], ["tokens", "create", "--name", "x", "--permission", "read"], ["tokens", "revoke", "x", "--yes"],
      ["identities", "list"], ["identities", "create", "--name", "x", "--permission", "read"], ["identities", "revoke", "x", "--yes"], ["audit"], ["rekey"],
    ];
    // Every command once, every other one in --json form (nothing on stdout; one line on stderr, JSON with --json).
    const message = new RegExp(`^Could not reach the pgrotate runner at ${url} \\(.*\\): ECONNREFUSED$`);
    for (const [i, c] of [...commands, connectionArgs(target, "x")].entries()) {
      const args = ["--url", url, ...c, ...(i % 2 ? ["--json"] : [])];
      const r = await cli(args, { input: "pw" });
      expect([args.join(" "), r.code, r.stdout]).toEqual([args.join(" "), 3, ""]);
      if (i % 2) {
        expect(r.stderr.endsWith("\n") && r.stderr.trim().split("\n").length === 1).toBe(true);
        expect(JSON.parse(r.stderr)).toEqual({ error: "Unreachable", message: expect.stringMatching(message), exitCode: 3, meaning: "the runner could not be reached (no answer at all)" });
      } else expect(r.stderr).toMatch(new RegExp(`^pgrotate: ${message.source.slice(1, -1)}\\n$`));
    }
  }, 120_000);

  test("Usage errors exit 2 with a message and nothing on stdout", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["rotatoins"], /unknown command 'rotatoins'/],
      [["rotations", "get"], /missing required argument 'rotation'/],
      [["rotations", "rotate", "x", "--forse"], /unknown option '--forse'/],
      [["tokens", "create", "--name", "x", "--permission", "admin"], /argument 'admin' is invalid\. "read" or "manage"/],
      [["tokens", "create", "--name", "x", "--permission", "read", "--expires-in", "soon"], /a duration such as 3600, 90m, 12h or 30d/],
      [["connections", "create", "--name", "x"], /required option '--host <host>' not specified/],
      [["--url", "ftp://runner", "rotations", "list"], /--url must start with http:\/\/ or https:\/\//],
      [["--url", "not a url", "status"], /--url "not a url" is not a URL/],
      [["rotations"], /Usage: pgrotate rotations/],
      [["rekey", "--batch-size", "0"], /--batch-size must be a whole number from 1 to 10000/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect([args.join(" "), r.code, r.stdout]).toEqual([args.join(" "), 2, ""]);
      expect(r.stderr).toMatch(message);
      noStack(r);
    }
    const help = await cli(["rotations", "--help"]);
    expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/Commands:[\s\S]*list[\s\S]*rotate[\s\S]*delete/)]);
    const version = await cli(["--version"]);
    expect([version.code, version.stdout]).toEqual([0, `${(JSON.parse(fs.readFileSync(path.join(__dirname, "../package.json"), "utf8")) as { version: string }).version}\n`]);
  });

  test("Status words are coloured only when asked (FORCE_COLOR), never with --no-color or NO_COLOR", async () => {
    const coloured = await cli(["rotations", "list"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    expect(coloured.stdout).toMatch(/\x1b\[3\dmRotates in 3[01] days\x1b\[39m/); // eslint-disable-line no-control-regex
    const flag = await cli(["rotations", "list", "--no-color"], { env: { NO_COLOR: undefined, FORCE_COLOR: "1" } });
    const noColor = await cli(["rotations", "list"], { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
    const piped = await cli(["rotations", "list"], { env: { NO_COLOR: undefined } });
    for (const r of [flag, noColor, piped]) {
      expectOk(r);
      expect(r.stdout).not.toContain("\x1b[");
      expect(r.stdout).toMatch(/Rotates in 3[01] days/);
    }
  });

  test("When the runner's store is unavailable, status prints why and exits 1 (--json too)", async () => {
    const storeDb = new URL(t.storeUrl).pathname.slice(1);
    const admin = target.cluster.url("postgres");
    const block = (allow: boolean) =>
      withClient(admin, async (c) => {
        await c.query(`ALTER DATABASE "${storeDb}" ALLOW_CONNECTIONS ${allow}`);
        if (!allow) await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [storeDb]);
      });
    await block(false);
    try {
      const r = await cli(["status"]);
      expect([r.code, r.stderr]).toEqual([1, ""]);
      expect(r.stdout).toMatch(/^Status\s+not ready: the store is unavailable$/m);
      const j = await cli(["status", "--json"]);
      expect([j.code, json(j)]).toEqual([1, { status: "not ready", reason: "the store is unavailable" }]);
    } finally {
      await block(true);
    }
    for (let i = 0; i < 50 && (await cli(["status"])).code !== 0; i++) await sleep(200);
    expectOk(await cli(["status"]));
  });

  test("No password or token was on a command line, and none was printed but with --show", () => {
    expect(runs.length).toBeGreaterThan(100);
    expect(passwords.size).toBeGreaterThanOrEqual(9);
    for (const r of runs) {
      const shown = r.args.includes("--show");
      for (const secret of [...passwords, t.runner.adminToken]) {
        expect(r.args.some((a) => a.includes(secret))).toBe(false);
        if (!shown || secret === t.runner.adminToken) expect([r.args.join(" "), r.stdout.includes(secret) || r.stderr.includes(secret)]).toEqual([r.args.join(" "), false]);
      }
    }
  });
});
