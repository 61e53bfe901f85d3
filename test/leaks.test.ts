/**
 * No leaks (issue 7, item 5): a full lifecycle (create, rotations, a failure, delete with revoke) against a
 * target that logs every statement and connection, the runner at debug level and a webhook receiver. Every
 * generated password, the connection password, the admin token and the encryption keys (the store's key is rotated
 * and re-sealed with a rekey midway) are then searched for everywhere they could have escaped to: 0 hits.
 */
import fs from "node:fs";
import crypto from "node:crypto";
import { aad, Sealer } from "../runner/crypto/seal";
import { startDedicatedCluster, type DedicatedCluster } from "./helpers/dedicated-cluster";
import { canLogin, withClient } from "./helpers/pg";
import { recordFigure } from "./helpers/profile";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { dumpStore } from "./helpers/store-state";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";
import { startWebhookReceiver, type WebhookReceiver } from "./helpers/webhook-receiver";

const SUITE = "leaks";
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("No secret leaks through logs, webhooks, metrics, history, audit rows or the store", () => {
  let pg: DedicatedCluster;
  let target: Target;
  let hook: WebhookReceiver;
  let t: TestRunner;
  let logOffset = 0;
  const webhookSecret = "whsec-" + crypto.randomBytes(16).toString("hex");
  /** The key the store is rotated to in the middle of the lifecycle (keyring new, old; a rekey). */
  const newKey = crypto.randomBytes(32);
  /** Every secret of the lifecycle, by kind (the kind is what a failure names; values are never printed). */
  const secrets = new Map<string, string>();
  /** Texts to search, by place. */
  const places = new Map<string, string>();
  const addPlace = (name: string, text: string) => places.set(name, (places.get(name) ?? "") + "\n" + text);
  let passwordCount = 0;
  const remember = (kind: string, value: string) => {
    if (![...secrets.values()].includes(value)) secrets.set(`${kind} #${secrets.size + 1}`, value);
  };

  /** Waits until a marker statement shows in the server log: everything before it has been written. */
  const logMark = async (): Promise<number> => {
    const marker = `leaks-marker-${crypto.randomBytes(6).toString("hex")}`;
    await withClient(pg.url("postgres"), (c) => c.query(`SELECT '${marker}'`));
    for (const end = Date.now() + 10_000; Date.now() < end; await sleep(20)) {
      const log = fs.readFileSync(pg.logFile, "utf8");
      const at = log.indexOf(marker);
      if (at >= 0) return Buffer.byteLength(log.slice(0, log.indexOf("\n", at) + 1), "utf8");
    }
    throw new Error("the marker never reached the server log");
  };

  beforeAll(async () => {
    pg = await startDedicatedCluster({
      prefix: "leaks",
      settings: { log_statement: "all", log_min_error_statement: "error", log_connections: "on", log_disconnections: "on" },
    });
    target = await createTarget({ cluster: pg, prefix: "leak" });
    hook = await startWebhookReceiver();
    t = await startTestRunner({ logLevel: "debug", webhook: { url: hook.url, secret: webhookSecret } });
    // The test's own setup (CREATE ROLE ... PASSWORD) is before this point; the runner's work is after it.
    logOffset = await logMark();
    remember("connection password", target.admin.password);
    remember("admin token", t.runner.adminToken);
    remember("webhook secret", webhookSecret);
    remember("encryption key (base64)", t.encryptionKey.toString("base64"));
    remember("encryption key (hex)", t.encryptionKey.toString("hex"));
    remember("new encryption key (base64)", newKey.toString("base64"));
    remember("new encryption key (hex)", newKey.toString("hex"));
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await hook?.close();
    await target?.drop().catch(() => undefined);
    await pg?.dispose();
  });

  test("A full lifecycle (create, rotations, a failure, delete with revoke) leaves no password, connection password or token anywhere", async () => {
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await t.api(method, path, body);
      addPlace("API answers (other than credential reads)", res.text);
      return res;
    };
    const readCredentials = async (id: string) => {
      const res = await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`); // holds the passwords by design: not searched
      expect(res.status).toBe(200);
      for (const c of res.body.generatedCredentials as Array<{ username: string; password: string }>) {
        if (![...secrets.values()].includes(c.password)) passwordCount++;
        remember("generated password", c.password);
      }
      return res.body as { generatedCredentials: Array<{ username: string; password: string }>; activeIndex: number };
    };

    // A connection refused for a wrong password: that password must not escape either.
    const wrong = "wrong-" + crypto.randomBytes(12).toString("hex");
    remember("refused connection password", wrong);
    const refused = await api("POST", CONNECTIONS, { ...target.connectionBody("leaky-wrong"), credentials: { ...(target.connectionBody().credentials as object), password: wrong } });
    expect(refused.status).toBe(422);

    const conn = await api("POST", CONNECTIONS, target.connectionBody("leaky"));
    expect(conn.status).toBe(200);
    const created = await api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users, { projectId: "leaks" }));
    expect(created.status).toBe(200);
    const id: string = created.body.secretRotation.id;
    await readCredentials(id);

    for (let i = 0; i < 3; i++) {
      expect((await api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
      await readCredentials(id);
    }

    // A failure: the user about to be rotated may not log in, so the new password is set but cannot be verified.
    const before = await readCredentials(id);
    const victim = target.users[1 - before.activeIndex];
    await target.sql(`ALTER ROLE "${victim}" NOLOGIN`);
    const failed = await api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
    expect(failed.status).toBe(502);
    expect(failed.body.error).toBe("RotationFailed");
    // The password of the failed attempt lives only in the sealed intent: open it with the store's key.
    const intents = await withClient(t.storeUrl, (c) => c.query("SELECT target_index, password_sealed FROM rotation_intents WHERE rotation_id = $1", [id]));
    expect(intents.rows).toHaveLength(1);
    const intentPassword = new Sealer(t.encryptionKey).open(intents.rows[0].password_sealed, aad.intent(id, intents.rows[0].target_index));
    remember("password of the failed attempt", intentPassword);
    passwordCount++;
    addPlace("store dump after the failure", (await dumpStore(t.storeUrl)).text);
    await target.sql(`ALTER ROLE "${victim}" LOGIN`);
    expect((await api("POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`)).status).toBe(200);
    const after = await readCredentials(id);
    expect(after.generatedCredentials[1 - before.activeIndex].password).toBe(intentPassword); // rolled forward with the same password

    // Reads a consumer and an operator make.
    const raw = await t.api("GET", "/api/v3/secrets/raw?workspaceId=leaks&environment=dev&secretPath=/"); // holds the password by design
    expect(raw.status).toBe(200);
    await api("GET", `${ROTATIONS}/${id}`);
    await api("GET", `${ROTATIONS}?projectId=leaks`);
    await api("GET", CONNECTIONS);
    addPlace("history API", (await api("GET", `${ROTATIONS}/${id}/history`)).text);
    addPlace("store dump before delete", (await dumpStore(t.storeUrl)).text);

    // The key is rotated: the keyring becomes new, old; a rekey re-seals everything; its answers and logs are searched too.
    t.config.encryptionKeys = [newKey, t.encryptionKey];
    await t.restart();
    let keys = await api("POST", "/api/v1/admin/keys/rekey", { batchSize: 2 });
    for (const end = Date.now() + 10_000; keys.body.rekey?.status === "running" && Date.now() < end; await sleep(50)) keys = await api("GET", "/api/v1/admin/keys");
    expect(keys.body).toMatchObject({ notOnNewest: 0, rekey: { status: "finished" } });
    addPlace("/metrics after the rekey", await (await fetch(`${t.runner.url}/metrics`)).text());
    addPlace("store dump after the rekey", (await dumpStore(t.storeUrl)).text);

    const del = await api("DELETE", `${ROTATIONS}/${id}?revokeGeneratedCredentials=true&deleteSecrets=true`);
    expect(del.status).toBe(200);
    for (const c of after.generatedCredentials) expect(await canLogin(pg, target.database, c.username, c.password)).toBe(false);

    // 5 rotation results (3 + failed + rolled forward) reach the webhook.
    await hook.waitFor(5);
    await sleep(300); // audit rows are written after their response
    addPlace("webhook deliveries (headers and bodies)", hook.deliveries.map((d) => JSON.stringify(d.headers) + "\n" + d.body).join("\n"));
    const metrics = await fetch(`${t.runner.url}/metrics`);
    addPlace("/metrics", await metrics.text());
    const audit = await t.api("GET", "/api/v1/audit-logs?limit=1000");
    expect(audit.status).toBe(200);
    expect(audit.body.auditLogs.length).toBeGreaterThan(8);
    addPlace("audit log API", audit.text);
    addPlace("audit_logs rows", JSON.stringify((await withClient(t.storeUrl, (c) => c.query("SELECT * FROM audit_logs"))).rows));
    addPlace("store dump after delete", (await dumpStore(t.storeUrl)).text);
    expect(t.logs.filter((l) => /"level":20/.test(l)).length).toBeGreaterThan(0); // debug lines were written
    addPlace("runner log (debug level)", t.logs.join("\n"));
    const end = await logMark();
    const serverLog = fs.readFileSync(pg.logFile).subarray(logOffset, end).toString("utf8");
    addPlace("target PostgreSQL log (log_statement=all, log_connections)", serverLog);

    // The server log really saw the work: every ALTER ROLE and the users' logins.
    const alters = serverLog.match(/ALTER ROLE .* PASSWORD '[^']*'/g) ?? [];
    expect(alters.length).toBeGreaterThanOrEqual(2 + 3 + 2 + 2); // create, 3 rotations, failure + retry, revoke of both
    for (const a of alters) expect(a).toMatch(/PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+'$/); // verifiers only, never a plaintext
    expect(serverLog).toMatch(new RegExp(`connection authorized: user=${target.users[0]}`));
    expect(serverLog).toMatch(new RegExp(`connection authorized: user=${target.admin.username}`));

    // The search: each secret, as it is and base64/hex encoded, in every place.
    const search = (entries: Iterable<[string, string]>) => {
      const hits: string[] = [];
      for (const [place, text] of entries) {
        for (const [kind, value] of secrets) {
          const forms = [value, Buffer.from(value).toString("base64"), Buffer.from(value).toString("hex"), encodeURIComponent(value)];
          if (forms.some((f) => text.includes(f))) hits.push(`${kind} found in ${place}`);
        }
      }
      return hits;
    };
    // The search itself works: the answer that is meant to hold the active password (the raw secrets read) is a hit.
    expect(search([["raw secrets answer", raw.text]]).length).toBe(1);
    const leaks = search(places);
    recordFigure(SUITE, "generated passwords searched", passwordCount);
    recordFigure(SUITE, "secrets searched (passwords, connection passwords, admin token, webhook secret, encryption keys)", secrets.size);
    recordFigure(SUITE, "places searched", places.size);
    recordFigure(SUITE, "leaks found", leaks.length, "0");
    expect(passwordCount).toBeGreaterThanOrEqual(2 + 3 + 1);
    expect(places.size).toBeGreaterThanOrEqual(10);
    expect(leaks).toEqual([]);
  });
});
