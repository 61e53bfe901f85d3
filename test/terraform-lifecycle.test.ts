/**
 * The Terraform quickstart (examples/terraform-quickstart/main.tf) applied with the real terraform binary,
 * offline through a filesystem mirror, against a real runner and PostgreSQL.
 */
import fs from "node:fs";
import path from "node:path";
import { canLogin } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, type Target } from "./helpers/target";
import { REPO_ROOT, createWorkspace, requireTerraform, stateResource, timings, type TfWorkspace } from "./helpers/terraform-harness";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

describe("Terraform quickstart with the real terraform binary (filesystem mirror, offline)", () => {
  let t: TestRunner;
  let target: Target;
  let ws: TfWorkspace;
  let thirdUser: string;
  let rotationId = "";
  /** Every password this suite has seen: none may appear in terraform's output or logs. */
  const secrets = new Set<string>();
  let vars: NodeJS.ProcessEnv;

  const login = (user: string, password: string) => canLogin(target.cluster, target.database, user, password);
  const generated = async (id: string) => {
    const res = await t.api("GET", `${ROTATIONS}/${id}/generated-credentials`);
    expect(res.status).toBe(200);
    for (const c of res.body.generatedCredentials) secrets.add(c.password);
    return res.body as { generatedCredentials: Array<{ username: string; password: string }>; activeIndex: number };
  };
  /** Fails without printing the secret (jest would print the whole text and the needle). */
  const expectNoSecret = (text: string, where: string) => {
    const leaked = [...secrets].filter((s) => s && text.includes(s)).length;
    if (leaked) throw new Error(`${where} contains ${leaked} password(s)`);
  };

  beforeAll(async () => {
    requireTerraform();
    target = await createTarget({ prefix: "tfq" });
    thirdUser = `${target.users[0]}_c`;
    await target.sql(`CREATE ROLE ${q(thirdUser)} LOGIN PASSWORD 'initial-third'`);
    if (target.cluster.major >= 16) await target.sql(`GRANT ${q(thirdUser)} TO ${q(target.admin.username)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
    t = await startTestRunner({ logLevel: "warn" });
    ws = createWorkspace({ runnerUrl: t.runner.url, token: t.runner.adminToken, mode: "mirror" });
    fs.copyFileSync(path.join(REPO_ROOT, "examples/terraform-quickstart/main.tf"), path.join(ws.dir, "main.tf"));
    secrets.add(target.admin.password);
    secrets.add(t.runner.adminToken);
    target.initialPasswords.forEach((p) => secrets.add(p));
    vars = {
      TF_VAR_db_host: target.cluster.host,
      TF_VAR_db_port: String(target.cluster.port),
      TF_VAR_db_name: target.database,
      TF_VAR_rotation_admin: target.admin.username,
      TF_VAR_rotation_admin_password: target.admin.password,
      TF_VAR_username1: target.users[0],
      TF_VAR_username2: target.users[1],
    };
    Object.assign(ws.env, vars);
  });

  afterAll(async () => {
    // Leave nothing registered even when a step failed (destroy is also a test below).
    if (ws && fs.existsSync(path.join(ws.dir, "terraform.tfstate")) && ws.state().resources?.length) {
      await ws.run(["destroy", "-auto-approve", "-input=false", "-no-color"]).catch(() => undefined);
    }
    ws?.cleanup();
    await t?.stop();
    await target?.drop();
    const total = timings.reduce((a, x) => a + x.ms, 0);
    process.stderr.write(`[terraform-lifecycle] ${timings.length} terraform commands, ${total} ms: ${timings.map((x) => `${x.cmd} ${x.ms}`).join(", ")}\n`);
  });

  test("When the quickstart is initialised from a filesystem mirror and applied, then a connection and a rotation exist, the precheck's warning is a Terraform warning, and the data source's credentials log in", async () => {
    const init = await ws.ok(["init", "-input=false", "-no-color"]);
    expect(init.output).toContain("Installing pgrotate/pgrotate");
    const plan = await ws.ok(["plan", "-input=false", "-no-color"]);
    expect(plan.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy/);
    expect(plan.stdout).toContain("(sensitive value)");

    const logFile = path.join(ws.root, "apply.log");
    const apply = await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"], { env: { TF_LOG: "TRACE", TF_LOG_PATH: logFile } });
    expect(apply.stdout).toMatch(/Apply complete! Resources: 2 added, 0 changed, 0 destroyed/);
    // The connection role lacks pg_monitor: the runner's precheck warning is a Terraform warning, with the GRANT.
    expect(apply.output).toMatch(/Warning: pgrotate: rotation app-db-credentials created with a warning/);
    expect(apply.output).toContain("GRANT pg_monitor TO");

    const conns = await t.api("GET", CONNECTIONS);
    expect(conns.body.appConnections).toHaveLength(1);
    const rots = await t.api("GET", `${ROTATIONS}?projectId=my-project`);
    expect(rots.body.secretRotations).toHaveLength(1);
    rotationId = rots.body.secretRotations[0].id;
    expect(rots.body.secretRotations[0]).toMatchObject({
      name: "app-db-credentials",
      connectionId: conns.body.appConnections[0].id,
      rotationInterval: 30,
      rotateAtUtc: { hours: 3, minutes: 0 },
      parameters: { username1: target.users[0], username2: target.users[1] },
      activeIndex: 0,
      managedBy: "terraform", // the provider says so (X-Pgrotate-Managed-By): the console marks it
    });
    expect(conns.body.appConnections[0].managedBy).toBe("terraform");

    const out = JSON.parse((await ws.ok(["output", "-json", "-no-color"])).stdout);
    expect(out.rotation_id.value).toBe(rotationId);
    expect(out.active_password.sensitive).toBe(true);
    const creds = await generated(rotationId);
    expect(out.active_username.value).toBe(target.users[0]);
    expect(out.active_password.value === creds.generatedCredentials[0].password).toBe(true);
    expect(await login(out.active_username.value, out.active_password.value)).toBe(true);

    // Nothing secret in what terraform printed or logged (the provider's log lines are in the trace log).
    for (const [text, where] of [[plan.output, "plan output"], [apply.output, "apply output"], [fs.readFileSync(logFile, "utf8"), "TF_LOG=TRACE log"]] as const) expectNoSecret(text, where);
    const log = fs.readFileSync(logFile, "utf8");
    expect(log).toContain("ApplyResourceChange pgrotate_postgres_credentials_rotation done");
  });

  test("After apply, the state marks the passwords and the mapped secrets sensitive, and a second plan reports no changes", async () => {
    const st = ws.state();
    const conn = stateResource(st, "pgrotate_postgres_connection", "db")!;
    const rot = stateResource(st, "pgrotate_postgres_credentials_rotation", "app")!;
    const data = stateResource(st, "pgrotate_postgres_credentials", "app")!;
    const sensitivePaths = (inst: { sensitive_attributes: Array<Array<{ value: string }>> }) => inst.sensitive_attributes.map((p) => p.map((s) => s.value).join("."));
    expect(sensitivePaths(conn as never)).toContain("password");
    expect(sensitivePaths(rot as never)).toContain("secrets");
    expect(sensitivePaths(data as never)).toContain("password");
    expect(rot.attributes).toMatchObject({ id: rotationId, active_index: 0, active_username: target.users[0], rotation_status: "success", revoke_on_delete: false, delete_secrets_on_delete: true });
    expect(Object.keys(rot.attributes.secrets).sort()).toEqual(["POSTGRES_DB_PASSWORD", "POSTGRES_DB_USERNAME"]);

    const show = JSON.parse((await ws.ok(["show", "-json", "-no-color"])).stdout);
    const shown = show.values.root_module.resources.find((r: { address: string }) => r.address === "pgrotate_postgres_connection.db");
    expect(shown.sensitive_values.password).toBe(true);

    const plan = await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    expect(plan.code).toBe(0); // 0 = no changes, 2 = changes
    expect(plan.stdout).toContain("No changes.");
    expectNoSecret(plan.output, "second plan output");
  });

  test("When ssl_certificate is set and then removed from the configuration, the runner's stored CA follows and the next plan is clean", async () => {
    const main = path.join(ws.dir, "main.tf");
    const original = fs.readFileSync(main, "utf8");
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"; // stored only: TLS stays off here
    const anchor = "  password = var.rotation_admin_password\n}";
    expect(original).toContain(anchor);
    const connectionId = String(stateResource(ws.state(), "pgrotate_postgres_connection", "db")!.attributes.id);
    const stored = async () => (await t.api("GET", `${CONNECTIONS}/${connectionId}`)).body.appConnection.credentials.sslCertificate;
    fs.writeFileSync(main, original.replace(anchor, `  password = var.rotation_admin_password\n  ssl_certificate = ${JSON.stringify(pem)}\n}`));
    try {
      await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
      expect(await stored()).toBe(pem);
    } finally {
      fs.writeFileSync(main, original);
    }
    await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    expect(await stored()).toBeUndefined();
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
  });

  test("When allowed_scopes is set, the runner stores the grants, a plan after apply is clean, and removing them withdraws them in place", async () => {
    const main = path.join(ws.dir, "main.tf");
    const original = fs.readFileSync(main, "utf8");
    const anchor = "  password = var.rotation_admin_password\n}";
    const connectionId = String(stateResource(ws.state(), "pgrotate_postgres_connection", "db")!.attributes.id);
    const stored = async () => (await t.api("GET", `${CONNECTIONS}/${connectionId}`)).body.appConnection.allowedScopes;
    const scopes = '  allowed_scopes = [\n    { project_id = "my-project", secret_path = "/team-a" },\n    { project_id = "other", environment = "prod" },\n  ]';
    fs.writeFileSync(main, original.replace(anchor, `  password = var.rotation_admin_password\n${scopes}\n}`));
    try {
      const plan = await ws.ok(["plan", "-input=false", "-no-color"]);
      expect(plan.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);
      await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
      expect(await stored()).toEqual([
        { projectId: "my-project", environment: null, secretPath: "/team-a" },
        { projectId: "other", environment: "prod", secretPath: null },
      ]);
      expect(stateResource(ws.state(), "pgrotate_postgres_connection", "db")!.attributes.allowed_scopes).toEqual([
        { project_id: "my-project", environment: null, secret_path: "/team-a" },
        { project_id: "other", environment: "prod", secret_path: null },
      ]);
      expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
    } finally {
      fs.writeFileSync(main, original);
    }
    const withdraw = await ws.ok(["plan", "-input=false", "-no-color"]);
    expect(withdraw.stdout).toContain("will be updated in-place");
    await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    expect(await stored()).toEqual([]);
    expect(String(stateResource(ws.state(), "pgrotate_postgres_connection", "db")!.attributes.id)).toBe(connectionId);
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
  });

  test("When rotation_interval changes, then the rotation is updated in place (same id, new interval)", async () => {
    ws.env.TF_VAR_rotation_interval = "7";
    const plan = await ws.ok(["plan", "-input=false", "-no-color"]);
    expect(plan.stdout).toContain("will be updated in-place");
    expect(plan.stdout).toMatch(/rotation_interval\s+= 30 -> 7/);
    expect(plan.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);
    await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    const r = await t.api("GET", `${ROTATIONS}/${rotationId}`);
    expect(r.body.secretRotation.rotationInterval).toBe(7);
    expect(stateResource(ws.state(), "pgrotate_postgres_credentials_rotation", "app")!.attributes.id).toBe(rotationId);
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
  });

  test("When rotation_window is set, the runner stores it and the next plan is clean; a window that never opens is refused at plan naming the attribute; removing it removes it in place", async () => {
    const main = path.join(ws.dir, "main.tf");
    const original = fs.readFileSync(main, "utf8");
    const anchor = "  rotate_at_utc     = { hours = 3, minutes = 0 }\n";
    const withWindow = (weekdays: string) =>
      original.replace(anchor, `${anchor}  rotation_window = {\n    weekdays   = ${weekdays}\n    start_time = "22:00"\n    end_time   = "05:00"\n    blackouts  = [{ from = "2030-12-20", to = "2031-01-04", reason = "year end" }, { from = "2031-03-01", to = "2031-03-01" }]\n  }\n`);
    const stored = async () => (await t.api("GET", `${ROTATIONS}/${rotationId}`)).body.secretRotation.rotationWindow;
    try {
      fs.writeFileSync(main, withWindow("[]"));
      const bad = await ws.run(["plan", "-input=false", "-no-color"]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/rotation_window\.weekdays[\s\S]*never opens|never opens[\s\S]*rotation_window/);
      fs.writeFileSync(main, withWindow('["mon", "tue", "wed", "thu", "fri"]'));
      expect((await ws.ok(["plan", "-input=false", "-no-color"])).stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy/);
      await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
      expect(await stored()).toEqual({
        weekdays: ["mon", "tue", "wed", "thu", "fri"],
        startTime: "22:00",
        endTime: "05:00",
        blackouts: [{ from: "2030-12-20", to: "2031-01-04", reason: "year end" }, { from: "2031-03-01", to: "2031-03-01", reason: null }],
      });
      expect(stateResource(ws.state(), "pgrotate_postgres_credentials_rotation", "app")!.attributes.rotation_window).toMatchObject({ weekdays: ["mon", "tue", "wed", "thu", "fri"], start_time: "22:00" });
      expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
    } finally {
      fs.writeFileSync(main, original);
    }
    expect((await ws.ok(["plan", "-input=false", "-no-color"])).stdout).toContain("will be updated in-place");
    await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    expect(await stored()).toBeNull();
    expect(String(stateResource(ws.state(), "pgrotate_postgres_credentials_rotation", "app")!.attributes.id)).toBe(rotationId);
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
  });

  test("When username1 changes, then the rotation is replaced: a new rotation of the new user, the old one deleted", async () => {
    ws.env.TF_VAR_username1 = thirdUser;
    const plan = await ws.ok(["plan", "-input=false", "-no-color"]);
    expect(plan.stdout).toContain("must be replaced");
    expect(plan.stdout).toMatch(/# forces replacement/);
    expect(plan.stdout).toMatch(/Plan: 1 to add, 0 to change, 1 to destroy/);
    await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    const rots = (await t.api("GET", `${ROTATIONS}?projectId=my-project`)).body.secretRotations;
    expect(rots).toHaveLength(1);
    expect(rots[0].id).not.toBe(rotationId);
    expect(rots[0].parameters.username1).toBe(thirdUser);
    expect((await t.api("GET", `${ROTATIONS}/${rotationId}`)).status).toBe(404);
    rotationId = rots[0].id;
    const out = JSON.parse((await ws.ok(["output", "-json", "-no-color"])).stdout);
    expect(out.active_username.value).toBe(thirdUser);
    await generated(rotationId);
    expect(await login(thirdUser, out.active_password.value)).toBe(true);
  });

  test("When destroyed with revoke_on_delete, then the runner holds nothing and the generated passwords no longer log in", async () => {
    ws.env.TF_VAR_revoke_on_delete = "true";
    await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]); // records revoke_on_delete in the state
    const creds = await generated(rotationId);
    const destroy = await ws.ok(["destroy", "-auto-approve", "-input=false", "-no-color"]);
    expect(destroy.stdout).toMatch(/Destroy complete! Resources: 2 destroyed/);
    expectNoSecret(destroy.output, "destroy output");
    expect((await t.api("GET", `${ROTATIONS}?projectId=my-project`)).body.secretRotations).toHaveLength(0);
    expect((await t.api("GET", CONNECTIONS)).body.appConnections).toHaveLength(0);
    for (const c of creds.generatedCredentials) expect(await login(c.username, c.password)).toBe(false);
    // delete_secrets_on_delete defaults to true: the mapped secrets went with the rotation.
    expect((await t.api("GET", "/api/v3/secrets/raw?workspaceId=my-project&environment=dev&secretPath=/")).body.secrets).toEqual([]);
  });
});
