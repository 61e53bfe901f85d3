/**
 * The CDKTF quickstart (examples/cdktf-quickstart) synthesized in-process with the npm cdktf library (no
 * cdktf CLI), and the synthesized JSON applied with the real terraform binary against a real runner.
 */
import fs from "node:fs";
import path from "node:path";
import { synth } from "../examples/cdktf-quickstart/main";
import { canLogin } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, type Target } from "./helpers/target";
import { createWorkspace, requireTerraform, timings, type TfWorkspace } from "./helpers/terraform-harness";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";

describe("CDKTF quickstart: synthesized in-process, applied with terraform", () => {
  let t: TestRunner;
  let target: Target;
  let ws: TfWorkspace;
  let stackDir = "";

  beforeAll(async () => {
    requireTerraform();
    target = await createTarget({ prefix: "cdktf" });
    t = await startTestRunner({ logLevel: "warn" });
    ws = createWorkspace({ runnerUrl: t.runner.url, token: t.runner.adminToken, mode: "mirror" });
  });

  afterAll(async () => {
    if (stackDir && fs.existsSync(path.join(ws.dir, "terraform.tfstate")) && ws.state().resources?.length) {
      await ws.run(["destroy", "-auto-approve", "-input=false", "-no-color"]).catch(() => undefined);
    }
    ws?.cleanup();
    await t?.stop();
    await target?.drop();
    process.stderr.write(`[terraform-cdktf] ${timings.map((x) => `${x.cmd} ${x.ms}`).join(", ")}\n`);
  });

  test("When the CDKTF app is synthesized in-process, then it declares the provider, both resources and the data source, without the connection password", () => {
    stackDir = synth(path.join(ws.root, "cdktf.out"), {
      dbHost: target.cluster.host,
      dbPort: target.cluster.port,
      dbName: target.database,
      rotationAdmin: target.admin.username,
      username1: target.users[0],
      username2: target.users[1],
      rotationInterval: 14,
    });
    const file = path.join(stackDir, "cdk.tf.json");
    const text = fs.readFileSync(file, "utf8");
    expect(text.includes(target.admin.password)).toBe(false);
    const json = JSON.parse(text);
    expect(json.terraform.required_providers.pgrotate.source).toBe("pgrotate/pgrotate");
    expect(json.resource.pgrotate_postgres_connection.db).toMatchObject({ host: target.cluster.host, port: target.cluster.port, password: "${var.rotation_admin_password}" });
    expect(json.resource.pgrotate_postgres_credentials_rotation.app).toMatchObject({
      connection_id: "${pgrotate_postgres_connection.db.id}",
      rotation_interval: 14,
      parameters: { username1: target.users[0], username2: target.users[1] },
    });
    expect(json.data.pgrotate_postgres_credentials.active.rotation_id).toBe("${pgrotate_postgres_credentials_rotation.app.id}");
    expect(json.variable.rotation_admin_password.sensitive).toBe(true);
    fs.copyFileSync(file, path.join(ws.dir, "cdk.tf.json"));
  });

  test("When the synthesized JSON is applied, then the rotation exists on the runner, its credentials log in, and a second plan has no changes", async () => {
    expect(stackDir).not.toBe("");
    ws.env.TF_VAR_rotation_admin_password = target.admin.password;
    await ws.ok(["init", "-input=false", "-no-color"]);
    const apply = await ws.ok(["apply", "-auto-approve", "-input=false", "-no-color"]);
    expect(apply.stdout).toMatch(/Apply complete! Resources: 2 added/);
    expect(apply.output.includes(target.admin.password)).toBe(false);
    const rots = (await t.api("GET", `${ROTATIONS}?projectId=my-project`)).body.secretRotations;
    expect(rots).toHaveLength(1);
    expect(rots[0]).toMatchObject({ name: "app-db-credentials", rotationInterval: 14, parameters: { username1: target.users[0], username2: target.users[1] } });
    const out = JSON.parse((await ws.ok(["output", "-json", "-no-color"])).stdout);
    expect(out.rotation_id.value).toBe(rots[0].id);
    expect(out.active_username.value).toBe(target.users[0]);
    expect(await canLogin(target.cluster, target.database, out.active_username.value, out.active_password.value)).toBe(true);
    expect((await ws.run(["plan", "-detailed-exitcode", "-input=false", "-no-color"])).code).toBe(0);
    const destroy = await ws.ok(["destroy", "-auto-approve", "-input=false", "-no-color"]);
    expect(destroy.stdout).toMatch(/Destroy complete! Resources: 2 destroyed/);
    expect((await t.api("GET", `${ROTATIONS}?projectId=my-project`)).body.secretRotations).toHaveLength(0);
  });
});
