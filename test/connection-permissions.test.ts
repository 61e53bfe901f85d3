/**
 * Using a connection is a permission of its own: a scoped token may create (or change) a rotation only through a
 * connection whose allowedScopes cover the rotation's folder, and sees only the connections granted somewhere in
 * its scope. Unscoped tokens use every connection. On PostgreSQL 17 and 15 (below 16, CREATEROLE alone may change
 * every non-superuser's password, so an ungranted connection is a way into any role of the server).
 */
import { canLogin, testClusters } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

describe.each(testClusters().map((c) => [c.major, c] as const))("Connection grants on PostgreSQL %i", (major, cluster) => {
  let t: TestRunner;
  let teamADb: Target; // the database team A may rotate on, once its connection is granted
  let teamBDb: Target; // another team's database: its connection is never granted to team A
  let weakDb: Target; // a connection role without any right: every precheck on it fails
  const conn = { a: "", b: "", weak: "" };
  const names = { a: `team-a-db-${major}`, b: `team-b-db-${major}`, weak: `weak-db-${major}` };
  /** Bearer secrets and token ids. */
  const tok: Record<"teamA" | "teamARead" | "teamB" | "shop" | "unscoped", { secret: string; id: string }> = {} as never;
  let rotationA = "";

  beforeAll(async () => {
    t = await startTestRunner({ cluster });
    [teamADb, teamBDb, weakDb] = await Promise.all([
      createTarget({ cluster, prefix: `cpa${major}` }),
      createTarget({ cluster, prefix: `cpb${major}` }),
      createTarget({ cluster, prefix: `cpw${major}`, adminRights: "none" }),
    ]);
    for (const [key, target] of [["a", teamADb], ["b", teamBDb], ["weak", weakDb]] as const) {
      const created = await t.api("POST", CONNECTIONS, target.connectionBody(names[key]));
      expect(created.status).toBe(200);
      conn[key] = created.body.appConnection.id;
    }
    const scopes = {
      teamA: { projectId: "shop", secretPath: "/team-a", permission: "manage" },
      teamARead: { projectId: "shop", secretPath: "/team-a", permission: "read" },
      teamB: { projectId: "shop", environment: "dev", secretPath: "/team-b", permission: "manage" },
      shop: { projectId: "shop", permission: "manage" },
      unscoped: { permission: "manage" },
    } as const;
    for (const [key, scope] of Object.entries(scopes)) {
      const res = await t.api("POST", "/api/v1/auth/tokens", { name: `${key.toLowerCase()}-${major}`, ...scope });
      expect(res.status).toBe(200);
      tok[key as keyof typeof tok] = { secret: res.body.secret, id: res.body.token.id };
    }
  });
  afterAll(async () => {
    await t?.stop();
    for (const x of [teamADb, teamBDb, weakDb]) await x?.drop();
  });

  const as = (who: keyof typeof tok) => (method: string, path: string, body?: unknown) => t.api(method, path, body, { token: tok[who].secret });
  /** The stored password verifiers of a target's two users: any ALTER ROLE … PASSWORD changes them. */
  const verifiers = (target: Target) =>
    target.sql<{ rolname: string; rolpassword: string }>("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname", [target.users]);
  const rotationsUsing = async (connectionId: string) =>
    ((await t.api("GET", ROTATIONS)).body.secretRotations as Array<{ id: string; connectionId: string }>).filter((r) => r.connectionId === connectionId);
  const folderBody = (connectionId: string, target: Target, secretPath: string, name: string) =>
    infisicalCreateBody(connectionId, target.users, { projectId: "shop", environment: "dev", secretPath, name, secretsMapping: { username: `${name.toUpperCase().replace(/-/g, "_")}_USER`, password: `${name.toUpperCase().replace(/-/g, "_")}_PASS` } });
  const grant = (connectionId: string, allowedScopes: unknown[]) => t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { allowedScopes });

  test("When a manage token scoped to /team-a creates a rotation with a connection not granted to it, then it gets 403 naming the connection and the folder, nothing is stored, and neither user's password changes", async () => {
    const before = await verifiers(teamBDb);
    const res = await as("teamA")("POST", ROTATIONS, folderBody(conn.b, teamBDb, "/team-a", "take-over"));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("Forbidden");
    expect(res.body.message).toContain(names.b);
    expect(res.body.message).toContain("project shop, environment dev, path /team-a");
    expect(res.body.message).toMatch(/unscoped manage token can grant it/);
    expect(res.body.message).toContain("allowedScopes");
    expect(await rotationsUsing(conn.b)).toEqual([]);
    expect((await t.api("GET", "/api/v3/secrets/raw?workspaceId=shop&environment=dev&secretPath=/team-a")).body.secrets).toEqual([]);
    expect(await canLogin(cluster, teamBDb.database, teamBDb.users[0], teamBDb.initialPasswords[0])).toBe(true);
    expect(await canLogin(cluster, teamBDb.database, teamBDb.users[1], teamBDb.initialPasswords[1])).toBe(true);
    expect(await verifiers(teamBDb)).toEqual(before); // no ALTER ROLE ran
    const audit = (await t.api("GET", "/api/v1/audit-logs?limit=1000&action=rotation.create")).body.auditLogs as Array<Record<string, unknown>>;
    expect(audit).toContainEqual(expect.objectContaining({ actor: `token:${tok.teamA.id}`, status: 403, projectId: "shop", environment: "dev", secretPath: "/team-a" }));
  });

  test("When the connection is not granted, the refusal comes before anything reaches the target: 403, not the 422 its missing rights would give", async () => {
    const refused = await as("teamA")("POST", ROTATIONS, folderBody(conn.weak, weakDb, "/team-a", "weak-try"));
    expect([refused.status, refused.body.error]).toEqual([403, "Forbidden"]);
    // The same request from the admin reaches the target and meets its missing rights.
    const admin = await t.api("POST", ROTATIONS, folderBody(conn.weak, weakDb, "/team-a", "weak-try"));
    expect([admin.status, admin.body.error]).toEqual([422, "PrecheckFailed"]);
    expect(await rotationsUsing(conn.weak)).toEqual([]);
  });

  test("When an unscoped manage token grants the connection to /team-a, then a /team-a token creates its rotation there (a subfolder too) and the new passwords log in; a PATCH without allowedScopes keeps them", async () => {
    const granted = await grant(conn.a, [{ projectId: "shop", secretPath: "/team-a" }]);
    expect(granted.status).toBe(200);
    expect(granted.body.appConnection.allowedScopes).toEqual([{ projectId: "shop", environment: null, secretPath: "/team-a" }]);
    const kept = await t.api("PATCH", `${CONNECTIONS}/${conn.a}`, { description: "team A's database" });
    expect(kept.body.appConnection.allowedScopes).toEqual([{ projectId: "shop", environment: null, secretPath: "/team-a" }]);

    const res = await as("teamA")("POST", ROTATIONS, folderBody(conn.a, teamADb, "/team-a/orders", "orders"));
    expect(res.status).toBe(200);
    rotationA = res.body.secretRotation.id;
    const creds = (await as("teamA")("GET", `${ROTATIONS}/${rotationA}/generated-credentials`)).body.generatedCredentials as Array<{ username: string; password: string }>;
    for (const c of creds) expect(await canLogin(cluster, teamADb.database, c.username, c.password)).toBe(true);
    expect(await canLogin(cluster, teamADb.database, teamADb.users[0], teamADb.initialPasswords[0])).toBe(false);
  });

  test("A grant to /team-a does not cover /team-b: a manage token over /team-b, or over the whole project, gets 403 there, and in /team-ab", async () => {
    const before = await verifiers(teamADb);
    for (const [who, path] of [["teamB", "/team-b"], ["shop", "/team-b"], ["shop", "/team-ab"], ["shop", "/"]] as const) {
      const res = await as(who)("POST", ROTATIONS, folderBody(conn.a, teamADb, path, "elsewhere"));
      expect([who, path, res.status, res.body.error]).toEqual([who, path, 403, "Forbidden"]);
      expect(res.body.message).toContain(`path ${path}`);
    }
    expect((await rotationsUsing(conn.a)).map((r) => r.id)).toEqual([rotationA]);
    expect(await verifiers(teamADb)).toEqual(before);
  });

  test("Pair check and server version answer 404 to a scoped token the connection is not granted to, and work for one it is granted to", async () => {
    const pair = { username1: teamADb.users[0], username2: teamADb.users[1] };
    expect((await as("teamB")("POST", `${CONNECTIONS}/${conn.a}/pair-check`, pair)).status).toBe(404);
    expect((await as("teamB")("GET", `${CONNECTIONS}/${conn.a}/server-version`)).status).toBe(404);
    expect((await as("teamA")("POST", `${CONNECTIONS}/${conn.b}/pair-check`, { username1: teamBDb.users[0], username2: teamBDb.users[1] })).status).toBe(404);
    expect((await as("teamA")("GET", `${CONNECTIONS}/${conn.b}/server-version`)).status).toBe(404);

    const version = await as("teamARead")("GET", `${CONNECTIONS}/${conn.a}/server-version`);
    expect([version.status, version.body.major]).toEqual([200, major]);
    expect((await as("teamARead")("POST", `${CONNECTIONS}/${conn.a}/pair-check`, pair)).status).toBe(403); // read only
    const checked = await as("teamA")("POST", `${CONNECTIONS}/${conn.a}/pair-check`, pair);
    expect(checked.status).toBe(200);
    expect(typeof checked.body.interchangeable).toBe("boolean");
    expect((await as("teamA")("GET", `${ROTATIONS}/${rotationA}/pair-check`)).status).toBe(200);
  });

  test("A scoped token lists and gets only the connections granted in its scope; an unscoped token sees every one", async () => {
    const listed = async (who: keyof typeof tok) => {
      const res = await as(who)("GET", CONNECTIONS);
      expect(res.status).toBe(200);
      return (res.body.appConnections as Array<{ id: string }>).map((c) => c.id).sort();
    };
    expect(await listed("teamA")).toEqual([conn.a]);
    expect(await listed("teamARead")).toEqual([conn.a]);
    expect(await listed("shop")).toEqual([conn.a]); // the project's token overlaps the grant to /team-a
    expect(await listed("teamB")).toEqual([]);
    expect(await listed("unscoped")).toEqual([conn.a, conn.b, conn.weak].sort());

    expect((await as("teamA")("GET", `${CONNECTIONS}/${conn.a}`)).body.appConnection.allowedScopes).toEqual([{ projectId: "shop", environment: null, secretPath: "/team-a" }]);
    expect((await as("teamA")("GET", `${CONNECTIONS}/connection-name/${names.a}`)).status).toBe(200);
    for (const path of [`${CONNECTIONS}/${conn.b}`, `${CONNECTIONS}/connection-name/${names.b}`]) {
      const hidden = await as("teamA")("GET", path);
      expect([path, hidden.status, hidden.body.error]).toEqual([path, 404, "NotFound"]);
      expect(hidden.body.message).not.toContain(teamBDb.database);
    }
    // A grant to another environment of the project does not show the connection to a token of environment dev.
    expect((await grant(conn.b, [{ projectId: "shop", environment: "prod" }])).status).toBe(200);
    expect(await listed("teamB")).toEqual([]);
    expect((await grant(conn.b, [{ projectId: "shop", environment: "dev", secretPath: "/team-b/api" }])).status).toBe(200);
    expect(await listed("teamB")).toEqual([conn.b]); // /team-b and /team-b/api overlap
    expect((await grant(conn.b, [])).status).toBe(200);
  });

  test("When the grant is withdrawn, a scoped token may no longer change its rotation (403) nor pair-check it; the rotation keeps rotating and an unscoped token may still change it", async () => {
    expect((await grant(conn.a, [])).body.appConnection.allowedScopes).toEqual([]);
    const refused = await as("teamA")("PATCH", `${ROTATIONS}/${rotationA}`, { rotationInterval: 7 });
    expect([refused.status, refused.body.error]).toEqual([403, "Forbidden"]);
    expect(refused.body.message).toContain(names.a);
    expect(refused.body.message).toContain("path /team-a/orders");
    expect((await t.api("GET", `${ROTATIONS}/${rotationA}`)).body.secretRotation.rotationInterval).toBe(30);
    expect((await as("teamA")("GET", `${ROTATIONS}/${rotationA}/pair-check`)).status).toBe(403);
    expect((await as("teamA")("GET", CONNECTIONS)).body.appConnections).toEqual([]);

    // What it already rotates stays its own: rotating and reading its credentials go on.
    expect((await as("teamA")("POST", `${ROTATIONS}/${rotationA}/rotate-secrets?force=true`)).status).toBe(200);
    const patched = await as("unscoped")("PATCH", `${ROTATIONS}/${rotationA}`, { rotationInterval: 7 });
    expect([patched.status, patched.body.secretRotation?.rotationInterval]).toEqual([200, 7]);
  });

  test("An unscoped manage token uses any connection; a scoped manage token cannot grant, create, change or delete connections", async () => {
    const created = await as("unscoped")("POST", ROTATIONS, folderBody(conn.b, teamBDb, "/team-b", "by-unscoped"));
    expect(created.status).toBe(200);
    for (const [method, path, body] of [
      ["PATCH", `${CONNECTIONS}/${conn.a}`, { allowedScopes: [{ projectId: "shop", secretPath: "/team-a" }] }],
      ["POST", CONNECTIONS, { ...teamADb.connectionBody(`self-made-${major}`), allowedScopes: [{ projectId: "shop" }] }],
      ["DELETE", `${CONNECTIONS}/${conn.weak}`, undefined],
    ] as const) {
      const res = await as("teamA")(method, path, body);
      expect([method, path, res.status]).toEqual([method, path, 403]);
    }
    expect((await t.api("GET", `${CONNECTIONS}/${conn.a}`)).body.appConnection.allowedScopes).toEqual([]);
    expect((await t.api("DELETE", `${ROTATIONS}/${created.body.secretRotation.id}?deleteSecrets=true`)).status).toBe(200);
    expect((await t.api("DELETE", `${ROTATIONS}/${rotationA}?deleteSecrets=true`)).status).toBe(200);
  });
});
