/**
 * Zero downtime for consumers (issue 7, item 3): an app that re-reads its credentials from the runner at least
 * once per rotation and opens a fresh connection every few milliseconds never sees a failed login, across many
 * forced rotations back to back (past the grace guard).
 */
import { Client } from "pg";
import { INVALID_PASSWORD, isLoginRefused, sqlState } from "../runner/sqlstate";
import { recordFigure, scale } from "./helpers/profile";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const SUITE = "zero-downtime";
const ROTATION_COUNT = scale(20, 100);
const CONSUMERS = 3;
/** A consumer re-reads its credentials when they are older than this (and the driver waits for that re-read). */
const REFRESH_MS = 20;
/** Pause between two connections of one consumer. */
const CONNECT_EVERY_MS = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Consumer {
  /** performance.now() when the last successful credentials read started. */
  lastReadStartedAt: number;
  reads: number;
  tried: number;
  authFailures: number;
  otherFailures: number;
  triedDuringRotation: number;
  errors: string[];
}

describe("Zero downtime for consumers", () => {
  let t: TestRunner;
  let target: Target;
  let rotationId: string;
  let readToken: string;

  beforeAll(async () => {
    target = await createTarget({ prefix: "zdt" });
    t = await startTestRunner({ logLevel: "info" });
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody());
    expect(conn.status).toBe(200);
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, target.users, { projectId: "zdt-app", environment: "prod" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
    // The app reads with a token scoped to its folder, as a deployed consumer would.
    const tok = await t.api("POST", "/api/v1/auth/tokens", { name: "zdt-consumer", projectId: "zdt-app", environment: "prod", permission: "read" });
    expect(tok.status).toBe(200);
    readToken = tok.body.secret;
  });

  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test(`A consumer that re-reads the credentials once per rotation sees 0 failed logins across ${ROTATION_COUNT} forced rotations back to back`, async () => {
    let stop = false;
    let rotating = false;

    const readCredentials = async (): Promise<{ user: string; password: string }> => {
      const res = await t.api("GET", "/api/v3/secrets/raw?workspaceId=zdt-app&environment=prod&secretPath=/", undefined, { token: readToken });
      if (res.status !== 200) throw new Error(`credentials read answered ${res.status}`);
      const values = Object.fromEntries(res.body.secrets.map((s: { secretKey: string; secretValue: string }) => [s.secretKey, s.secretValue]));
      return { user: values.POSTGRES_DB_USERNAME, password: values.POSTGRES_DB_PASSWORD };
    };

    const runConsumer = async (c: Consumer) => {
      let creds: { user: string; password: string } | undefined;
      let readAt = -Infinity;
      while (!stop) {
        if (!creds || performance.now() - readAt >= REFRESH_MS) {
          const started = performance.now();
          creds = await readCredentials();
          readAt = started;
          c.lastReadStartedAt = started;
          c.reads++;
        }
        c.tried++;
        if (rotating) c.triedDuringRotation++;
        const client = new Client({ host: target.cluster.host, port: target.cluster.port, database: target.database, user: creds.user, password: creds.password, ssl: false, connectionTimeoutMillis: 10_000 });
        client.on("error", () => undefined);
        try {
          await client.connect();
          await client.query("SELECT 1");
        } catch (e) {
          const code = sqlState(e);
          if (isLoginRefused(code)) c.authFailures++;
          else c.otherFailures++;
          if (c.errors.length < 5) c.errors.push(`${code ?? ""} ${(e as Error).message}`.replace(creds.password, "***"));
        } finally {
          await client.end().catch(() => undefined);
        }
        await sleep(CONNECT_EVERY_MS);
      }
    };

    const consumers: Consumer[] = Array.from({ length: CONSUMERS }, () => ({
      lastReadStartedAt: -Infinity, reads: 0, tried: 0, authFailures: 0, otherFailures: 0, triedDuringRotation: 0, errors: [],
    }));
    const running = consumers.map(runConsumer);
    const started = Date.now();
    const activeIndexes: number[] = [];
    try {
      await sleep(50);
      for (let i = 0; i < ROTATION_COUNT; i++) {
        rotating = true;
        const res = await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`);
        rotating = false;
        expect([i, res.status]).toEqual([i, 200]);
        activeIndexes.push(res.body.secretRotation.activeIndex);
        // The consumer's contract: it re-reads at least once per rotation. Wait for every consumer's next read.
        const done = performance.now();
        for (const end = Date.now() + 10_000; consumers.some((c) => c.lastReadStartedAt <= done); await sleep(1)) {
          if (Date.now() > end) throw new Error("a consumer did not re-read its credentials within 10 s");
        }
      }
      await sleep(50);
    } finally {
      stop = true;
      rotating = false;
      await Promise.all(running);
    }
    const elapsed = Date.now() - started;

    const sum = (f: (c: Consumer) => number) => consumers.reduce((n, c) => n + f(c), 0);
    const tried = sum((c) => c.tried);
    const authFailures = sum((c) => c.authFailures);
    const otherFailures = sum((c) => c.otherFailures);
    recordFigure(SUITE, "forced rotations back to back", ROTATION_COUNT);
    recordFigure(SUITE, "connections tried", tried);
    recordFigure(SUITE, "connections tried while a rotation ran", sum((c) => c.triedDuringRotation));
    recordFigure(SUITE, "authentication failures", authFailures, "0");
    recordFigure(SUITE, "other connection failures", otherFailures, "0");
    process.stdout.write(`[zero-downtime] ${ROTATION_COUNT} rotations in ${elapsed} ms, ${tried} connections, ${sum((c) => c.reads)} credential reads\n`);

    // Every rotation really switched the active user (0, 1, 0, 1, ...), with connections opened throughout.
    expect(activeIndexes).toEqual(Array.from({ length: ROTATION_COUNT }, (_, i) => (i + 1) % 2));
    expect(tried).toBeGreaterThan(ROTATION_COUNT * CONSUMERS);
    expect(sum((c) => c.triedDuringRotation)).toBeGreaterThan(0);
    expect(consumers.flatMap((c) => c.errors)).toEqual([]);
    expect(authFailures).toBe(0);
    expect(otherFailures).toBe(0);
  });

  test("The measurement can see a failure: credentials held across two forced rotations stop logging in (why the consumer must re-read)", async () => {
    const read = await t.api("GET", "/api/v3/secrets/raw?workspaceId=zdt-app&environment=prod&secretPath=/", undefined, { token: readToken });
    const v = Object.fromEntries(read.body.secrets.map((s: { secretKey: string; secretValue: string }) => [s.secretKey, s.secretValue]));
    for (let i = 0; i < 2; i++) expect((await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200);
    const client = new Client({ host: target.cluster.host, port: target.cluster.port, database: target.database, user: v.POSTGRES_DB_USERNAME, password: v.POSTGRES_DB_PASSWORD, ssl: false });
    client.on("error", () => undefined);
    await expect(client.connect()).rejects.toMatchObject({ code: INVALID_PASSWORD });
    await client.end().catch(() => undefined);
  });
});
