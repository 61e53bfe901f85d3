import { Client } from "pg";
import * as rotations from "../runner/store/rotations";
import { withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("The one-statement lease of a rotation this runner already knows", () => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  /** The rotation's store statements (lease, intents) sent through the runner's pool from the request until the intent is stored. */
  let counting = false;
  let statements = 0;
  const faults = { afterIntent: () => void (counting = false) };
  /** Counts the rotation's statements on the runner's (current) store pool. */
  const instrument = () => {
    const query = t.runner.pool.query.bind(t.runner.pool) as (...a: unknown[]) => unknown;
    (t.runner.pool as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
      const text = typeof a[0] === "string" ? a[0] : ((a[0] as { text?: string } | undefined)?.text ?? "");
      if (counting && /SET lease_owner|rotation_intents/.test(text)) statements++;
      return query(...a);
    };
  };

  beforeAll(async () => {
    target = await createTarget({ prefix: "ahead" });
    t = await startTestRunner({ faults, startScheduler: false }); // no pass of its own among the counted statements
    connectionId = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    instrument();
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  const create = async (name: string) =>
    (await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users, { name, secretPath: `/${name}`, secretsMapping: { username: `${name}_U`, password: `${name}_P` } }))).body.secretRotation.id as string;
  const remove = async (id: string) => expect((await t.api("DELETE", `${ROTATIONS}/${id}?deleteSecrets=true`)).status).toBe(200);
  const intents = (id: string) => withClient(t.storeUrl, async (c) => (await c.query("SELECT target_index FROM rotation_intents WHERE rotation_id = $1", [id])).rows);
  const storeStatementsBeforeIntent = async (id: string) => {
    statements = 0;
    counting = true;
    const res = await t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect(res.status).toBe(200);
    return statements;
  };

  test("When a rotation this runner rotated before is rotated again, then its lease and intent are one store statement, and the rotation is right", async () => {
    const id = await create("again");
    expect(await storeStatementsBeforeIntent(id)).toBe(1); // the create left its row known
    expect(await storeStatementsBeforeIntent(id)).toBe(1);
    const creds = (await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body;
    expect(creds.activeIndex).toBe(0); // two rotations after the create: back on user 1
    // A change of the row in between (a PATCH) makes the known row stale: two statements again, and still right.
    expect((await t.api("PATCH", `${ROTATIONS}/${id}`, { description: "changed" })).status).toBe(200);
    expect(await storeStatementsBeforeIntent(id)).toBe(2); // the lease came back with a newer row: decided again, intent on its own
    // A runner that never saw the row (another runner's create, or after a restart) takes the lease on its own first.
    await t.restart({ faults, startScheduler: false });
    instrument();
    expect(await storeStatementsBeforeIntent(id)).toBe(2);
    expect(await storeStatementsBeforeIntent(id)).toBe(1);
    expect((await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`)).body.activeIndex).toBe(1);
    expect(await intents(id)).toEqual([]);
    await remove(id);
  });

  test("When the known row is stale, the lease is taken but no intent is stored; when another runner holds it, nothing is taken", async () => {
    const id = await create("stale");
    const row = (await rotations.findRotation(t.runner.pool, id))!;
    const now = new Date();
    const until = new Date(now.getTime() + 60_000);
    const intent = { rotationId: id, targetIndex: 1 as const, kind: "rotate" as const, passwordSealed: Buffer.from("x"), jobId: "00000000-0000-4000-8000-000000000001", trigger: "manual" };
    await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET lease_owner = 'other-runner', lease_until = now() + interval '1 minute' WHERE id = $1", [id]));
    expect(await rotations.leaseWithWork(t.runner.pool, { id, owner: "me", now, until, reclaimOwn: false, expect: row.updatedAt, insert: intent })).toBeUndefined();
    expect(await intents(id)).toEqual([]);
    await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET lease_owner = NULL, lease_until = NULL, updated_at = now() + interval '1 second' WHERE id = $1", [id]));
    const out = await rotations.leaseWithWork(t.runner.pool, { id, owner: "me", now, until, reclaimOwn: false, expect: row.updatedAt, insert: intent });
    expect(out?.rotation.leaseOwner).toBe("me");
    expect(out?.rotation.updatedAt.getTime()).not.toBe(row.updatedAt.getTime());
    expect(out?.work.inserted).toBe(false);
    expect(out?.work.connection?.id).toBe(connectionId);
    expect(await intents(id)).toEqual([]);
    await rotations.releaseLease(t.runner.pool, id, "me");
    await remove(id);
  });

  test("When another transaction commits a change of the row while the statement waits for it, then no lease is taken on what the statement did not see", async () => {
    const id = await create("raced");
    const row = (await rotations.findRotation(t.runner.pool, id))!;
    const other = new Client({ connectionString: t.storeUrl });
    await other.connect();
    try {
      // Another runner's final commit in flight: it holds the row, removes the intent it worked on, frees the lease.
      await other.query("BEGIN");
      await other.query("UPDATE rotations SET lease_owner = NULL, lease_until = NULL WHERE id = $1", [id]);
      const now = new Date();
      const pending = rotations.leaseWithWork(t.runner.pool, {
        id, owner: "me", now, until: new Date(now.getTime() + 60_000), reclaimOwn: false, expect: row.updatedAt,
      });
      await new Promise((res) => setTimeout(res, 200)); // the statement has its snapshot and waits for the row
      await other.query("COMMIT");
      // Without the ctid condition PostgreSQL would re-check the lease on the new row version and take it,
      // beside intents read before that commit.
      expect(await pending).toBeUndefined();
    } finally {
      await other.end();
    }
    await remove(id);
  });
});
