/**
 * The runner serving HTTPS itself (PGROTATE_TLS_CERT_FILE / PGROTATE_TLS_KEY_FILE) with a certificate from a
 * private CA made here: TLS 1.2 or later, HSTS, and every client pgrotate ships — the CLI, pgrotate/pg, the
 * Terraform provider — plus the official @infisical/sdk reading through it when told the CA; a certificate
 * replaced on disk is served to new connections while an open one keeps working.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { loadConfig } from "../runner/config";
import { startRunner } from "../runner/runtime";
import { RunnerClient } from "../provider/client";
import { fetchTrusting } from "../provider/trust";
import { createRotatingPool } from "../pg";
import { createCa, issueServerCert } from "./helpers/certs";
import { runCli } from "./helpers/cli";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";
import { createWorkspace, requireTerraform, TERRAFORM_BLOCK } from "./helpers/terraform-harness";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The serial number of the certificate a fresh TLS connection to `url` is shown. */
function servedSerial(url: string, ca: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca, servername: undefined }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on("error", reject);
  });
}

describe("The runner over HTTPS with a private CA", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-https-"));
  const files = { certFile: path.join(dir, "tls.crt"), keyFile: path.join(dir, "tls.key") };
  const caFile = path.join(dir, "ca.pem");
  const ca = createCa("pgrotate test CA");
  const first = issueServerCert(ca);
  let trusted: typeof fetch;
  let t: TestRunner;
  let target: Target;
  let rotationId: string;

  beforeAll(async () => {
    fs.writeFileSync(caFile, ca.certPem);
    fs.writeFileSync(files.certFile, first.certPem);
    fs.writeFileSync(files.keyFile, first.keyPem, { mode: 0o600 });
    trusted = fetchTrusting(ca.certPem);
    target = await createTarget({ prefix: "https" });
    t = await startTestRunner({ tls: files, tlsReloadMs: 200, fetch: trusted });
    const conn = (await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody())).body.appConnection.id;
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(conn, target.users, { projectId: "tls", environment: "prod", secretPath: "/db" }));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const active = async () => {
    const c = (await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body;
    return c.generatedCredentials[c.activeIndex] as { username: string; password: string };
  };

  test("When the runner has a certificate and key, then it serves HTTPS only, TLS 1.2 or later, with HSTS; a client without the CA is refused and told how to trust it", async () => {
    expect(t.runner.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await trusted(`${t.runner.url}/readyz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
    await expect(fetch(`${t.runner.url}/readyz`)).rejects.toThrow(); // the system's CAs do not know ours
    await expect(new RunnerClient({ url: t.runner.url, requireToken: false }).readiness()).rejects.toThrow(/certificate is not trusted; give its CA with PGROTATE_CA_FILE/);
    const u = new URL(t.runner.url);
    const old = new Promise<string>((resolve) => {
      const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: ca.certPem, minVersion: "TLSv1", maxVersion: "TLSv1.1" }, () => resolve("connected"));
      s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(await old).not.toBe("connected");
    // The console's session cookie is Secure over HTTPS.
    const signIn = await trusted(`${t.runner.url}/api/v1/console/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: t.runner.adminToken }) });
    expect(signIn.status).toBe(200);
    expect(signIn.headers.get("set-cookie")).toMatch(/;\s*Secure/i);
    // Plain HTTP on the same port is not served.
    await expect(fetch(t.runner.url.replace("https:", "http:") + "/healthz")).rejects.toThrow();
    // The certificate's end of validity is a metric (for an alert weeks before it).
    const metrics = await (await trusted(`${t.runner.url}/metrics`)).text();
    const expiry = Number(/^pgrotate_tls_certificate_expiry_timestamp_seconds (\d+)/m.exec(metrics)?.[1]);
    expect(expiry * 1000).toBe(Date.parse(new crypto.X509Certificate(first.certPem).validTo));
  });

  test("The CLI reads through HTTPS with --ca-file or PGROTATE_CA_FILE; without the CA it exits 3 saying how to trust it", async () => {
    const env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken };
    const viaFlag = await runCli(["--ca-file", caFile, "rotations", "list", "--json"], { env });
    expect([viaFlag.code, viaFlag.stderr]).toEqual([0, ""]);
    expect(JSON.parse(viaFlag.stdout).map((r: { id: string }) => r.id)).toContain(rotationId);
    const viaEnv = await runCli(["status"], { env: { ...env, PGROTATE_CA_FILE: caFile } });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toMatch(/Status\s+ready/);
    const without = await runCli(["status"], { env });
    expect(without.code).toBe(3);
    expect(without.stderr).toMatch(/PGROTATE_CA_FILE/);
    const missing = await runCli(["--ca-file", path.join(dir, "nope.pem"), "status"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read the CA file .*nope\.pem/);
  });

  test("The official @infisical/sdk reads the rotated credentials through HTTPS when its process trusts the CA (NODE_EXTRA_CA_CERTS, Node's own setting)", async () => {
    const ident = (await t.api("POST", "/api/v1/auth/identities", { name: "https-app", projectId: "tls", permission: "read" })).body;
    const script = path.join(dir, "sdk-read.js");
    fs.writeFileSync(script, `
      const { InfisicalSDK } = require(${JSON.stringify(require.resolve("@infisical/sdk"))});
      (async () => {
        const sdk = new InfisicalSDK({ siteUrl: process.env.SITE_URL });
        await sdk.auth().universalAuth.login({ clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET });
        const { secrets } = await sdk.secrets().listSecrets({ projectId: "tls", environment: "prod", secretPath: "/db" });
        process.stdout.write(JSON.stringify(Object.fromEntries(secrets.map((s) => [s.secretKey, s.secretValue]))));
      })().catch((e) => { process.stderr.write(String(e && e.message)); process.exit(1); });`);
    const run = (extra: Record<string, string>) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [script], { env: { ...process.env, SITE_URL: t.runner.url, CLIENT_ID: ident.clientId, CLIENT_SECRET: ident.clientSecret, ...extra } });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("close", (code) => resolve({ code, out, err }));
      });
    const read = await run({ NODE_EXTRA_CA_CERTS: caFile });
    expect([read.code, read.err]).toEqual([0, ""]);
    const now = await active();
    expect(JSON.parse(read.out)).toEqual({ POSTGRES_DB_USERNAME: now.username, POSTGRES_DB_PASSWORD: now.password });
  });

  test("A pgrotate/pg pool given the CA reads its credentials over HTTPS and follows a rotation", async () => {
    const token = (await t.api("POST", "/api/v1/auth/tokens", { name: "https-pool", projectId: "tls", permission: "read" })).body.secret;
    const pool = createRotatingPool({
      runnerUrl: t.runner.url, token, ca: fs.readFileSync(caFile), projectId: "tls", environment: "prod", secretPath: "/db",
      usernameKey: "POSTGRES_DB_USERNAME", passwordKey: "POSTGRES_DB_PASSWORD",
      pool: { host: target.cluster.host, port: target.cluster.port, database: target.database, max: 2 },
    });
    try {
      expect((await pool.query("SELECT current_user AS u")).rows[0].u).toBe((await active()).username);
      expect((await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets?force=true`)).status).toBe(200);
      const next = (await active()).username;
      let seen = "";
      for (let i = 0; i < 50 && seen !== next; i++) {
        const c = await pool.connect();
        seen = (await c.query("SELECT current_user AS u")).rows[0].u;
        c.release(true);
        if (seen !== next) await sleep(100);
      }
      expect(seen).toBe(next);
    } finally {
      await pool.end();
    }
  });

  test("The Terraform provider reads through HTTPS with ca_file (and PGROTATE_CA_FILE)", async () => {
    requireTerraform();
    const ws = createWorkspace({ mode: "dev_overrides" });
    try {
      const data = (name: string) => `data "pgrotate_postgres_credentials" "${name}" {
  rotation_id = "${rotationId}"
}
output "${name}_user" { value = data.pgrotate_postgres_credentials.${name}.username }`;
      ws.write(`${TERRAFORM_BLOCK}
provider "pgrotate" {
  runner_url = "${t.runner.url}"
  token      = "${t.runner.adminToken}"
  ca_file    = "${caFile}"
}
${data("a")}
`);
      await ws.ok(["apply", "-auto-approve", "-input=false"]);
      expect((await ws.ok(["output", "-raw", "a_user"])).stdout.trim()).toBe((await active()).username);
      ws.write(`${TERRAFORM_BLOCK}
provider "pgrotate" {
  runner_url = "${t.runner.url}"
  token      = "${t.runner.adminToken}"
}
${data("b")}
`);
      const refused = await ws.run(["apply", "-auto-approve", "-input=false"]);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toMatch(/PGROTATE_CA_FILE/);
      await ws.ok(["apply", "-auto-approve", "-input=false"], { env: { PGROTATE_CA_FILE: caFile } });
    } finally {
      ws.cleanup();
    }
  }, 120_000);

  test("When the certificate is replaced on disk, then new connections get the new one and an open connection keeps working", async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: ca.certPem });
    const sockets = new Set<unknown>();
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = https.get(`${t.runner.url}/healthz`, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("socket", (s) => sockets.add(s));
        req.on("error", reject);
      });
    try {
      expect(await get()).toBe(200);
      const before = await servedSerial(t.runner.url, ca.certPem);
      const next = issueServerCert(ca);
      // Written as a renewal does it: the key first, then the certificate (a half-replaced pair is refused meanwhile).
      fs.writeFileSync(files.keyFile, next.keyPem);
      fs.writeFileSync(files.certFile, next.certPem);
      const serial = new crypto.X509Certificate(next.certPem).serialNumber;
      let served = before;
      for (let i = 0; i < 50 && served.toUpperCase() !== serial.toUpperCase(); i++) {
        await sleep(100);
        served = await servedSerial(t.runner.url, ca.certPem);
      }
      expect(served.toUpperCase()).toBe(serial.toUpperCase());
      expect(await get()).toBe(200);
      expect(sockets.size).toBe(1); // the open connection was not dropped
      expect(t.logs.join("\n")).toMatch(/TLS certificate reloaded/);
    } finally {
      agent.destroy();
    }
  });

  test("A certificate without its key, or a key that is not the certificate's, refuses the start naming the variable or the file", async () => {
    expect(() => loadConfig({ PGROTATE_TLS_CERT_FILE: files.certFile })).toThrow(/PGROTATE_TLS_CERT_FILE and PGROTATE_TLS_KEY_FILE go together/);
    const other = issueServerCert(ca);
    const wrongKey = path.join(dir, "other.key");
    fs.writeFileSync(wrongKey, other.keyPem);
    const config = { ...t.config, port: 0, tls: { certFile: files.certFile, keyFile: wrongKey } };
    await expect(startRunner(config, { logDestination: { write: () => undefined } })).rejects.toThrow(/does not load with the certificate/);
    await expect(startRunner({ ...config, tls: { certFile: path.join(dir, "missing.crt"), keyFile: wrongKey } }, { logDestination: { write: () => undefined } })).rejects.toThrow(
      /Cannot read the TLS certificate .*missing\.crt/,
    );
  });
});
