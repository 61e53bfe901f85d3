/**
 * The executable bin/terraform-provider-pgrotate as go-plugin sees it: the handshake line is the first
 * thing on stdout, AutoMTLS accepts only Terraform's client certificate, and Shutdown ends the process.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, loadServices } from "../provider/terraform/server";
import { selfSignedCertificate } from "../provider/terraform/tls";
import { REPO_ROOT, requireTerraform } from "./helpers/terraform-harness";

const BIN = path.join(REPO_ROOT, "bin", "terraform-provider-pgrotate");
const HANDSHAKE = /^1\|6\|tcp\|127\.0\.0\.1:(\d+)\|grpc\|([A-Za-z0-9+/]+)$/;

describe("terraform-provider-pgrotate as a go-plugin process", () => {
  let child: ChildProcess | undefined;
  beforeAll(() => requireTerraform()); // also checks dist/ is built

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    child = undefined;
  });

  test("When run by a human (no magic cookie), then it explains itself on stderr, prints nothing on stdout and exits 1", () => {
    const res = spawnSync(BIN, [], { encoding: "utf8", env: { ...process.env, [MAGIC_COOKIE_KEY]: "" } });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toContain("This binary is a plugin");
  });

  test("When started with Terraform's environment, then stdout holds only the handshake, mTLS needs the client certificate, and Shutdown exits the process", async () => {
    const client = await selfSignedCertificate();
    child = spawn(BIN, [], {
      env: { ...process.env, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: "6,5", PLUGIN_CLIENT_CERT: client.certPem },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    const line = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on("data", (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes("\n")) resolve(stdout.split("\n")[0]);
      });
      child!.on("exit", (code) => reject(new Error(`provider exited ${code} before the handshake`)));
    });
    const m = HANDSHAKE.exec(line);
    expect(m).not.toBeNull();
    const cert = new X509Certificate(Buffer.from(m![2], "base64"));
    expect(cert.subject).toContain("CN=localhost");
    expect(cert.ca).toBe(true);
    expect(cert.checkHost("localhost")).toBe("localhost");

    const services = loadServices();
    const address = `127.0.0.1:${m![1]}`;
    const options = { "grpc.ssl_target_name_override": "localhost", "grpc.default_authority": "localhost" };
    const serverPem = cert.toString();

    // Without a client certificate the TLS handshake is refused.
    const anonymous = new services.tfplugin6.Provider(address, grpc.credentials.createSsl(Buffer.from(serverPem)), options);
    await expect(new Promise((resolve, reject) => anonymous.GetProviderSchema({}, { deadline: Date.now() + 3000 }, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))))).rejects.toThrow();
    anonymous.close();

    const creds = grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(client.keyPem), Buffer.from(client.certPem));
    const provider = new services.tfplugin6.Provider(address, creds, options);
    const schema: any = await new Promise((resolve, reject) => provider.GetProviderSchema({}, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
    expect(Object.keys(schema.resource_schemas).sort()).toEqual(["pgrotate_postgres_connection", "pgrotate_postgres_credentials_rotation"]);
    expect(Object.keys(schema.data_source_schemas)).toEqual(["pgrotate_postgres_credentials"]);
    provider.close();

    const controller = new services.plugin.GRPCController(address, creds, options);
    const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));
    const started = Date.now();
    await new Promise((resolve, reject) => controller.Shutdown({}, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))));
    controller.close();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(1900); // terraform (go-plugin) kills a plugin still running 2 s after Shutdown
    expect(stdout.trim().split("\n")).toHaveLength(1);
  });
});
