/**
 * examples/app-consumer against a real runner and PostgreSQL: its HTTP service on a pgrotate/pg pool that reads
 * with a scoped machine identity, serving through rotations without a failed request.
 */
import type { AddressInfo } from "node:net";
import type http from "node:http";
import { createServer } from "../examples/app-consumer/src/app";
import { createRotatingPool, type RotatingPool, type RotatingPoolEvent } from "../pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("The app-consumer example on pgrotate/pg, reading from the runner with a machine identity", () => {
  let t: TestRunner;
  let target: Target;
  let rotationId: string;
  let pool: RotatingPool;
  let server: http.Server;
  let url: string;
  const events: RotatingPoolEvent[] = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "consumer" });
    t = await startTestRunner({ logLevel: "warn", feed: { heartbeatMs: 500 } });
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
    expect(conn.status).toBe(200);
    const rot = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users));
    expect(rot.status).toBe(200);
    rotationId = rot.body.secretRotation.id;
    // The app's own machine identity: read-only, scoped to the rotation's folder (Infisical's universal auth).
    const identity = await t.api("POST", "/api/v1/auth/identities", { name: "consumer-app", projectId: "my-project", environment: "dev", secretPath: "/", permission: "read" });
    expect(identity.status).toBe(200);
    // What examples/app-consumer/src/index.ts builds from its environment.
    pool = createRotatingPool({
      runnerUrl: t.runner.url,
      identity: { clientId: identity.body.clientId, clientSecret: identity.body.clientSecret },
      projectId: "my-project",
      environment: "dev",
      secretPath: "/",
      usernameKey: "POSTGRES_DB_USERNAME",
      passwordKey: "POSTGRES_DB_PASSWORD",
      // maxUses 1: every query logs in anew, as a pool does over time when connections are recycled.
      pool: { host: target.cluster.host, port: target.cluster.port, database: target.database, ssl: false, max: 2, maxUses: 1 },
      onEvent: (e) => events.push(e),
    });
    server = createServer(pool);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await pool?.end();
    await t?.stop();
    await target?.drop();
  });

  const servedBy = async () => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return ((await res.json()) as { servedBy: string }).servedBy;
  };
  const rotate = async (force = false) => {
    const res = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets${force ? "?force=true" : ""}`);
    expect(res.status).toBe(200);
  };
  const switched = async (n: number) => {
    const end = Date.now() + 5000;
    while (events.filter((e) => e.type === "switched").length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return events.filter((e) => e.type === "switched").length;
  };

  test("It serves as username1 first", async () => {
    expect(await servedBy()).toBe(target.users[0]);
  });

  test("After a rotation it serves as username2, learnt from the change feed without a refused login", async () => {
    await rotate();
    expect(await switched(1)).toBe(1);
    expect(await servedBy()).toBe(target.users[1]);
    expect(events.some((e) => e.type === "login-refused")).toBe(false);
  });

  test("Through back-to-back forced rotations every request is served, and it ends on the active user", async () => {
    const served: Array<Promise<string>> = [];
    for (let i = 0; i < 6; i++) {
      await rotate(true);
      served.push(servedBy(), servedBy());
    }
    await Promise.all(served);
    const c = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    const end = Date.now() + 5000;
    while (pool.username !== c.generatedCredentials[c.activeIndex].username && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(await servedBy()).toBe(c.generatedCredentials[c.activeIndex].username);
  });
});
