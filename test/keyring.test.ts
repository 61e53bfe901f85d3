/**
 * The start-up check of the keyring against a real store (issue 22 §3): a keyring that lacks a key the store still
 * needs is refused with the key id and the count; values of before key ids (v1) open with their key, and without it
 * the start is refused.
 */
import crypto from "node:crypto";
import { Pool } from "pg";
import { keyIdOf, Sealer } from "../runner/crypto/seal";
import { canLogin } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { rewriteStoreAsV1 } from "./helpers/sealed-v1";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

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

  const rotate = (t: TestRunner, id: string) => t.api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);

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

  test("Values of before key ids (v1) open with their key; with a wrong key, or with their key gone, the start is refused", async () => {
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

    // With A back (after B, which seals the key check), the values of before key ids open.
    t.config.encryptionKeys = [B, A];
    await t.restart();
    await everyValueWorks(t, s);
  }, 60_000);
});
