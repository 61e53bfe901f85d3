/** `pgrotate setup-sql` and `pgrotate check`: the built CLI against a real runner and real PostgreSQL 15 and 17. */
import { runCli, type CliRun } from "./helpers/cli";
import { cluster, createDatabase, uniqueName, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";

const json = (r: CliRun): any => JSON.parse(r.stdout);

describe("pgrotate setup-sql and check", () => {
  let t: TestRunner;
  let env: Record<string, string>;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    t = await startTestRunner();
    env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, NO_COLOR: "1" };
  });
  afterAll(async () => {
    await t?.stop();
    for (const c of cleanups.reverse()) await c();
  });

  /** A fresh database prepared by `pgrotate setup-sql` (run as the superuser), the connection role given a password. */
  async function prepared(major: 15 | 17) {
    const c = cluster(major);
    const db = await createDatabase(c, `setup${major}`);
    const users: [string, string] = [uniqueName(`app${major}_a`), uniqueName(`app${major}_b`)];
    const [owner, connRole] = [uniqueName(`owner${major}`), uniqueName(`rot${major}`)];
    const password = `pw-${uniqueName("conn")}`;
    cleanups.push(async () => {
      await db.drop();
      await withClient(c.url("postgres"), async (cl) => {
        for (const r of [...users, connRole, owner]) await cl.query(`DROP ROLE IF EXISTS "${r}"`);
      });
    });
    const out = await runCli(["setup-sql", "--database", db.name, "--users", users.join(","), "--owner", owner, "--connection-role", connRole, "--server-version", String(major)]);
    expect([out.code, out.stderr]).toEqual([0, ""]);
    await withClient(c.url(db.name), async (cl) => {
      await cl.query(out.stdout);
      await cl.query(`ALTER ROLE "${connRole}" PASSWORD '${password}'`);
    });
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", {
      name: uniqueName(`setup${major}`).replace(/_/g, "-"), method: "username-and-password",
      credentials: { host: c.host, port: c.port, database: db.name, username: connRole, password, sslEnabled: false },
    });
    expect(conn.status).toBe(200);
    return { c, db, users, owner, connRole, connectionId: conn.body.appConnection.id as string, connectionName: conn.body.appConnection.name as string };
  }

  test("setup-sql prints the SQL offline (no runner, no token), with ADMIN OPTION grants only from PostgreSQL 16 on, and no password", async () => {
    const args = ["setup-sql", "--database", "app", "--users", "app_user_1,app_user_2"];
    const v17 = await runCli(args, { env: { PGROTATE_URL: "http://127.0.0.1:1" } });
    expect([v17.code, v17.stderr]).toEqual([0, ""]);
    expect(v17.stdout).toContain('GRANT "app_user_1" TO "rotation_admin" WITH ADMIN OPTION, INHERIT FALSE, SET FALSE;');
    expect(v17.stdout).toContain(`ALTER ROLE "app_user_2" SET role = 'app_owner';`);
    expect(v17.stdout).not.toMatch(/PASSWORD\s+'/i);
    const v15 = await runCli([...args, "--server-version", "15"]);
    expect(v15.stdout).not.toContain("ADMIN OPTION");
    const asJson = await runCli([...args, "--json"]);
    expect(json(asJson)).toEqual({ sql: v17.stdout.trimEnd() + "\n" });
  });

  test("setup-sql refuses bad options with exit 2 and names them", async () => {
    for (const [args, pattern] of [
      [["--database", "app", "--users", "only_one"], /--users takes two role names/],
      [["--database", "app", "--users", "a,a"], /users\.1: the two users must differ/],
      [["--database", "app", "--users", "a,b", "--server-version", "nine"], /serverVersion/],
      [["--users", "a,b"], /--database/],
    ] as Array<[string[], RegExp]>) {
      const r = await runCli(["setup-sql", ...args]);
      expect([args.join(" "), r.code, r.stdout]).toEqual([args.join(" "), 2, ""]);
      expect(r.stderr).toMatch(pattern);
    }
  });

  test("setup-sql --connection takes the server's major version from the runner (a PostgreSQL 15 target gets no ADMIN OPTION grants)", async () => {
    const p = await prepared(15);
    const r = await runCli(["setup-sql", "--database", "app", "--users", "a_1,a_2", "--connection", p.connectionName], { env });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/PostgreSQL 15\)/);
    expect(r.stdout).not.toContain("ADMIN OPTION");
  });

  test.each([15, 17] as const)("On PostgreSQL %i: a database prepared by setup-sql rotates with no further step, check says interchangeable (exit 0); a grant to one user makes it exit 1 with the SQL that fixes it", async (major) => {
    const p = await prepared(major);
    const created = await t.api("POST", "/api/v2/secret-rotations/postgres-credentials", {
      name: `setup-${major}`, projectId: "setup", connectionId: p.connectionId, rotationInterval: 30,
      parameters: { username1: p.users[0], username2: p.users[1] }, secretsMapping: { username: `U${major}`, password: `P${major}` },
    });
    expect([created.status, created.body.pairCheck?.interchangeable]).toEqual([200, true]);
    const folder = ["--project", "setup"];
    const ok = await runCli(["check", `setup-${major}`, ...folder], { env });
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    expect(ok.stdout).toMatch(/^interchangeable\s+yes$/m);

    // A table only user1 may read: the pair is no longer interchangeable.
    await withClient(p.c.url(p.db.name), async (cl) => {
      await cl.query(`CREATE TABLE orders_${major} (id int)`);
      await cl.query(`ALTER TABLE orders_${major} OWNER TO "${p.owner}"`);
      await cl.query(`GRANT SELECT ON orders_${major} TO "${p.users[0]}"`);
    });
    const bad = await runCli(["check", `setup-${major}`, ...folder], { env });
    expect([bad.code, bad.stderr]).toEqual([1, ""]);
    expect(bad.stdout).toMatch(/^interchangeable\s+no$/m);
    expect(bad.stdout).toMatch(new RegExp(`table-privilege\\s+.*orders_${major}`));
    const report = json(await runCli(["check", `setup-${major}`, ...folder, "--json"], { env }));
    expect(report.interchangeable).toBe(false);
    // The printed SQL, run as the superuser, makes the pair interchangeable again.
    await withClient(p.c.url(p.db.name), async (cl) => {
      for (const d of report.differences as Array<{ sql: string }>) await cl.query(d.sql);
    });
    const adHoc = await runCli(["check", "--connection", p.connectionName, "--users", p.users.join(","), "--owner", p.owner], { env });
    expect([adHoc.code, adHoc.stderr]).toEqual([0, ""]);
    expect((await t.api("DELETE", `/api/v2/secret-rotations/postgres-credentials/${created.body.secretRotation.id}?deleteSecrets=true`)).status).toBe(200);
  });

  test("check without a rotation or --connection with --users is a usage error (exit 2); an unknown rotation is the runner's 404 (exit 1)", async () => {
    const none = await runCli(["check"], { env });
    expect([none.code, none.stdout]).toEqual([2, ""]);
    const both = await runCli(["check", "x", "--connection", "c", "--users", "a,b"], { env });
    expect(both.code).toBe(2);
    const unknown = await runCli(["check", "no-such-rotation"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^pgrotate: No secret rotation named "no-such-rotation"/);
  });
});
