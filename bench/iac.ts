/**
 * Benchmark 6: IaC overhead. 50 rotations created through Pulumi's real dynamic-provider plugin host
 * (Check + Create over gRPC, as `pulumi up` drives it) and through `terraform apply` with the Terraform
 * provider, each against 50 raw API creates, per resource, same runner, same target.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PostgresConnection, PostgresCredentialsRotation } from "../provider";
import { secretValue, startProviderHost, urnOf } from "../test/helpers/pulumi-host";
import { connectionBody, createStoreDb, createUsers, type Env, inProcessRunner, log, ms, mustApi, record, REPO, ROTATIONS, rotationBody, sleep } from "./lib";

const N = 50;

/** The `__provider` text of each resource kind, as the resource classes register it (captured under mocks). */
async function serializedProviders(): Promise<{ connection: string; rotation: string }> {
  const seen: Array<{ type: string; inputs: Record<string, unknown> }> = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (a: pulumi.runtime.MockResourceArgs) => {
        seen.push({ type: a.type, inputs: a.inputs });
        return { id: `${a.name}-id`, state: a.inputs };
      },
      call: (a: pulumi.runtime.MockCallArgs) => a.inputs,
    },
    "pgrotate-quickstart",
    "bench",
    false,
  );
  new PostgresConnection("c", { name: "c", host: "h", port: 1, database: "d", username: "u", password: "p" });
  new PostgresCredentialsRotation("r", { name: "r", connectionId: "x", rotationInterval: 1, parameters: { username1: "a", username2: "b" }, secretsMapping: { username: "U", password: "P" } });
  for (const until = Date.now() + 20_000; seen.length < 2 && Date.now() < until; ) await sleep(10);
  const of = (suffix: string) => seen.find((r) => r.type.endsWith(suffix))!.inputs.__provider as string;
  return { connection: of(":PostgresConnection"), rotation: of(":PostgresCredentialsRotation") };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; out: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ }
    }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code: code ?? -1, out, ms: performance.now() - t0 }); });
  });
}

export async function benchIac(env: Env): Promise<void> {
  log("== 6. IaC overhead");
  const storeUrl = await createStoreDb(env, "bench_iac");
  const runner = await inProcessRunner(env, storeUrl);
  const tok = runner.adminToken;
  const conn = await mustApi(runner.url, tok, "POST", "/api/v1/app-connections/postgres", connectionBody(env, "iac-raw"));

  // Raw API: 50 sequential creates.
  const rawUsers = await createUsers(env, "iac_raw", 2 * N);
  const raw: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await mustApi(runner.url, tok, "POST", ROTATIONS, { ...rotationBody(conn.appConnection.id, `raw-${i}`, [rawUsers[2 * i], rawUsers[2 * i + 1]], [`RAW_${i}_U`, `RAW_${i}_P`]), projectId: "iac-raw" });
    raw.push(performance.now() - t0);
  }
  const rawMean = raw.reduce((a, b) => a + b, 0) / N;
  record({ bench: "6 IaC", figure: `raw API create (mean of ${N})`, value: ms(rawMean), floor: "", ratio: "", target: "", pass: "info" });

  // Pulumi: the plugin host, Check + Create per resource.
  const providers = await serializedProviders();
  const hostEnv = { ...process.env };
  delete hostEnv.PGROTATE_URL;
  delete hostEnv.PGROTATE_TOKEN;
  const host = await startProviderHost({ cwd: REPO, env: hostEnv });
  env.cleanups.push(() => host.stop());
  try {
    await host.configure({ "pgrotate:runnerUrl": runner.url, "pgrotate:token": secretValue(tok) });
    const connArgs = { __provider: providers.connection, name: "iac-pulumi", host: "127.0.0.1", port: env.target.port, database: env.targetDb, username: env.admin.username, password: env.admin.password, sslEnabled: false };
    const c = await host.create(urnOf("PostgresConnection", "db"), (await host.check(urnOf("PostgresConnection", "db"), {}, connArgs)).inputs);
    const users = await createUsers(env, "iac_pulumi", 2 * N);
    const times: number[] = [];
    for (let i = 0; i < N; i++) {
      const urn = urnOf("PostgresCredentialsRotation", `r${i}`);
      const args = {
        __provider: providers.rotation, name: `pulumi-${i}`, connectionId: c.id, projectId: "iac-pulumi", environment: "dev", secretPath: "/",
        rotationInterval: 30, parameters: { username1: users[2 * i], username2: users[2 * i + 1] }, secretsMapping: { username: `PU_${i}_U`, password: `PU_${i}_P` },
      };
      const t0 = performance.now();
      const checked = await host.check(urn, {}, args);
      if (checked.failures.length) throw new Error(`pulumi check failed: ${JSON.stringify(checked.failures)}`);
      await host.create(urn, checked.inputs);
      times.push(performance.now() - t0);
    }
    const mean = times.reduce((a, b) => a + b, 0) / N;
    record({ bench: "6 IaC", figure: `Pulumi plugin host Check+Create (mean of ${N})`, value: ms(mean), floor: ms(rawMean), ratio: (mean / rawMean).toFixed(2), target: "", pass: "info" });
    record({ bench: "6 IaC", figure: "  Pulumi overhead per resource", value: ms(mean - rawMean), floor: "", ratio: "", target: "", pass: "info" });
  } finally {
    await host.stop();
  }

  // Terraform: dev_overrides to bin/, one apply of a connection and 50 rotations at -parallelism=1.
  const tf = await benchTerraform(env, runner.url, tok, rawMean).catch((e: Error) => e.message);
  if (typeof tf === "string") {
    record({ bench: "6 IaC", figure: "terraform apply", value: "not measured", floor: "", ratio: "", target: "", pass: "n/a" });
    log(`  terraform not measured: ${tf.slice(0, 1500)}`);
  }
}

async function benchTerraform(env: Env, url: string, token: string, rawMean: number): Promise<void> {
  const main = path.join(REPO, "dist/provider/terraform/main.js");
  if (!fs.existsSync(main)) throw new Error(`${main} is missing (npm run build)`);
  const root = fs.mkdtempSync(path.join(env.tmp, "tf-"));
  const cli = path.join(root, "cli.tfrc");
  fs.writeFileSync(cli, `provider_installation {\n  dev_overrides {\n    "pgrotate/pgrotate" = ${JSON.stringify(path.join(REPO, "bin"))}\n  }\n  direct {}\n}\n`);
  const users = await createUsers(env, "iac_tf", 2 * N);
  const tfUsers = Array.from({ length: N }, (_, i) => `["${users[2 * i]}", "${users[2 * i + 1]}"]`).join(", ");
  fs.writeFileSync(path.join(root, "main.tf"), `terraform {
  required_providers {
    pgrotate = { source = "pgrotate/pgrotate" }
  }
}
provider "pgrotate" {}
variable "admin_password" {
  type      = string
  sensitive = true
}
locals {
  users = [${tfUsers}]
}
resource "pgrotate_postgres_connection" "db" {
  name     = "iac-terraform"
  host     = "127.0.0.1"
  port     = ${env.target.port}
  database = "${env.targetDb}"
  username = "${env.admin.username}"
  password = var.admin_password
}
resource "pgrotate_postgres_credentials_rotation" "r" {
  count             = ${N}
  name              = "tf-\${count.index}"
  connection_id     = pgrotate_postgres_connection.db.id
  project_id        = "iac-terraform"
  environment       = "dev"
  secret_path       = "/"
  rotation_interval = 30
  parameters = {
    username1 = local.users[count.index][0]
    username2 = local.users[count.index][1]
  }
  secrets_mapping = {
    username = "TF_\${count.index}_U"
    password = "TF_\${count.index}_P"
  }
}
`);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TF_") && !k.startsWith("PGROTATE_")));
  const tfEnv = { ...inherited, TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1", PGROTATE_URL: url, PGROTATE_TOKEN: token, TF_VAR_admin_password: env.admin.password };
  const r = await run("terraform", ["apply", "-auto-approve", "-no-color", "-parallelism=1"], root, tfEnv, 600_000);
  if (r.code !== 0) throw new Error(`terraform apply exited ${r.code}: ${r.out.slice(-1500)}`);
  const per = r.ms / (N + 1);
  record({ bench: "6 IaC", figure: `terraform apply, 1 connection + ${N} rotations, -parallelism=1 (wall / ${N + 1})`, value: ms(per), floor: ms(rawMean), ratio: (per / rawMean).toFixed(2), target: "", pass: "info" });
  record({ bench: "6 IaC", figure: "  terraform apply wall time", value: `${(r.ms / 1000).toFixed(1)} s`, floor: "", ratio: "", target: "", pass: "info" });
  const d = await run("terraform", ["destroy", "-auto-approve", "-no-color"], root, tfEnv, 600_000);
  if (d.code !== 0) log(`  terraform destroy exited ${d.code}`);
}
