/**
 * Setup SQL and the pair check on real PostgreSQL 17 and 15: a database prepared by setupSql() passes the
 * check and takes a rotation with no further step; then, one case per kind of difference, the check finds
 * exactly that difference and its `sql` makes the pair interchangeable again.
 */
import { Client } from "pg";
import { testClusters, uniqueName, withClient } from "./helpers/pg";
import { setupSql } from "../runner/postgres/setup-sql";
import { preparedDatabase, type PreparedDatabase } from "./helpers/prepared-db";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

interface Case {
  name: string;
  /** Introduces the difference (as the superuser); names: g = group, u1, u2, db, x = a fresh extra role. */
  introduce: string;
  kind: string;
  /** How many differences of that kind (default 1). */
  count?: number;
  object: RegExp;
  only?: (major: number) => boolean;
  /** Run after the fix (e.g. drop the extra role). */
  cleanup?: string;
}

const CASES: Case[] = [
  { name: "a role attribute (CREATEDB on one user)", introduce: "ALTER ROLE {u1} CREATEDB", kind: "attribute", object: /CREATEDB/ },
  { name: "NOINHERIT on one user (below 16 it decides whether memberships inherit)", introduce: "ALTER ROLE {u1} NOINHERIT", kind: "attribute", object: /INHERIT/ },
  { name: "a connection limit on one user", introduce: "ALTER ROLE {u2} CONNECTION LIMIT 5", kind: "attribute", object: /CONNECTION LIMIT/ },
  { name: "a VALID UNTIL on one user", introduce: "ALTER ROLE {u1} VALID UNTIL '2099-01-01 00:00:00+00'", kind: "attribute", object: /VALID UNTIL/ },
  { name: "a membership of one user in another role", introduce: "CREATE ROLE {x} NOLOGIN; GRANT {x} TO {u1}", kind: "membership", object: /membership in/, cleanup: "DROP ROLE {x}" },
  { name: "ADMIN OPTION on one user's membership in the group", introduce: "GRANT {g} TO {u2} WITH ADMIN OPTION", kind: "membership", object: /membership in/ },
  { name: "INHERIT FALSE on one user's membership in the group (16+)", introduce: "GRANT {g} TO {u1} WITH INHERIT FALSE", kind: "membership", object: /membership in/, only: (m) => m >= 16 },
  { name: "one user being a member of the other", introduce: "GRANT {u2} TO {u1}", kind: "membership", object: /membership of/ },
  { name: "a per-role setting", introduce: "ALTER ROLE {u1} SET statement_timeout = '5s'", kind: "setting", object: /statement_timeout/ },
  { name: "a per-database list setting (search_path with a quoted schema)", introduce: `ALTER ROLE {u2} IN DATABASE {db} SET search_path = "$user", public, "Odd ""Schema"""`, kind: "setting", object: /search_path in database/ },
  { name: "a database privilege", introduce: "GRANT CREATE ON DATABASE {db} TO {u1}", kind: "database-privilege", object: /^database / },
  { name: "a schema privilege", introduce: "CREATE SCHEMA s2 AUTHORIZATION {g}; GRANT USAGE ON SCHEMA s2 TO {u2}", kind: "schema-privilege", object: /^schema s2$/ },
  { name: "a table privilege with grant option", introduce: "CREATE TABLE items (id int, name text); ALTER TABLE items OWNER TO {g}; GRANT SELECT ON items TO {u1} WITH GRANT OPTION", kind: "table-privilege", object: /^table public\.items$/ },
  { name: "a column privilege", introduce: "GRANT UPDATE (name) ON items TO {u2}", kind: "column-privilege", object: /column name of table public\.items/ },
  { name: "a sequence privilege", introduce: "CREATE SEQUENCE seq1; ALTER SEQUENCE seq1 OWNER TO {g}; GRANT USAGE ON SEQUENCE seq1 TO {u1}", kind: "sequence-privilege", object: /^sequence public\.seq1$/ },
  {
    name: "a function privilege",
    introduce: "CREATE FUNCTION add1(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1'; ALTER FUNCTION add1(int) OWNER TO {g}; REVOKE EXECUTE ON FUNCTION add1(int) FROM PUBLIC; GRANT EXECUTE ON FUNCTION add1(int) TO {u1}",
    kind: "function-privilege",
    object: /^function public\.add1\(integer\)$/,
  },
  { name: "a default privilege one user receives", introduce: "ALTER DEFAULT PRIVILEGES FOR ROLE {g} IN SCHEMA public GRANT SELECT ON TABLES TO {u1}", kind: "default-privilege", object: /default privileges on tables created by/ },
  { name: "a default privilege on what one user creates", introduce: "ALTER DEFAULT PRIVILEGES FOR ROLE {u2} GRANT USAGE ON SEQUENCES TO {g}", kind: "default-privilege", object: /on sequences created by/ },
  { name: "a row-level-security policy naming one user", introduce: "ALTER TABLE items ENABLE ROW LEVEL SECURITY; CREATE POLICY items_mine ON items TO {u1} USING (true)", kind: "policy", object: /policy items_mine on table public\.items/ },
  { name: "a table (with a serial column) owned by one user", introduce: "CREATE TABLE owned_t (id serial, v int); ALTER TABLE owned_t OWNER TO {u1}", kind: "owned-object", object: /^table public\.owned_t$/ },
  {
    name: "a schema and a function owned by one user",
    introduce: "CREATE SCHEMA s3; CREATE FUNCTION s3.f() RETURNS int LANGUAGE sql AS 'SELECT 1'; ALTER FUNCTION s3.f() OWNER TO {u2}; ALTER SCHEMA s3 OWNER TO {u2}",
    kind: "owned-object",
    count: 2,
    object: /^(schema s3|function s3\.f\(\))$/,
  },
];

describe.each(testClusters().map((c) => [c.major, c] as const))("Setup SQL and the pair check on PostgreSQL %i", (major, cluster) => {
  let t: TestRunner;
  let db: PreparedDatabase;
  let connectionId: string;
  let rotationId: string;
  const names = () => ({ g: db.owner, u1: db.users[0], u2: db.users[1], db: db.database });
  const fill = (sql: string, x: string) =>
    sql.replace(/\{(g|u1|u2|db|x)\}/g, (_, k: string) => q(k === "x" ? x : names()[k as "g" | "u1" | "u2" | "db"]));
  const check = async () => {
    const res = await t.api("POST", `${CONNECTIONS}/${connectionId}/pair-check`, { username1: db.users[0], username2: db.users[1] });
    expect(res.status).toBe(200);
    return res.body;
  };
  const activeLogin = async () => {
    const c = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    return c.generatedCredentials[c.activeIndex] as { username: string; password: string };
  };
  const asUser = async <T,>(user: { username: string; password: string }, fn: (c: Client) => Promise<T>) => {
    const c = new Client({ host: cluster.host, port: cluster.port, database: db.database, user: user.username, password: user.password });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    db = await preparedDatabase(cluster, `pc${major}`);
    t = await startTestRunner({ logLevel: "warn" });
    const conn = await t.api("POST", CONNECTIONS, db.connectionBody());
    expect(conn.status).toBe(200);
    connectionId = conn.body.appConnection.id;
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  test("The setup SQL quotes every name, creates no password, and on this version grants ADMIN OPTION only from 16", () => {
    expect(db.script).toContain(`CREATE ROLE ${q(db.owner)} NOLOGIN;`);
    expect(db.script).toContain(`ALTER ROLE ${q(db.users[0])} SET role = '${db.owner}';`);
    expect(db.script).not.toMatch(/PASSWORD\s+'/i);
    expect(db.script.includes("WITH ADMIN OPTION, INHERIT FALSE, SET FALSE")).toBe(major >= 16);
  });

  test("A database prepared by the setup SQL passes the pair check", async () => {
    const report = await check();
    expect(report).toMatchObject({ interchangeable: true, differences: [], database: db.database, groupRole: db.owner });
    expect(Math.floor(report.serverVersionNum / 10000)).toBe(major);
  });

  test("A rotation can be created on it with no further step: the answer carries the pair check, and GET …/pair-check shows it", async () => {
    const res = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, db.users, { name: `setup-${major}` }));
    expect(res.status).toBe(200);
    rotationId = res.body.secretRotation.id;
    expect(res.body.pairCheck).toMatchObject({ interchangeable: true, differences: [] });
    const get = await t.api("GET", `${ROTATIONS}/${rotationId}/pair-check`);
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ interchangeable: true, differences: [] });
  });

  test("What a migration creates as one user is owned by the group, so after a rotation the other user can alter it", async () => {
    const first = await activeLogin();
    const owner = await asUser(first, async (c) => {
      await c.query("CREATE TABLE migrated (id int)");
      return (await c.query<{ o: string }>("SELECT tableowner AS o FROM pg_tables WHERE tablename = 'migrated'")).rows[0].o;
    });
    expect(owner).toBe(db.owner);
    expect((await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`)).status).toBe(200);
    const second = await activeLogin();
    expect(second.username).not.toBe(first.username);
    await asUser(second, (c) => c.query("ALTER TABLE migrated ADD COLUMN note text"));
    expect((await check()).interchangeable).toBe(true);
    await db.sql("DROP TABLE migrated");
  });

  for (const c of CASES) {
    const run = !c.only || c.only(major);
    (run ? test : test.skip)(`When the pair differs by ${c.name}, then the check names exactly that (${c.kind}) and its sql makes the pair interchangeable`, async () => {
      const extra = uniqueName("pc_extra");
      if (c.introduce.includes("{x}")) db.extraRoles.push(extra);
      await db.sql(fill(c.introduce, extra));
      const report = await check();
      expect(report.interchangeable).toBe(false);
      expect(report.differences.map((d: { kind: string }) => d.kind)).toEqual(Array(c.count ?? 1).fill(c.kind));
      for (const d of report.differences) {
        expect(d.object).toMatch(c.object);
        expect(d.detail.length).toBeGreaterThan(10);
        await db.sql(d.sql);
      }
      const after = await check();
      expect(after).toMatchObject({ interchangeable: true, differences: [] });
      if (c.cleanup) await db.sql(fill(c.cleanup, extra));
    });
  }

  test("After the owned-object fixes the other user can alter what one user had owned", async () => {
    await asUser(await activeLogin(), (c) => c.query("ALTER TABLE owned_t ADD COLUMN w int"));
  });

  test("Users with no group role that own objects: the check proposes the group role first, and running every sql in order makes them interchangeable", async () => {
    const target = await createTarget({ cluster, prefix: `pcnogroup${major}` });
    try {
      await target.sql(`CREATE TABLE lonely (id int); ALTER TABLE lonely OWNER TO ${q(target.users[1])}`);
      const conn = await t.api("POST", CONNECTIONS, target.connectionBody());
      // Creating a rotation on such a pair works: the difference is a warning in the answer, not a refusal.
      const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users, { name: `nogroup-${major}`, projectId: "nogroup" }));
      expect(created.status).toBe(200);
      const report = created.body.pairCheck;
      expect(report.interchangeable).toBe(false);
      expect(report.differences.map((d: { kind: string }) => d.kind)).toEqual(["group-role", "owned-object"]);
      expect(report.differences[1].sql).toBe(`ALTER TABLE public.lonely OWNER TO ${q(report.groupRole)};`);
      await withClient(cluster.url(target.database), async (c) => {
        for (const d of report.differences) await c.query(d.sql);
      });
      const again = await t.api("GET", `${ROTATIONS}/${created.body.secretRotation.id}/pair-check`);
      expect(again.body).toMatchObject({ interchangeable: true, differences: [], groupRole: report.groupRole });
      await t.api("DELETE", `${ROTATIONS}/${created.body.secretRotation.id}?deleteSecrets=true`);
      await withClient(cluster.url(target.database), (c) => c.query("DROP TABLE lonely"));
      await withClient(cluster.url("postgres"), (c) => c.query(`DROP ROLE ${q(report.groupRole)}`));
    } finally {
      await target.drop();
    }
  });

  test("Setup SQL for names with quotes, semicolons and line breaks creates exactly those roles, and the pair passes the check", async () => {
    const suffix = uniqueName("h").slice(-10);
    const hostileDb = `odd db "${suffix}"; DROP DATABASE postgres; --\nx`;
    const users: [string, string] = [`o'brien "${suffix}"`, `a;b\n${suffix}`];
    const owner = `grp ${suffix}'"`;
    const connRole = `rot ${suffix}`;
    await withClient(cluster.url("postgres"), (c) => c.query(`CREATE DATABASE ${q(hostileDb)}`));
    try {
      const inHostileDb = async (sql: string) => {
        const c = new Client({ host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, database: hostileDb });
        await c.connect();
        try {
          await c.query(sql);
        } finally {
          await c.end();
        }
      };
      await inHostileDb(setupSql({ database: hostileDb, users, owner, connectionRole: connRole, serverVersion: major }));
      const roles = await withClient(cluster.url("postgres"), async (c) =>
        (await c.query<{ rolname: string; rolcanlogin: boolean }>("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname", [[...users, owner, connRole]])).rows);
      expect(roles.map((r) => r.rolname).sort()).toEqual([...users, owner, connRole].sort());
      expect(roles.find((r) => r.rolname === owner)!.rolcanlogin).toBe(false);
      const dbs = await withClient(cluster.url("postgres"), async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = 'postgres'")).rowCount);
      expect(dbs).toBe(1);
      await inHostileDb(`ALTER ROLE ${q(connRole)} PASSWORD 'hostile-conn-pw'`);
      const conn = await t.api("POST", CONNECTIONS, {
        name: `hostile-${major}`, method: "username-and-password",
        credentials: { host: cluster.host, port: cluster.port, database: hostileDb, username: connRole, password: "hostile-conn-pw", sslEnabled: false },
      });
      expect(conn.status).toBe(200);
      const res = await t.api("POST", `${CONNECTIONS}/${conn.body.appConnection.id}/pair-check`, { username1: users[0], username2: users[1] });
      expect(res.body).toMatchObject({ interchangeable: true, groupRole: owner, database: hostileDb });
      await t.api("DELETE", `${CONNECTIONS}/${conn.body.appConnection.id}`);
    } finally {
      await withClient(cluster.url("postgres"), async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${q(hostileDb)} WITH (FORCE)`);
        for (const r of [...users, connRole, owner]) await c.query(`DROP ROLE IF EXISTS ${q(r)}`);
      });
    }
  });

  test("Bad requests are clear 4xx: a missing role is 422 naming it, a bad body 422, an unknown connection 404, a scoped token 404 until the connection is granted to it; a rotation's check needs manage on its folder and the grant", async () => {
    const missing = await t.api("POST", `${CONNECTIONS}/${connectionId}/pair-check`, { username1: db.users[0], username2: "no_such_role_xyz" });
    expect(missing.status).toBe(422);
    expect(missing.body.error).toBe("PrecheckFailed");
    expect(missing.body.message).toContain('"no_such_role_xyz"');
    const same = await t.api("POST", `${CONNECTIONS}/${connectionId}/pair-check`, { username1: "a", username2: "a" });
    expect(same.status).toBe(422);
    expect(same.body.error).toBe("ValidationError");
    const extra = await t.api("POST", `${CONNECTIONS}/${connectionId}/pair-check`, { username1: "a", username2: "b", typo: 1 });
    expect(extra.status).toBe(422);
    const unknown = await t.api("POST", `${CONNECTIONS}/00000000-0000-4000-8000-000000000000/pair-check`, { username1: "a", username2: "b" });
    expect(unknown.status).toBe(404);
    const scoped = (await t.api("POST", "/api/v1/auth/tokens", { name: "pc-scoped", projectId: "my-project", permission: "manage" })).body.secret;
    const pair = { username1: db.users[0], username2: db.users[1] };
    // Not granted to the token's scope: the connection does not exist for it, and its rotation's check is refused.
    expect((await t.api("POST", `${CONNECTIONS}/${connectionId}/pair-check`, pair, { token: scoped })).status).toBe(404);
    expect((await t.api("GET", `${ROTATIONS}/${rotationId}/pair-check`, undefined, { token: scoped })).status).toBe(403);
    expect((await t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes: [{ projectId: "my-project" }] })).status).toBe(200);
    expect((await t.api("POST", `${CONNECTIONS}/${connectionId}/pair-check`, pair, { token: scoped })).status).toBe(200);
    const other = (await t.api("POST", "/api/v1/auth/tokens", { name: "pc-other", projectId: "elsewhere", permission: "read" })).body.secret;
    expect((await t.api("GET", `${ROTATIONS}/${rotationId}/pair-check`, undefined, { token: other })).status).toBe(403);
    expect((await t.api("GET", `${ROTATIONS}/${rotationId}/pair-check`, undefined, { token: scoped })).status).toBe(200);
    const reader = (await t.api("POST", "/api/v1/auth/tokens", { name: "pc-reader", projectId: "my-project", permission: "read" })).body.secret;
    expect((await t.api("GET", `${ROTATIONS}/${rotationId}/pair-check`, undefined, { token: reader })).status).toBe(403);
    const version = await t.api("GET", `${CONNECTIONS}/${connectionId}/server-version`);
    expect(version.body.major).toBe(major);
  });
});
