/**
 * TLS to the target (issue 7, item 7): `sslEnabled` means TLS that verifies the server against
 * `sslCertificate`. A server certified by CA-A is accepted with CA-A, and rotations run over TLS; with CA-B
 * it is refused with a clear 4xx and nothing is stored; a server without TLS is refused, never used in plaintext.
 * The certificates are generated here.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { createCa, issueServerCert } from "./helpers/certs";
import { serverReachableDir, serverUser, startDedicatedCluster, type DedicatedCluster } from "./helpers/dedicated-cluster";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { openDigester } from "./helpers/store-state";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";

describe("TLS to the target", () => {
  const caA = createCa("pgrotate test CA A");
  const caB = createCa("pgrotate test CA B");
  let tlsPg: DedicatedCluster;
  let plainPg: DedicatedCluster;
  let tlsTarget: Target;
  let plainTarget: Target;
  let t: TestRunner;

  beforeAll(async () => {
    // The server reads its key and certificate as its own user ("postgres" when the tests run as root).
    const dir = await serverReachableDir("tls");
    const server = issueServerCert(caA);
    const certFile = path.join(dir, "server.crt");
    const keyFile = path.join(dir, "server.key");
    await fs.writeFile(certFile, server.certPem, { mode: 0o644 });
    await fs.writeFile(keyFile, server.keyPem, { mode: 0o600 });
    const runAs = await serverUser();
    if (runAs) for (const f of [certFile, keyFile]) await fs.chown(f, runAs.uid, runAs.gid);
    [tlsPg, plainPg] = await Promise.all([
      startDedicatedCluster({ prefix: "tls", dir, settings: { ssl: "on", ssl_cert_file: certFile, ssl_key_file: keyFile, log_connections: "on" } }),
      startDedicatedCluster({ prefix: "plain", settings: { ssl: "off", log_connections: "on" } }),
    ]);
    tlsTarget = await createTarget({ cluster: tlsPg, prefix: "tls" });
    plainTarget = await createTarget({ cluster: plainPg, prefix: "plain" });
    t = await startTestRunner({ logLevel: "info" });
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await tlsTarget?.drop().catch(() => undefined);
    await plainTarget?.drop().catch(() => undefined);
    await tlsPg?.dispose();
    await plainPg?.dispose();
  });

  const withTls = (target: Target, name: string, tls: Record<string, unknown>) => {
    const body = target.connectionBody(name);
    return { ...body, credentials: { ...(body.credentials as object), sslEnabled: true, ...tls } };
  };
  /** Log lines of sessions the server authorized for `user`. */
  const authorized = async (pg: DedicatedCluster, user: string) =>
    (await fs.readFile(pg.logFile, "utf8")).split("\n").filter((l) => l.includes(`connection authorized: user=${user} `));
  const countConnections = async () => (await t.api("GET", CONNECTIONS)).body.appConnections.length as number;

  test("With sslEnabled and CA-A as sslCertificate, the connection is validated over TLS and rotations run over TLS", async () => {
    const conn = await t.api("POST", CONNECTIONS, withTls(tlsTarget, "tls-ca-a", { sslCertificate: caA.certPem }));
    expect([conn.status, conn.body.message]).toEqual([200, undefined]);
    expect(conn.body.appConnection.credentials).toMatchObject({ sslEnabled: true, sslRejectUnauthorized: true, sslCertificate: caA.certPem });
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, tlsTarget.users, { projectId: "tls" }));
    expect([created.status, created.body.message]).toEqual([200, undefined]);
    const rotated = await t.api("POST", `${ROTATIONS}/${created.body.secretRotation.id}/rotate-secrets`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secretRotation).toMatchObject({ activeIndex: 1, rotationStatus: "success" });
    const creds = (await t.api("GET", `${ROTATIONS}/${created.body.secretRotation.id}/generated-credentials`)).body.generatedCredentials;
    for (const c of creds as Array<{ username: string; password: string }>) {
      const client = new Client({ host: tlsPg.host, port: tlsPg.port, database: tlsTarget.database, user: c.username, password: c.password, ssl: { ca: caA.certPem } });
      await client.connect();
      expect((await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl).toBe(true);
      await client.end();
    }
    // Every session pgrotate opened (as the connection role, and as each user to verify a new password) used TLS.
    for (const user of [tlsTarget.admin.username, ...tlsTarget.users]) {
      const lines = (await authorized(tlsPg, user)).filter((l) => l.includes("application_name=pgrotate"));
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l).toMatch(/SSL enabled \(protocol=TLSv1\.[23]/);
    }
  });

  test("With CA-B (another CA), creating the connection is refused with a clear 422 naming TLS, and nothing is stored", async () => {
    const digester = await openDigester(t.storeUrl);
    const before = await digester.digest();
    const res = await t.api("POST", CONNECTIONS, withTls(tlsTarget, "tls-ca-b", { sslCertificate: caB.certPem }));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ statusCode: 422, error: "PrecheckFailed" });
    expect(res.body.message).toMatch(/^TLS to 127\.0\.0\.1:\d+\/\S+ failed while validating the connection: .*certificate/);
    // Without any sslCertificate the system trust store is used, which does not know CA-A either.
    const noCa = await t.api("POST", CONNECTIONS, withTls(tlsTarget, "tls-no-ca", {}));
    expect([noCa.status, noCa.body.error]).toEqual([422, "PrecheckFailed"]);
    expect(noCa.body.message).toMatch(/TLS .*certificate/);
    expect(await digester.digest()).toEqual(before);
    await digester.close();
  });

  test("Changing a working TLS connection's CA to CA-B is refused and the stored CA stays CA-A", async () => {
    const conn = await t.api("POST", CONNECTIONS, withTls(tlsTarget, "tls-patch", { sslCertificate: caA.certPem }));
    expect(conn.status).toBe(200);
    const id = conn.body.appConnection.id;
    const res = await t.api("PATCH", `${CONNECTIONS}/${id}`, { credentials: { sslCertificate: caB.certPem } });
    expect([res.status, res.body.error]).toEqual([422, "PrecheckFailed"]);
    expect((await t.api("GET", `${CONNECTIONS}/${id}`)).body.appConnection.credentials.sslCertificate).toBe(caA.certPem);
  });

  test("A PATCH with sslCertificate null clears the stored CA (and is validated like any change): refused while the server needs CA-A, accepted together with sslEnabled false", async () => {
    const conn = await t.api("POST", CONNECTIONS, withTls(tlsTarget, "tls-clear", { sslCertificate: caA.certPem }));
    expect(conn.status).toBe(200);
    const id = conn.body.appConnection.id;
    // With TLS still on, the system trust store does not know CA-A: refused, the CA stays.
    const refused = await t.api("PATCH", `${CONNECTIONS}/${id}`, { credentials: { sslCertificate: null } });
    expect([refused.status, refused.body.error]).toEqual([422, "PrecheckFailed"]);
    expect((await t.api("GET", `${CONNECTIONS}/${id}`)).body.appConnection.credentials.sslCertificate).toBe(caA.certPem);
    // The server also accepts plaintext connections here: TLS off and the CA cleared in one change.
    const cleared = await t.api("PATCH", `${CONNECTIONS}/${id}`, { credentials: { sslEnabled: false, sslCertificate: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.appConnection.credentials.sslEnabled).toBe(false);
    expect(cleared.body.appConnection.credentials).not.toHaveProperty("sslCertificate"); // none: the field is left out
    expect((await t.api("GET", `${CONNECTIONS}/${id}`)).body.appConnection.credentials).not.toHaveProperty("sslCertificate");
    // Absent keeps it: a PATCH that does not name it leaves it as it is.
    const withCa = await t.api("PATCH", `${CONNECTIONS}/${id}`, { credentials: { sslCertificate: caA.certPem } });
    expect(withCa.body.appConnection.credentials.sslCertificate).toBe(caA.certPem);
    expect((await t.api("PATCH", `${CONNECTIONS}/${id}`, { description: "plain now" })).body.appConnection.credentials.sslCertificate).toBe(caA.certPem);
  });

  test("No fallback to plaintext: against a server without TLS, sslEnabled is refused (even without verification), and no plaintext session is opened", async () => {
    const count = await countConnections();
    const res = await t.api("POST", CONNECTIONS, withTls(plainTarget, "plain-tls", { sslCertificate: caA.certPem }));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: "PrecheckFailed" });
    expect(res.body.message).toMatch(/TLS .* failed .*SSL/);
    const unverified = await t.api("POST", CONNECTIONS, withTls(plainTarget, "plain-tls-unverified", { sslRejectUnauthorized: false }));
    expect([unverified.status, unverified.body.error]).toEqual([422, "PrecheckFailed"]);
    expect(await countConnections()).toBe(count);
    expect(await authorized(plainPg, plainTarget.admin.username)).toEqual([]);
    // Control: the same target without sslEnabled works, so the refusals above were about TLS alone.
    const body = plainTarget.connectionBody("plain-ok");
    expect((await t.api("POST", CONNECTIONS, body)).status).toBe(200);
    // Its one validation session shows in the log, and it is the only session the connection role ever had.
    for (const end = Date.now() + 5000; (await authorized(plainPg, plainTarget.admin.username)).length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(await authorized(plainPg, plainTarget.admin.username)).toHaveLength(1);
  });
});
