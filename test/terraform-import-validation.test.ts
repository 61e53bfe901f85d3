/**
 * The provider through dev_overrides (no `terraform init`): `terraform import` of a rotation made through
 * the API, validation diagnostics that point at the attribute, and an unreachable runner.
 */
import fs from "node:fs";
import path from "node:path";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";
import { TERRAFORM_BLOCK, createWorkspace, requireTerraform, timings, unusedPort, type TfWorkspace } from "./helpers/terraform-harness";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("Terraform import, validation and runner errors (dev_overrides)", () => {
  let t: TestRunner;
  let target: Target;
  let ws: TfWorkspace;
  let connectionId = "";

  beforeAll(async () => {
    requireTerraform();
    target = await createTarget({ prefix: "tfimp" });
    t = await startTestRunner({ logLevel: "warn" });
    ws = createWorkspace({ runnerUrl: t.runner.url, token: t.runner.adminToken, mode: "dev_overrides" });
    const conn = await t.api("POST", "/api/v1/app-connections/postgres", target.connectionBody("imported-conn"));
    if (conn.status !== 200) throw new Error(`creating the connection answered ${conn.status}: ${conn.text}`);
    connectionId = conn.body.appConnection.id;
  });

  afterAll(async () => {
    ws?.cleanup();
    await t?.stop();
    await target?.drop();
    process.stderr.write(`[terraform-import-validation] ${timings.map((x) => `${x.cmd} ${x.ms}`).join(", ")}\n`);
  });

  test("When a rotation made through the API is imported by id, then the next plan shows no changes, and a switch to a local rotation time with password requirements updates in place", async () => {
    const body = infisicalCreateBody(connectionId, target.users, { name: "imported-rotation", projectId: "import-project", rotationInterval: 14, description: "made outside terraform" });
    const created = await t.api("POST", ROTATIONS, body);
    expect(created.status).toBe(200);
    const id = created.body.secretRotation.id;
    ws.write(`${TERRAFORM_BLOCK}
provider "pgrotate" {}

resource "pgrotate_postgres_credentials_rotation" "imported" {
  name              = "imported-rotation"
  description       = "made outside terraform"
  connection_id     = "${connectionId}"
  project_id        = "import-project"
  environment       = "dev"
  secret_path       = "/"
  rotation_interval = 14
  rotate_at_utc     = { hours = 0, minutes = 0 }
  parameters = {
    username1 = "${target.users[0]}"
    username2 = "${target.users[1]}"
  }
  secrets_mapping = {
    username = "POSTGRES_DB_USERNAME"
    password = "POSTGRES_DB_PASSWORD"
  }
}
`);
    const missing = await ws.run(["import", "-input=false", "-no-color", "pgrotate_postgres_credentials_rotation.imported", "00000000-0000-4000-8000-000000000000"]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("No pgrotate_postgres_credentials_rotation with id");

    const imp = await ws.ok(["import", "-input=false", "-no-color", "pgrotate_postgres_credentials_rotation.imported", id]);
    expect(imp.stdout).toContain("Import successful!");
    const state = ws.state().resources[0].instances[0].attributes;
    expect(state).toMatchObject({ id, name: "imported-rotation", connection_id: connectionId, rotation_interval: 14, active_index: 0, active_username: target.users[0] });
    const plan = await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    if (plan.code !== 0) throw new Error(`plan after import was not empty (exit ${plan.code}):\n${plan.stdout}`);
    expect(plan.stdout).toContain("No changes.");

    // Switching from rotate_at_utc to a local time updates in place; rotate_at_utc becomes null, no perpetual diff.
    const config = fs.readFileSync(path.join(ws.dir, "main.tf"), "utf8");
    // Password requirements are added in the same apply (an in-place change of a nested attribute).
    ws.write(
      config
        .replace("rotate_at_utc     = { hours = 0, minutes = 0 }", 'rotate_at         = { hours = 2, minutes = 30 }\n  time_zone         = "Europe/Berlin"')
        .replace(`username2 = "${target.users[1]}"`, `username2 = "${target.users[1]}"\n    password_requirements = { length = 32, required = { digits = 2, lowercase = 2, uppercase = 2, symbols = 0 } }`),
    );
    const update = await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    expect(update.stdout).toMatch(/Resources: 0 added, 1 changed, 0 destroyed/);
    const r = (await t.api("GET", `${ROTATIONS}/${id}`)).body.secretRotation;
    expect(r).toMatchObject({ rotateAtUtc: null, rotateAt: { hours: 2, minutes: 30 }, timeZone: "Europe/Berlin" });
    expect(r.parameters.passwordRequirements).toEqual({ length: 32, required: { digits: 2, lowercase: 2, uppercase: 2, symbols: 0 } });
    expect(ws.state().resources[0].instances[0].attributes.rotate_at_utc).toBeNull();
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
  });

  test("When a connection is imported, then the first apply sends the configured password once and the next plan is empty", async () => {
    await ws.ok(["state", "rm", "pgrotate_postgres_credentials_rotation.imported"]); // keeps it on the runner
    ws.env.TF_VAR_admin_password = target.admin.password;
    ws.write(`${TERRAFORM_BLOCK}
provider "pgrotate" {}

variable "admin_password" {
  type      = string
  sensitive = true
}

resource "pgrotate_postgres_connection" "db" {
  name        = "imported-conn"
  description = "imported"
  host        = "${target.cluster.host}"
  port        = ${target.cluster.port}
  database    = "${target.database}"
  username    = "${target.admin.username}"
  password    = var.admin_password
}
`);
    await ws.ok(["import", "-input=false", "-no-color", "pgrotate_postgres_connection.db", connectionId]);
    const plan = await ws.ok(["plan", "-input=false", "-no-color"]);
    expect(plan.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);
    expect(plan.stdout).toMatch(/password\s+= \(sensitive value\)/);
    expect(plan.stdout).toMatch(/description\s+= "imported"/);
    await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    const conn = await t.api("GET", `/api/v1/app-connections/postgres/${connectionId}`);
    expect(conn.body.appConnection.description).toBe("imported");
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
    ws.write("");
    await ws.ok(["state", "rm", "pgrotate_postgres_connection.db"]);
  });

  test("When the configuration has a bad slug, interval 0 and a bad port, then plan fails with a diagnostic on each attribute and nothing is created", async () => {
    const before = (await t.api("GET", `${ROTATIONS}`)).body.secretRotations.length;
    ws.write(`${TERRAFORM_BLOCK}
provider "pgrotate" {}

resource "pgrotate_postgres_connection" "db" {
  name     = "db"
  host     = "127.0.0.1"
  port     = 70000
  database = "app"
  username = "rotation_admin"
  password = "not-a-real-password"
}

resource "pgrotate_postgres_credentials_rotation" "bad" {
  name              = "Bad_Slug"
  connection_id     = "${connectionId}"
  rotation_interval = 0
  parameters        = { username1 = "a", username2 = "b" }
  secrets_mapping   = { username = "U", password = "P" }
}
`);
    const plan = await ws.run(["plan", "-input=false", "-no-color"]);
    expect(plan.code).toBe(1);
    const out = plan.stderr;
    // Each diagnostic names the attribute and shows its line of the configuration.
    expect(out).toMatch(/Error: Invalid name\s+with pgrotate_postgres_credentials_rotation\.bad,\s+on main\.tf line \d+, in resource "pgrotate_postgres_credentials_rotation" "bad":\s+\d+:\s+name\s+= "Bad_Slug"\s+name must be a slug/);
    expect(out).toMatch(/Error: Invalid rotation_interval\s+with pgrotate_postgres_credentials_rotation\.bad,\s+on main\.tf line \d+[^\n]*\n\s+\d+:\s+rotation_interval = 0\s+rotation_interval must be at least 1 day/);
    expect(out).toMatch(/Error: Invalid port\s+with pgrotate_postgres_connection\.db,\s+on main\.tf line \d+[^\n]*\n\s+\d+:\s+port\s+= 70000/);
    expect(out).not.toContain("connection_id");
    expect(out.includes("not-a-real-password")).toBe(false);
    expect((await t.api("GET", `${ROTATIONS}`)).body.secretRotations.length).toBe(before);
  });

  test("When the runner cannot be reached, then plan fails with a diagnostic naming the runner URL", async () => {
    const port = await unusedPort();
    ws.write(`${TERRAFORM_BLOCK}
provider "pgrotate" {
  runner_url = "http://127.0.0.1:${port}"
}

data "pgrotate_postgres_credentials" "x" {
  rotation_id = "00000000-0000-4000-8000-000000000000"
}
`);
    const plan = await ws.run(["plan", "-input=false", "-no-color"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("Error: Cannot reach the pgrotate runner");
    expect(plan.stderr).toContain(`http://127.0.0.1:${port}`);
    expect(plan.stderr).toContain("ECONNREFUSED");
    expect(plan.stderr).toMatch(/runner_url = "http:\/\/127\.0\.0\.1:\d+"/);
  });

  test("When no token is configured, then plan fails saying where to set it", async () => {
    ws.write(`${TERRAFORM_BLOCK}
provider "pgrotate" {}

data "pgrotate_postgres_credentials" "x" {
  rotation_id = "00000000-0000-4000-8000-000000000000"
}
`);
    const plan = await ws.run(["plan", "-input=false", "-no-color"], { env: { PGROTATE_TOKEN: "" } });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain("No pgrotate runner token");
    expect(plan.stderr).toContain("PGROTATE_TOKEN");
  });
});
