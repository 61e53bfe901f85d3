/**
 * The consumer pattern of examples/app-consumer against a real runner and PostgreSQL: read the active
 * credentials, keep using them, and re-read only when a login fails.
 */
import { fromRunner } from "../examples/app-consumer/src/credentials";
import { RotatingPool } from "../examples/app-consumer/src/db";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("An app on examples/app-consumer's RotatingPool, reading from the runner with a machine identity", () => {
  let t: TestRunner;
  let target: Target;
  let rotationId: string;
  let db: RotatingPool;
  const refreshedAs: string[] = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "consumer" });
    t = await startTestRunner({ logLevel: "warn" });
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
    expect(conn.status).toBe(200);
    const rot = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users));
    expect(rot.status).toBe(200);
    rotationId = rot.body.secretRotation.id;
    // The app's own machine identity: read-only, scoped to the rotation's folder (Infisical's universal auth).
    const identity = await t.api("POST", "/api/v1/auth/identities", { name: "consumer-app", projectId: "my-project", environment: "dev", secretPath: "/", permission: "read" });
    expect(identity.status).toBe(200);
    db = new RotatingPool({
      // maxUses 1: every query logs in anew, as a pool does over time when connections are recycled.
      pool: { host: target.cluster.host, port: target.cluster.port, database: target.database, ssl: false, max: 1, maxUses: 1 },
      credentials: fromRunner({
        url: t.runner.url,
        clientId: identity.body.clientId,
        clientSecret: identity.body.clientSecret,
        projectId: "my-project",
        environment: "dev",
        usernameKey: "POSTGRES_DB_USERNAME",
        passwordKey: "POSTGRES_DB_PASSWORD",
      }),
      onRefresh: (user) => refreshedAs.push(user),
    });
  });

  afterAll(async () => {
    await db?.end();
    await t?.stop();
    await target?.drop();
  });

  const servedBy = async () => (await db.query<{ user: string }>("SELECT current_user AS user")).rows[0].user;
  const rotate = async (force = false) => {
    const res = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets${force ? "?force=true" : ""}`);
    expect(res.status).toBe(200);
  };

  test("It reads the active credentials once and logs in as username1", async () => {
    expect(await servedBy()).toBe(target.users[0]);
    expect(db.reads).toBe(1);
  });

  test("After one rotation its credentials still work (the user that stopped being active keeps its password): no re-read", async () => {
    await rotate();
    expect(await servedBy()).toBe(target.users[0]);
    expect(db.reads).toBe(1);
  });

  test("When its user's password was rotated away, the login fails once, it re-reads and continues with the new active credentials", async () => {
    await rotate(true); // past the grace guard: username1 gets a new password and is active again
    expect(await servedBy()).toBe(target.users[0]);
    expect(db.reads).toBe(2);
    expect(refreshedAs).toEqual([target.users[0], target.users[0]]);
    expect(await servedBy()).toBe(target.users[0]);
    expect(db.reads).toBe(2);
  });
});
