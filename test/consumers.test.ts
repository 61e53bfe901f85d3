/**
 * Consumers: pgrotate/pg pools tell the runner which database users of a folder they use, so a rotation can see
 * who still uses the user it is about to retire (consumersUsing). Real PostgreSQL, real runners (one with the
 * default timeout, one with a 2-second timeout on the same store), real pools — one of them in a child process
 * that is killed without end().
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRotatingPool, type RotatingPool, type RotatingPoolEvent } from "../pg";
import { ConsumerService, consumersUsing } from "../runner/services/consumers";
import { fetchTrusting } from "../provider/trust";
import { createCa, issueServerCert } from "./helpers/certs";
import { runCli } from "./helpers/cli";
import { cluster, withClient } from "./helpers/pg";
import { preparedDatabase, type PreparedDatabase } from "./helpers/prepared-db";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { until } from "./helpers/until";
import { infisicalCreateBody } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const FOLDER = { projectId: "consumers", environment: "dev", secretPath: "/" };
const FOLDER_QUERY = "workspaceId=consumers&environment=dev&secretPath=/";
const KEYS = { usernameKey: "POSTGRES_DB_USERNAME", passwordKey: "POSTGRES_DB_PASSWORD" };
const HEARTBEAT = "/api/v1/consumers/heartbeat";
/** The short runner forgets a consumer after this many seconds. */
const SHORT_TIMEOUT = 2;
/** Live consumers a folder may have on these runners. */
const CAP = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Consumers: pools report the database users they use, and a rotation can see who still uses a user", () => {
  let t: TestRunner;
  let short: TestRunner;
  let db: PreparedDatabase;
  let rotationId: string;
  let readToken: { id: string; secret: string };
  let otherToken: { id: string; secret: string };
  const pools: RotatingPool[] = [];
  const children: ChildProcess[] = [];
  const secrets = new Set<string>();
  const events: RotatingPoolEvent[] = [];

  const using = (usernames: string[]) => consumersUsing(t.runner.pool, FOLDER, usernames, new Date());
  const rowCount = async (where = "true", values: unknown[] = []) =>
    (await t.runner.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM consumers WHERE ${where}`, values)).rows[0].n;
  const active = async () => {
    const c = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    for (const x of c.generatedCredentials) secrets.add(x.password);
    return c.generatedCredentials[c.activeIndex] as { username: string; password: string };
  };
  const make = (over: Partial<Parameters<typeof createRotatingPool>[0]> = {}, runner: TestRunner = t) => {
    const pool = createRotatingPool({
      runnerUrl: runner.runner.url,
      token: readToken.secret,
      ...FOLDER,
      ...KEYS,
      pool: { host: db.cluster.host, port: db.cluster.port, database: db.database },
      onEvent: (e) => events.push(e),
      ...over,
    });
    pools.push(pool);
    return pool;
  };
  const heartbeat = (body: Record<string, unknown>, token?: string) =>
    t.api("POST", HEARTBEAT, { instanceId: "i-1", appName: "billing-app", workspaceId: "consumers", environment: "dev", secretPath: "/", usernames: ["app_user"], ...body }, token ? { token } : {});

  beforeAll(async () => {
    db = await preparedDatabase(cluster(17), "consumers");
    t = await startTestRunner({ logLevel: "warn", feed: { heartbeatMs: 500 }, maxConsumersPerFolder: CAP });
    short = await startTestRunner({ storeOf: t, logLevel: "warn", feed: { heartbeatMs: 500 }, consumerTimeoutSeconds: SHORT_TIMEOUT, maxConsumersPerFolder: CAP });
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", db.connectionBody());
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, db.users, { projectId: "consumers" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
    const tok = await t.api("POST", "/api/v1/auth/tokens", { name: "consumers-read", ...FOLDER, permission: "read" });
    readToken = { id: tok.body.token.id, secret: tok.body.secret };
    const other = await t.api("POST", "/api/v1/auth/tokens", { name: "elsewhere-read", projectId: "elsewhere", permission: "read" });
    otherToken = { id: other.body.token.id, secret: other.body.secret };
    for (const s of [readToken.secret, otherToken.secret, db.connectionPassword]) secrets.add(s);
  });
  afterEach(async () => {
    for (const p of pools.splice(0)) if (!p.ending) await p.end();
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await t.runner.pool.query("DELETE FROM consumers");
  });
  afterAll(async () => {
    for (const p of pools.splice(0)) if (!p.ending) await p.end();
    for (const c of children.splice(0)) c.kill("SIGKILL");
    // No password, token or connection secret in any event a pool told, nor in the runners' logs.
    await active();
    const told = JSON.stringify(events);
    const logs = [...(t?.logs ?? []), ...(short?.logs ?? [])].join("\n");
    for (const s of secrets) {
      expect(told.includes(s)).toBe(false);
      expect(logs.includes(s)).toBe(false);
    }
    await short?.stop();
    await t?.stop();
    await db?.drop();
  });

  test("When a pool with appName 'billing-app' has run a query, then consumersUsing names it for its username, the list and the CLI show it, and its connections carry the name as application_name", async () => {
    const pool = make({ appName: "billing-app" });
    const user = (await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u;
    expect(user).toBe((await active()).username);
    const uses = await until(() => using([user]), (u) => u.length === 1, 3000, "the pool is named");
    expect(uses).toEqual([{ instanceId: expect.stringMatching(/^[0-9a-f-]{36}$/), appName: "billing-app", username: user, lastSeenAt: expect.any(Date) }]);
    // Only the names asked about: the other user of the pair is not in use.
    expect(await using(db.users.filter((u) => u !== user))).toEqual([]);
    expect(await using([])).toEqual([]);

    const listed = await t.api("GET", `/api/v1/consumers?${FOLDER_QUERY}`, undefined, { token: readToken.secret });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      consumers: [{ instanceId: uses[0].instanceId, appName: "billing-app", usernames: [user], firstSeenAt: expect.any(String), lastSeenAt: uses[0].lastSeenAt.toISOString(), reportedBy: `token:${readToken.id}` }],
      timeoutSeconds: 90,
    });

    const cli = await runCli(["--url", t.runner.url, "--token", readToken.secret, "--project", "consumers", "--environment", "dev", "--path", "/", "consumers", "list"]);
    expect([cli.code, cli.stderr]).toEqual([0, ""]);
    expect(cli.stdout).toMatch(/^APP\s+INSTANCE\s+USERNAMES\s+LAST SEEN\n/);
    expect(cli.stdout).toContain(`billing-app  ${uses[0].instanceId}  ${user}`);

    const seen = await withClient(db.cluster.url(db.database), async (c) =>
      (await c.query<{ app: string }>("SELECT application_name AS app FROM pg_stat_activity WHERE usename = $1", [user])).rows.map((r) => r.app));
    expect(seen).toContain("billing-app");
  });

  test("When the pool follows a rotation, then it reports both users while it still holds a connection of the old one, and only the new one as soon as that connection closes", async () => {
    const pool = make({ appName: "billing-app" }); // heartbeatSeconds 30: only a change can explain a report within seconds
    const held = await pool.connect();
    const old = (await held.query<{ u: string }>("SELECT session_user AS u")).rows[0].u;
    await until(() => using([old]), (u) => u.length === 1, 3000, "the pool is named for the old user");
    expect((await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200);
    const next = (await active()).username;
    expect(next).not.toBe(old);
    await until(async () => pool.username, (u) => u === next, 5000, "the pool follows the rotation");
    // During the switch: both users, the new one first.
    const both = await until(() => t.api("GET", `/api/v1/consumers?${FOLDER_QUERY}`), (r) => r.body.consumers[0]?.usernames.length === 2, 3000, "both users reported");
    expect(both.body.consumers[0].usernames).toEqual([next, old]);
    expect((await using([old])).map((u) => u.appName)).toEqual(["billing-app"]);

    held.release(); // the old user's last connection closes
    const started = Date.now();
    await until(async () => [await using([old]), await using([next])], ([o, n]) => o.length === 0 && n.length === 1, 3000, "the old user is no longer reported");
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await using([old, next])).map((u) => [u.appName, u.username])).toEqual([["billing-app", next]]);
  });

  test("When a pool is killed without end(), then it is reported until the timeout and forgotten after it, while a pool that keeps reporting stays", async () => {
    const env = {
      POOL_OPTIONS: JSON.stringify({
        runnerUrl: short.runner.url, token: readToken.secret, ...FOLDER, ...KEYS, appName: "killed-app", heartbeatSeconds: 0.5, changeFeed: false,
        pool: { host: db.cluster.host, port: db.cluster.port, database: db.database },
      }),
    };
    const script = `const { createRotatingPool } = require(${JSON.stringify(path.resolve(__dirname, "../dist/pg"))});
      const pool = createRotatingPool(JSON.parse(process.env.POOL_OPTIONS));
      pool.query("SELECT 1").then(() => process.stdout.write("ready\\n"), (e) => { process.stderr.write(String(e)); process.exit(1); });
      setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ["-e", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const stays = make({ appName: "staying-app", heartbeatSeconds: 0.5 }, short);
    await stays.query("SELECT 1");
    const user = (await active()).username;
    await until(() => using([user]), (u) => u.length === 2, 10_000, `both apps are named (child: ${out})`);

    child.kill("SIGKILL");
    const killedAt = Date.now();
    await new Promise((r) => child.once("exit", r));
    // Still named right after (the runner cannot tell a dead pool from a quiet one before the timeout)…
    expect((await using([user])).map((u) => u.appName)).toContain("killed-app");
    // …and forgotten once the timeout has passed since its last heartbeat (sent at most 0.5 s before the kill).
    await until(() => using([user]), (u) => !u.some((x) => x.appName === "killed-app"), SHORT_TIMEOUT * 1000 + 3000, "the killed pool is forgotten");
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual((SHORT_TIMEOUT - 0.5) * 1000 - 100);
    // The pool that keeps reporting outlives the timeout.
    await sleep(SHORT_TIMEOUT * 1000 + 500);
    expect((await using([user])).map((u) => u.appName)).toEqual(["staying-app"]);
    expect((await short.api("GET", `/api/v1/consumers?${FOLDER_QUERY}`)).body.consumers.map((c: { appName: string }) => c.appName)).toEqual(["staying-app"]);
  });

  test("When a pool ends, then the runner forgets it at once, and its queries never depended on the heartbeat", async () => {
    const pool = make({ appName: "billing-app" });
    const user = (await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u;
    await until(() => using([user]), (u) => u.length === 1, 3000, "the pool is named");
    await pool.end();
    expect(await using([user])).toEqual([]); // the default 90-second timeout cannot explain this: the leave does
    expect(await rowCount()).toBe(0);
  });

  test("When a folder has its cap of live consumers, then a new instance gets 429 with Retry-After, known ones keep reporting, and a pool turned away keeps serving queries and gets in once a place frees", async () => {
    const user = (await active()).username;
    for (let i = 1; i <= CAP; i++) expect((await heartbeat({ instanceId: `filler-${i}`, usernames: [user] })).status).toBe(204);
    const refused = await heartbeat({ instanceId: "one-too-many", usernames: [user] });
    expect([refused.status, refused.body.error, refused.headers.get("retry-after")]).toEqual([429, "TooManyRequests", "90"]);
    expect(refused.body.message).toContain(`already has ${CAP} live consumers`);
    expect((await heartbeat({ instanceId: "filler-1", usernames: [user] })).status).toBe(204);
    expect(await rowCount("instance_id = 'one-too-many'")).toBe(0);

    const mine: RotatingPoolEvent[] = [];
    const pool = make({ appName: "turned-away", onEvent: (e) => (events.push(e), mine.push(e)) });
    for (let i = 0; i < 20; i++) expect((await pool.query<{ n: number }>("SELECT $1::int AS n", [i])).rows[0].n).toBe(i);
    const failed = await until(async () => mine.filter((e) => e.type === "consumer" && e.state === "report-failed"), (f) => f.length > 0, 3000, "the refused report is told");
    expect(failed[0]).toEqual({ type: "consumer", state: "report-failed", error: expect.stringContaining("answered 429"), retryInMs: expect.any(Number) });
    expect(await using([user]).then((u) => u.some((x) => x.appName === "turned-away"))).toBe(false);

    expect((await t.api("DELETE", `/api/v1/consumers/filler-2?${FOLDER_QUERY}`)).status).toBe(204);
    await until(() => using([user]), (u) => u.some((x) => x.appName === "turned-away"), 5000, "the pool gets in after a place frees (backoff from 1 s)");
    await until(async () => mine.filter((e) => e.type === "consumer" && e.state === "reported"), (r) => r.length === 1, 1000, "the pool tells it got in");
  });

  test("When a token without read on the folder reports, lists or leaves, then 403 and nothing is written or removed; a scoped read token, a machine identity and the admin may", async () => {
    const refused = await heartbeat({ instanceId: "outsider" }, otherToken.secret);
    expect([refused.status, refused.body.error]).toEqual([403, "Forbidden"]);
    expect(await rowCount()).toBe(0);
    expect((await t.api("GET", `/api/v1/consumers?${FOLDER_QUERY}`, undefined, { token: otherToken.secret })).status).toBe(403);

    expect((await heartbeat({ instanceId: "by-token" }, readToken.secret)).status).toBe(204);
    expect((await t.api("DELETE", `/api/v1/consumers/by-token?${FOLDER_QUERY}`, undefined, { token: otherToken.secret })).status).toBe(403);
    expect(await rowCount("instance_id = 'by-token'")).toBe(1);
    // The read token, scoped to the dev environment, may not report for prod.
    expect((await heartbeat({ instanceId: "by-token", environment: "prod" }, readToken.secret)).status).toBe(403);
    expect(await rowCount("environment = 'prod'")).toBe(0);
    expect((await t.api("POST", HEARTBEAT, { instanceId: "x", appName: "a", usernames: ["u"] }, { token: null })).status).toBe(401);

    const ident = await t.api("POST", "/api/v1/auth/identities", { name: "consumers-app", ...FOLDER, permission: "read" });
    secrets.add(ident.body.clientSecret);
    const login = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: ident.body.clientId, clientSecret: ident.body.clientSecret }, { token: null });
    secrets.add(login.body.accessToken);
    expect((await heartbeat({ instanceId: "by-identity" }, login.body.accessToken)).status).toBe(204);
    expect((await heartbeat({ instanceId: "by-admin" })).status).toBe(204);
    const rows = (await t.runner.pool.query<{ instance_id: string; reported_by: string }>("SELECT instance_id, reported_by FROM consumers ORDER BY instance_id")).rows;
    expect(rows).toEqual([
      { instance_id: "by-admin", reported_by: "admin" },
      { instance_id: "by-identity", reported_by: `identity:${ident.body.identity.id}` },
      { instance_id: "by-token", reported_by: `token:${readToken.id}` },
    ]);
    // The project named as a raw read may name it: by slug, by v4's projectId; two different names are refused.
    expect((await heartbeat({ instanceId: "by-token", workspaceId: undefined, projectSlug: "consumers" }, readToken.secret)).status).toBe(204);
    expect((await heartbeat({ instanceId: "by-token", workspaceId: undefined, projectId: "consumers" }, readToken.secret)).status).toBe(204);
    expect((await heartbeat({ instanceId: "two-names", projectId: "elsewhere" })).status).toBe(422);
    expect(await rowCount()).toBe(3);
    expect((await t.api("DELETE", `/api/v1/consumers/by-token?${FOLDER_QUERY}`, undefined, { token: readToken.secret })).status).toBe(204);
    expect((await t.api("DELETE", `/api/v1/consumers/never-seen?${FOLDER_QUERY}`, undefined, { token: readToken.secret })).status).toBe(204);
    expect(await rowCount("instance_id = 'by-token'")).toBe(0);
  });

  test("When the runner serves HTTPS with a private CA, then a pool given that CA reports through it and leaves through it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-consumers-https-"));
    const files = { certFile: path.join(dir, "tls.crt"), keyFile: path.join(dir, "tls.key") };
    const ca = createCa("pgrotate consumers test CA");
    const cert = issueServerCert(ca);
    fs.writeFileSync(files.certFile, cert.certPem);
    fs.writeFileSync(files.keyFile, cert.keyPem, { mode: 0o600 });
    const https = await startTestRunner({ storeOf: t, logLevel: "warn", tls: files, fetch: fetchTrusting(ca.certPem) });
    try {
      expect(https.runner.url).toMatch(/^https:/);
      const mine: RotatingPoolEvent[] = [];
      const pool = make({ appName: "tls-app", ca: ca.certPem, onEvent: (e) => (events.push(e), mine.push(e)) }, https);
      const user = (await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u;
      await until(() => using([user]), (u) => u.some((x) => x.appName === "tls-app"), 3000, "the pool reports over HTTPS");
      await pool.end();
      expect(await using([user])).toEqual([]);
      expect(mine.filter((e) => e.type === "consumer")).toEqual([{ type: "consumer", state: "reported", usernames: [user] }]);
    } finally {
      await https.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("When rows were last seen far past the timeout, then pruning deletes them and keeps live ones and recently forgotten ones", async () => {
    for (const id of ["live", "just-forgotten", "long-gone"]) expect((await heartbeat({ instanceId: id })).status).toBe(204);
    await t.runner.pool.query("UPDATE consumers SET last_seen_at = now() - interval '2 minutes', expires_at = now() - interval '30 seconds' WHERE instance_id = 'just-forgotten'");
    await t.runner.pool.query("UPDATE consumers SET last_seen_at = now() - interval '16 minutes', expires_at = now() - interval '15 minutes' WHERE instance_id = 'long-gone'");
    expect((await t.api("GET", `/api/v1/consumers?${FOLDER_QUERY}`)).body.consumers.map((c: { instanceId: string }) => c.instanceId)).toEqual(["live"]);
    // 10 timeouts of 90 s is 15 minutes; never under an hour: nothing yet.
    const service = new ConsumerService({ pool: t.runner.pool, logger: t.runner.logger, timeoutSeconds: 90 });
    expect(await service.prune()).toBe(0);
    const shortService = new ConsumerService({ pool: t.runner.pool, logger: t.runner.logger, timeoutSeconds: 1 });
    await t.runner.pool.query("UPDATE consumers SET last_seen_at = now() - interval '61 minutes' WHERE instance_id = 'long-gone'");
    expect(await shortService.prune()).toBe(1);
    expect((await t.runner.pool.query<{ instance_id: string }>("SELECT instance_id FROM consumers ORDER BY instance_id")).rows.map((r) => r.instance_id)).toEqual(["just-forgotten", "live"]);
  });

  test("When an instance reports the same thing again and again, then the audit log has its first report, each change, each refusal and its leave, not every repeat", async () => {
    for (let i = 0; i < 5; i++) expect((await heartbeat({ instanceId: "audited", usernames: ["u1"] }, readToken.secret)).status).toBe(204);
    expect((await heartbeat({ instanceId: "audited", usernames: ["u2", "u1"] }, readToken.secret)).status).toBe(204);
    for (let i = 0; i < 3; i++) expect((await heartbeat({ instanceId: "audited", usernames: ["u2", "u1"] }, readToken.secret)).status).toBe(204);
    expect((await heartbeat({ instanceId: "audited", environment: "prod" }, readToken.secret)).status).toBe(403);
    expect((await t.api("DELETE", `/api/v1/consumers/audited?${FOLDER_QUERY}`, undefined, { token: readToken.secret })).status).toBe(204);
    type Row = { action: string; actor: string; status: number; resourceId: string | null; environment: string | null; details: Record<string, unknown> | null };
    const rows = await until(
      async () => ((await t.api("GET", "/api/v1/audit-logs?limit=100")).body.auditLogs as Row[]).filter((r) => r.resourceId === "audited").reverse(),
      (r) => r.length >= 4,
      3000,
      "the audit rows are written",
    );
    expect(rows.map((r) => [r.action, r.actor, r.status, r.resourceId, r.environment, r.details])).toEqual([
      ["consumers.heartbeat", `token:${readToken.id}`, 204, "audited", "dev", { appName: "billing-app", usernames: ["u1"], outcome: "new" }],
      ["consumers.heartbeat", `token:${readToken.id}`, 204, "audited", "dev", { appName: "billing-app", usernames: ["u2", "u1"], outcome: "changed" }],
      ["consumers.heartbeat", `token:${readToken.id}`, 403, "audited", "prod", { appName: "billing-app" }],
      ["consumers.leave", `token:${readToken.id}`, 204, "audited", "dev", null],
    ]);
  });

  const BAD: Array<[string, Record<string, unknown>, string]> = [
    ["no instanceId", { instanceId: undefined }, "instanceId"],
    ["an instanceId with a slash", { instanceId: "a/b" }, "instanceId"],
    ["an instanceId of 129 characters", { instanceId: "i".repeat(129) }, "instanceId"],
    ["no appName", { appName: undefined }, "appName"],
    ["an empty appName", { appName: "" }, "appName"],
    ["an appName of 129 characters", { appName: "a".repeat(129) }, "appName"],
    ["an appName with a terminal escape", { appName: "billing\u001b[31m" }, "appName"],
    ["an appName on two lines", { appName: "billing\napp" }, "appName"],
    ["an appName with a right-to-left override", { appName: "billing\u202eppa" }, "appName"],
    ["an appName with a trailing space", { appName: "billing " }, "appName"],
    ["an appName that is a number", { appName: 7 }, "appName"],
    ["no usernames", { usernames: undefined }, "usernames"],
    ["an empty usernames list", { usernames: [] }, "usernames"],
    ["five usernames", { usernames: ["a", "b", "c", "d", "e"] }, "usernames"],
    ["a username of 64 bytes", { usernames: ["u".repeat(64)] }, "usernames.0"],
    ["an empty username", { usernames: [""] }, "usernames.0"],
    ["usernames as a string", { usernames: "app_user" }, "usernames"],
    ["an environment that is not a slug", { environment: "Prod!" }, "environment"],
    ["an empty environment", { environment: "" }, "environment"],
    ["a secretPath without a leading slash", { secretPath: "app" }, "secretPath"],
    ["an empty project name", { workspaceId: "" }, "workspaceId"],
    ["a project name that is a number", { workspaceId: 5 }, "workspaceId"],
  ];
  test.each(BAD)("When a heartbeat has %s, then 422 naming the field and nothing is written", async (_what, over, field) => {
    const res = await heartbeat(over);
    expect([res.status, res.body.error]).toEqual([422, "ValidationError"]);
    expect((res.body.details as Array<{ path: string }>).map((d) => d.path)).toContain(field);
    expect(await rowCount()).toBe(0);
  });

  test("When a heartbeat is not JSON or not an object, or a leave names a bad instance, then a 4xx and nothing is written; an appName of 128 printable characters and 4 usernames are accepted", async () => {
    expect((await t.api("POST", HEARTBEAT, undefined, { rawBody: "{not json" })).status).toBe(400);
    expect((await t.api("POST", HEARTBEAT, ["i-1"])).status).toBe(422);
    expect((await t.api("POST", HEARTBEAT, undefined)).status).toBe(422);
    expect((await t.api("DELETE", `/api/v1/consumers/a%20b?${FOLDER_QUERY}`)).status).toBe(422);
    expect((await t.api("GET", "/api/v1/consumers?workspaceId=consumers&environment=")).status).toBe(422);
    expect(await rowCount()).toBe(0);
    const name = "Billing App — Zahlungen 💳 " + "x".repeat(128 - "Billing App — Zahlungen 💳 ".length);
    expect(name.length).toBe(128);
    expect((await heartbeat({ appName: name, usernames: ["a", "b", "c", "a"], futureField: true })).status).toBe(204);
    const listed = (await t.api("GET", `/api/v1/consumers?${FOLDER_QUERY}`)).body.consumers;
    expect(listed.map((c: { appName: string; usernames: string[] }) => [c.appName, c.usernames])).toEqual([[name, ["a", "b", "c"]]]);
  });

  test("When a pool is given a bad appName or heartbeatSeconds, then it is refused at once; without appName it is named from application_name", async () => {
    expect(() => make({ appName: "two\nlines" })).toThrow(/appName must be 1-128 printable characters/);
    expect(() => make({ appName: "x".repeat(129) })).toThrow(/appName/);
    expect(() => make({ heartbeatSeconds: -1 })).toThrow(/heartbeatSeconds must be 0/);
    expect(() => make({ heartbeatSeconds: Number.NaN })).toThrow(/heartbeatSeconds/);
    const pool = make({ pool: { host: db.cluster.host, port: db.cluster.port, database: db.database, application_name: "orders-worker" } });
    const user = (await pool.query<{ u: string }>("SELECT session_user AS u")).rows[0].u;
    await until(() => using([user]), (u) => u.length === 1, 3000, "the pool is named");
    expect((await using([user]))[0].appName).toBe("orders-worker");
    const silent = make({ appName: "quiet-app", heartbeatSeconds: 0 });
    await silent.query("SELECT 1");
    await sleep(300);
    expect((await using([user])).map((u) => u.appName)).toEqual(["orders-worker"]);
  });
});
