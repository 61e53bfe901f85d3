/**
 * Encryption key rotation on a real store (issue 22 §3): a keyring B,A seals new values with B; a rekey under a
 * rotation load moves every value to B; A is then removed and everything opens; the start-up check refuses a keyring
 * that lacks a key the store still needs; a rekey stopped midway continues; values of before key ids (v1) are
 * counted and re-sealed; a rotation in flight keeps its lease and commits while the rekey re-seals its intent.
 */
import crypto from "node:crypto";
import { Pool } from "pg";
import { keyIdOf, Sealer } from "../runner/crypto/seal";
import { SimulatedCrash } from "../runner/rotation/faults";
import { resealBatch, SEALED_COLUMNS, valuesNotOn } from "../runner/store/sealed";
import type { ApiKeys } from "../runner/responses";
import { runCli } from "./helpers/cli";
import { canLogin, withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { rewriteStoreAsV1, sealV1 } from "./helpers/sealed-v1";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const KEYS = "/api/v1/admin/keys";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  connectionId: string;
  rotations: string[];
}

describe("Encryption key rotation: keyring, start-up check and rekey", () => {
  let target: Target;
  const runners: TestRunner[] = [];

  beforeAll(async () => {
    target = await createTarget({ prefix: "keyring" });
  });
  afterAll(async () => {
    for (const t of runners) await t.stop();
    await target?.drop();
  });

  /** A runner on a new store with a connection and `n` rotations (each on its own pair of users). */
  async function withRotations(n: number, opts: Parameters<typeof startTestRunner>[0] = {}): Promise<{ t: TestRunner } & Setup> {
    const t = await startTestRunner({ logLevel: "warn", ...opts });
    runners.push(t);
    const conn = await t.api("POST", CONNECTIONS, target.connectionBody());
    expect(conn.status).toBe(200);
    const rotations: string[] = [];
    for (let i = 0; i < n; i++) {
      const users: [string, string] = [await target.addRole(`u${i}a`), await target.addRole(`u${i}b`)];
      const body = infisicalCreateBody(conn.body.appConnection.id, users, { name: `rot-${i}`, projectId: "keys", secretsMapping: { username: `U_${i}`, password: `P_${i}` } });
      const created = await t.api("POST", ROTATIONS, body);
      expect(created.status).toBe(200);
      rotations.push(created.body.secretRotation.id);
    }
    return { t, connectionId: conn.body.appConnection.id, rotations };
  }

  const keys = async (t: TestRunner): Promise<ApiKeys> => {
    const res = await t.api<ApiKeys>("GET", KEYS);
    expect(res.status).toBe(200);
    return res.body;
  };
  const countOf = (k: ApiKeys, keyId: string) => k.keys.find((x) => x.keyId === keyId)?.sealedValues ?? 0;
  const total = (k: ApiKeys) => k.keys.reduce((n, x) => n + x.sealedValues, 0);
  const rotate = (t: TestRunner, id: string) => t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);

  /** Starts a rekey through the API and waits for its end. */
  async function rekeyToEnd(t: TestRunner, batchSize = 500): Promise<ApiKeys> {
    const started = await t.api<ApiKeys>("POST", `${KEYS}/rekey`, { batchSize });
    expect(started.status).toBe(200);
    let k = started.body;
    for (const end = Date.now() + 30_000; k.rekey?.status === "running" && Date.now() < end; await sleep(50)) k = await keys(t);
    return k;
  }

  /** Every stored value opens and works: both users of every rotation log in with their stored passwords, the mapped secrets too. */
  async function everyValueWorks(t: TestRunner, s: Setup): Promise<void> {
    for (const [i, id] of s.rotations.entries()) {
      const creds = await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`);
      expect(creds.status).toBe(200);
      for (const c of creds.body.generatedCredentials as Array<{ username: string; password: string }>) {
        expect([c.username, await canLogin(target.cluster, target.database, c.username, c.password)]).toEqual([c.username, true]);
      }
      const raw = await t.api("GET", `/api/v3/secrets/raw?workspaceId=keys&environment=dev&secretPath=/`);
      const value = (name: string) => (raw.body.secrets as Array<{ secretKey: string; secretValue: string }>).find((x) => x.secretKey === name)!.secretValue;
      expect(await canLogin(target.cluster, target.database, value(`U_${i}`), value(`P_${i}`))).toBe(true);
    }
    // The connection's password opens: a rotation through it works.
    expect((await rotate(t, s.rotations[0])).status).toBe(200);
  }

  /** Restarts with this keyring, expecting a refusal; the message. */
  async function refusedWith(t: TestRunner, keyring: Buffer[]): Promise<string> {
    t.config.encryptionKeys = keyring;
    return t.restart().then(
      () => "started",
      (err: Error) => err.message,
    );
  }

  test("Keyring B,A seals new values with B; a rekey under rotations moves every value to B; then B alone opens everything, and A alone is refused naming B", async () => {
    const s = await withRotations(3);
    const { t } = s;
    const A = t.encryptionKey;
    const B = crypto.randomBytes(32);
    const [idA, idB] = [keyIdOf(A), keyIdOf(B)];
    for (const id of s.rotations) expect((await rotate(t, id)).status).toBe(200);
    const before = await keys(t);
    expect(before).toMatchObject({ newestKeyId: idA, notOnNewest: 0, rekey: null });
    // meta key check, the connection, 2 credentials and 2 secrets per rotation.
    expect(total(before)).toBe(1 + 1 + 3 * 4);
    expect(before.keys).toEqual([{ keyId: idA, status: "newest", sealedValues: 14, byColumn: { "meta.value": 1, "connections.password_sealed": 1, "credentials.password_sealed": 6, "secrets.value_sealed": 6 } }]);

    t.config.encryptionKeys = [B, A];
    await t.restart();
    expect((await rotate(t, s.rotations[0])).status).toBe(200);
    const mixed = await keys(t);
    expect(mixed.newestKeyId).toBe(idB);
    // The rotation wrote one credential and its two secrets with B.
    expect([countOf(mixed, idB), countOf(mixed, idA), mixed.notOnNewest]).toEqual([3, 11, 11]);
    expect(mixed.keys.map((k) => [k.keyId, k.status])).toEqual([[idB, "newest"], [idA, "older"]]);
    const metrics = await (await fetch(`${t.runner.url}/metrics`)).text();
    expect(metrics).toContain(`pgrotate_sealed_values{key_id="${idB}",newest="true"} 3`);
    expect(metrics).toContain(`pgrotate_sealed_values{key_id="${idA}",newest="false"} 11`);

    const env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, NO_COLOR: "1" };
    const status = await runCli(["status"], { env });
    expect([status.code, status.stderr]).toEqual([0, ""]);
    expect(status.stdout).toMatch(new RegExp(`^Encryption keys\\s+${idB} 3 \\(newest\\), ${idA} 11$`, "m"));

    // Each batch of the rekey is stretched so that rotations commit between its batches.
    await t.restart({ afterRekeyBatch: async () => void (await sleep(60)) });
    // The load: forced rotations of the first two rotations in a loop, through the API, for as long as the rekey
    // runs (the third one's values are left for the rekey).
    let loading = true;
    const finishedAt: Array<{ at: number; status: number }> = [];
    const load = Promise.all(
      s.rotations.slice(0, 2).map(async (id) => {
        while (loading) {
          const { status: st } = await rotate(t, id);
          finishedAt.push({ at: Date.now(), status: st });
        }
      }),
    );
    const rekey = await runCli(["rekey", "--batch-size", "1"], { env: { ...env, PGROTATE_URL: t.runner.url }, timeoutMs: 60_000 });
    loading = false;
    await load;
    expect([rekey.code, rekey.stderr]).toEqual([0, expect.stringMatching(/^Re-sealing \d+ values with key /)]);
    expect(rekey.stdout).toMatch(new RegExp(`^Newest key\\s+${idB}\\nSealed values\\s+${idB} \\d+ \\(newest\\), ${idA} 0\\nNot on newest\\s+0\\nRekey\\s+finished\\nRe-sealed\\s+\\d+\\n$`));
    const after = await keys(t);
    expect([after.notOnNewest, countOf(after, idB), countOf(after, idA)]).toEqual([0, 14, 0]);
    expect(after.rekey).toMatchObject({ status: "finished", keyId: idB, remaining: 0, unopenable: 0, message: null });
    expect(after.rekey!.resealed).toBeGreaterThanOrEqual(6); // the key check, the connection and the third rotation's 4 at least
    const [from, to] = [Date.parse(after.rekey!.startedAt), Date.parse(after.rekey!.finishedAt!)];
    expect(finishedAt.filter((r) => r.at > from && r.at < to).length).toBeGreaterThanOrEqual(5);
    expect(finishedAt.every((r) => r.status === 200)).toBe(true);

    // A is removed: the runner starts, every value opens.
    t.config.encryptionKeys = [B];
    await t.restart();
    await everyValueWorks(t, s);
    expect((await keys(t)).keys).toEqual([expect.objectContaining({ keyId: idB, status: "newest", sealedValues: 14 })]);

    // A runner with A alone is refused, naming B and how many values it seals.
    const refused = await refusedWith(t, [A]);
    expect(refused).toBe(
      `PGROTATE_ENCRYPTION_KEYS lacks key ${idB}, which still seals 14 values (meta.value 1, connections.password_sealed 1, credentials.password_sealed 6, secrets.value_sealed 6): ` +
        "put it back (after the newest key), run `pgrotate rekey`, then remove it",
    );
    for (const k of [A, B]) expect(refused).not.toContain(k.toString("base64"));
    t.config.encryptionKeys = [B];
    await t.restart();
  }, 120_000);

  test("A keyring of B alone while values on A remain is refused with A's id and the count; B,A then starts", async () => {
    const s = await withRotations(1);
    const { t } = s;
    const A = t.encryptionKey;
    const B = crypto.randomBytes(32);
    expect(await refusedWith(t, [B])).toMatch(new RegExp(`^PGROTATE_ENCRYPTION_KEYS lacks key ${keyIdOf(A)}, which still seals 6 values \\(`));
    t.config.encryptionKeys = [B, A];
    await t.restart();
    await everyValueWorks(t, s);
  }, 60_000);

  test("A rekey stopped midway (a crash after its third batch) continues when run again and finishes; it tells the change feed nothing", async () => {
    const s = await withRotations(2);
    const { t } = s;
    const A = t.encryptionKey;
    const B = crypto.randomBytes(32);
    t.config.encryptionKeys = [B, A];
    await t.restart({
      afterRekeyBatch: ({ batch }) => {
        if (batch === 3) throw new SimulatedCrash("insideCommit");
      },
    });
    const events = async () => (await withClient(t.storeUrl, (c) => c.query<{ n: number }>("SELECT count(*)::int AS n FROM secret_events"))).rows[0].n;
    const versions = async () => (await withClient(t.storeUrl, (c) => c.query<{ v: number[] }>("SELECT array_agg(version ORDER BY id) AS v FROM secrets"))).rows[0].v;
    const [eventsBefore, versionsBefore] = [await events(), await versions()];

    const crashed = await rekeyToEnd(t, 2);
    // Batches of 2: the key check (1), the connection (1), then 2 credentials: the crash came after these 4.
    expect(crashed.rekey).toMatchObject({ status: "failed", resealed: 4, message: expect.stringMatching(/^The rekey stopped: simulated crash at insideCommit\. Run it again/) });
    expect([crashed.notOnNewest, countOf(crashed, keyIdOf(B))]).toEqual([6, 4]);

    // The crash took the runner down; a new one continues with what is not on B yet.
    await t.restart();
    const done = await rekeyToEnd(t, 2);
    expect(done.rekey).toMatchObject({ status: "finished", resealed: 6, remaining: 0 });
    expect(done.notOnNewest).toBe(0);
    // Run again: nothing to do.
    expect((await rekeyToEnd(t)).rekey).toMatchObject({ status: "finished", resealed: 0 });
    // The values did not change: no change-feed event, no new version.
    expect([await events(), await versions()]).toEqual([eventsBefore, versionsBefore]);
    t.config.encryptionKeys = [B];
    await t.restart();
    await everyValueWorks(t, s);
  }, 60_000);

  test("A runner stopping during a rekey ends it after the batch in flight; the next rekey finishes it", async () => {
    const s = await withRotations(1);
    const { t } = s;
    const B = crypto.randomBytes(32);
    t.config.encryptionKeys = [B, t.encryptionKey];
    let batches = 0;
    await t.restart({ afterRekeyBatch: async () => void (batches++, await sleep(200)) });
    expect((await t.api<ApiKeys>("POST", `${KEYS}/rekey`, { batchSize: 1 })).body.rekey).toMatchObject({ status: "running" });
    for (const end = Date.now() + 5000; batches < 2 && Date.now() < end; ) await sleep(20);
    const stopping = Date.now();
    await t.restart();
    expect(Date.now() - stopping).toBeLessThan(3000); // not the 6 batches × 200 ms the rest would take
    const part = await keys(t);
    expect(part.rekey).toBeNull();
    expect([countOf(part, keyIdOf(B)), part.notOnNewest]).toEqual([batches, 6 - batches]);
    expect((await rekeyToEnd(t)).rekey).toMatchObject({ status: "finished", resealed: 6 - batches });
  }, 60_000);

  test("Values of before key ids (v1) open, are counted as v1 and re-sealed; with their key gone the start is refused", async () => {
    const s = await withRotations(1);
    const { t } = s;
    const A = t.encryptionKey;
    const B = crypto.randomBytes(32);
    await t.runner.stop();
    // The store as the runner wrote it before key ids: every value in format 1, sealed with A.
    const pool = new Pool({ connectionString: t.storeUrl });
    try {
      expect(await rewriteStoreAsV1(pool, new Sealer(A), A)).toBe(6);
      // A wrong key for such a store is refused by the key check, as before keyrings.
      expect(await refusedWith(t, [crypto.randomBytes(32)])).toMatch(/^The encryption key does not match the one this store was written with/);
      // The key check sealed with B, the other values still v1 under A: a keyring without A is refused.
      await pool.query("UPDATE meta SET value = $1 WHERE key = 'key-check'", [new Sealer(B).seal("pgrotate", "meta:key-check")]);
    } finally {
      await pool.end();
    }
    expect(await refusedWith(t, [B])).toMatch(
      /^The store holds 5 values sealed before key ids \(connections\.password_sealed 1, credentials\.password_sealed 2, secrets\.value_sealed 2\) that open with none of the encryption keys: put the key they were sealed with .* back/,
    );

    t.config.encryptionKeys = [A, B];
    await t.restart();
    const v1 = await keys(t);
    expect(v1.keys).toEqual([
      { keyId: keyIdOf(A), status: "newest", sealedValues: 0, byColumn: {} },
      { keyId: keyIdOf(B), status: "older", sealedValues: 1, byColumn: { "meta.value": 1 } },
      { keyId: "v1", status: "v1", sealedValues: 5, byColumn: { "connections.password_sealed": 1, "credentials.password_sealed": 2, "secrets.value_sealed": 2 } },
    ]);
    expect(v1.notOnNewest).toBe(6);
    await everyValueWorks(t, s); // opens v1 values, and its rotation writes 3 values with A

    t.config.encryptionKeys = [B, A];
    await t.restart();
    const done = await rekeyToEnd(t, 2);
    expect(done.rekey).toMatchObject({ status: "finished", remaining: 0 });
    expect(done.keys).toEqual([expect.objectContaining({ keyId: keyIdOf(B), sealedValues: 6 }), expect.objectContaining({ keyId: keyIdOf(A), sealedValues: 0 })]);
    t.config.encryptionKeys = [B];
    await t.restart();
    await everyValueWorks(t, s);
  }, 60_000);

  test("A rekey needs no lease: it re-seals the intent of a rotation in flight, which then commits; a value rewritten after the rekey read it is left as written", async () => {
    let release: () => void = () => undefined;
    let paused = false;
    const gate = new Promise<void>((r) => (release = r));
    const s = await withRotations(2);
    const { t } = s;
    const A = t.encryptionKey;
    const B = crypto.randomBytes(32);
    t.config.encryptionKeys = [A, B]; // B only opens: the intent is written with A
    await t.restart({
      faults: {
        afterAlter: async () => {
          paused = true;
          await gate;
        },
      },
    });
    const inFlight = rotate(t, s.rotations[0]);
    for (const end = Date.now() + 10_000; !paused && Date.now() < end; ) await sleep(20);
    expect(paused).toBe(true);
    const intent = async () =>
      (await withClient(t.storeUrl, (c) => c.query<{ sealed: Buffer }>("SELECT password_sealed AS sealed FROM rotation_intents WHERE rotation_id = $1", [s.rotations[0]]))).rows[0].sealed;
    const lease = async () => (await withClient(t.storeUrl, (c) => c.query("SELECT lease_owner, lease_token FROM rotations WHERE id = $1", [s.rotations[0]]))).rows[0];
    const [intentBefore, leaseBefore] = [await intent(), await lease()];
    expect(intentBefore.subarray(1, 5).toString("hex")).toBe(keyIdOf(A));

    // Another runner on the same store, with B first, rekeys while the rotation holds its lease.
    const other = await startTestRunner({ storeOf: t, logLevel: "warn" });
    runners.push(other);
    other.config.encryptionKeys = [B, A];
    await other.restart();
    const done = await rekeyToEnd(other, 3);
    expect(done.rekey).toMatchObject({ status: "finished", remaining: 0 });
    const intentAfter = await intent();
    expect(intentAfter.subarray(1, 5).toString("hex")).toBe(keyIdOf(B));
    expect(await lease()).toEqual(leaseBefore); // the rekey took nothing of the lease

    release();
    const finished = await inFlight;
    expect(finished.status).toBe(200);
    await everyValueWorks(other, s);

    // The conditional write: a batch read without the lock, the value rewritten meanwhile (a rotation), then written.
    const pool = new Pool({ connectionString: t.storeUrl });
    try {
      const credentials = SEALED_COLUMNS.find((c) => c.name === "credentials.password_sealed")!;
      const C = crypto.randomBytes(32);
      const ring = new Sealer([C, B, A]);
      const batch = await valuesNotOn(pool, credentials, keyIdOf(C), undefined, 100);
      expect(batch).toHaveLength(4);
      const [rotationId, idx] = batch[0].key as [string, number];
      const rotatedMeanwhile = sealV1(A, "not-the-stored-password", `credential:${rotationId}:${idx}`);
      await pool.query("UPDATE credentials SET password_sealed = $3 WHERE rotation_id = $1 AND idx = $2", [rotationId, idx, rotatedMeanwhile]);
      const written = await resealBatch(pool, credentials, batch.map((v) => ({ ...v, resealed: ring.seal(ring.open(v.sealed, credentials.aad(v.key)), credentials.aad(v.key)) })));
      expect(written).toBe(3);
      const kept = await pool.query<{ s: Buffer }>("SELECT password_sealed AS s FROM credentials WHERE rotation_id = $1 AND idx = $2", [rotationId, idx]);
      expect(kept.rows[0].s.equals(rotatedMeanwhile)).toBe(true);
    } finally {
      await pool.end();
    }
  }, 90_000);
});
