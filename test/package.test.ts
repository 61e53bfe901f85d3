/**
 * The package users install: `npm pack` of this checkout, installed into fresh copies of the examples, as a
 * user's project would install it. Nothing here resolves `pgrotate` to the sources: every check runs the
 * installed tarball (its compiled code, migrations, protocol files, bins and type declarations).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { secretValue, startProviderHost, urnOf } from "./helpers/pulumi-host";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, type Target } from "./helpers/target";
import { createWorkspace, TERRAFORM_BLOCK } from "./helpers/terraform-harness";

const run = promisify(execFile);
const REPO = path.resolve(__dirname, "..");
const TOKEN = "tok-package-7c4e1f0a9b2d4e36";

/** Runs a command, failing with its output (stdout and stderr) when it exits non-zero. */
async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, env, maxBuffer: 32 * 1024 * 1024, timeout: 240_000 });
    return stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed: ${x.message}\n${x.stdout ?? ""}\n${x.stderr ?? ""}`, { cause: e });
  }
}

/** A fresh copy of an example (without anything installed or built) with the packed tarball installed. */
async function installedCopy(work: string, example: string, tarball: string): Promise<string> {
  const dir = path.join(work, example);
  fs.cpSync(path.join(REPO, "examples", example), dir, { recursive: true, filter: (src) => !/node_modules|[\\/](dist|bin)$/.test(src) });
  // Its own dependencies plus the tarball, from npm's cache where it has them (npm ci filled it); no install scripts.
  await sh("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], dir);
  return dir;
}

describe("The packed package, installed into fresh copies of the examples", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-pack-"));
  let files: string[];
  let tarball: string;
  let quickstart: string;
  let consumer: string;

  beforeAll(async () => {
    // dist/ is fresh: npm test builds it in pretest (npm pack would build again in prepack).
    const packed = JSON.parse(await sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], REPO)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = packed[0].files.map((f) => f.path);
    tarball = path.join(work, packed[0].filename);
    [quickstart, consumer] = await Promise.all([installedCopy(work, "pulumi-quickstart", tarball), installedCopy(work, "app-consumer", tarball)]);
  }, 600_000);

  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("The tarball holds the compiled code, its declarations, the SQL migrations, the protocol files, the built web console, both bins, the README with the docs it links to, the changelog, the security policy and the LICENSE, and no tests or sources", () => {
    for (const f of [
      "package.json", "README.md", "LICENSE", "CHANGELOG.md", "SECURITY.md", "docs/getting-started.md", "docs/troubleshooting.md", "bin/terraform-provider-pgrotate",
      "dist/runner/cli.js", "dist/runner/index.js", "dist/runner/index.d.ts", "dist/provider/index.js", "dist/provider/index.d.ts",
      "dist/provider/terraform/main.js", "dist/provider/terraform/tfplugin6.proto", "dist/provider/terraform/go-plugin.proto",
      "dist/runner/store/migrations/001_init.sql", "dist/console/index.html", "dist/pg/index.js", "dist/pg/index.d.ts",
    ]) {
      expect([f, files.includes(f)]).toEqual([f, true]);
    }
    const migrations = fs.readdirSync(path.join(REPO, "runner/store/migrations")).filter((f) => f.endsWith(".sql"));
    for (const m of migrations) expect(files).toContain(`dist/runner/store/migrations/${m}`);
    const consoleAssets = fs.readdirSync(path.join(REPO, "dist/console/assets"));
    expect(consoleAssets.some((a) => a.endsWith(".js"))).toBe(true);
    for (const a of consoleAssets) expect(files).toContain(`dist/console/assets/${a}`);
    const unwanted = files.filter((f) => /^(test|bench|examples|runner|provider|pg|scripts|console|\.ci)\//.test(f) || /^dist\/(examples|bench)\//.test(f) || /\.map$/.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)));
    expect(unwanted).toEqual([]);
  });

  test("The Pulumi quickstart type-checks against the installed package (TypeScript's default module resolution)", async () => {
    await sh(path.join(quickstart, "node_modules/.bin/tsc"), ["--noEmit", "-p", "."], quickstart);
  });

  test("The app consumer type-checks and builds against the installed package", async () => {
    await sh(path.join(consumer, "node_modules/.bin/tsc"), ["-p", "."], consumer);
  });

  test("An application that installs pgrotate for pgrotate/pg gets no Pulumi: @pulumi/pulumi is an optional peer, which the Pulumi quickstart brings itself", () => {
    expect(fs.existsSync(path.join(consumer, "node_modules/@pulumi"))).toBe(false);
    expect(fs.existsSync(path.join(quickstart, "node_modules/@pulumi/pulumi/package.json"))).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(path.join(consumer, "node_modules/pgrotate/package.json"), "utf8")) as Record<string, Record<string, unknown> | undefined>;
    expect([manifest.dependencies?.["@pulumi/pulumi"], manifest.peerDependenciesMeta?.["@pulumi/pulumi"]]).toEqual([undefined, { optional: true }]);
  });

  test("pgrotate --help runs from the installed bin, without Pulumi installed, and lists the serve command", async () => {
    const out = await sh(path.join(consumer, "node_modules/.bin/pgrotate"), ["--help"], consumer);
    expect(out).toMatch(/Usage: pgrotate/);
    expect(out).toMatch(/serve/);
  });

  test("terraform reads the provider schema from the installed copy, without Pulumi installed (dev_overrides on its bin folder)", async () => {
    const ws = createWorkspace({ mode: "dev_overrides" });
    try {
      const bin = path.join(consumer, "node_modules/pgrotate/bin");
      fs.writeFileSync(ws.env.TF_CLI_CONFIG_FILE!, `provider_installation {\n  dev_overrides {\n    "pgrotate/pgrotate" = ${JSON.stringify(bin)}\n  }\n  direct {}\n}\n`);
      ws.write(`${TERRAFORM_BLOCK}\nprovider "pgrotate" {}\n`);
      const schema = JSON.parse((await ws.ok(["providers", "schema", "-json"])).stdout) as { provider_schemas: Record<string, { resource_schemas: Record<string, unknown>; data_source_schemas: Record<string, unknown> }> };
      const ours = schema.provider_schemas["registry.terraform.io/pgrotate/pgrotate"];
      expect(Object.keys(ours.resource_schemas).sort()).toEqual(["pgrotate_postgres_connection", "pgrotate_postgres_credentials_rotation"]);
      expect(Object.keys(ours.data_source_schemas)).toEqual(["pgrotate_postgres_credentials"]);
    } finally {
      ws.cleanup();
    }
  });

  describe("The quickstart program under setMocks, with the installed package, then its serialized providers in Pulumi's plugin host", () => {
    let registered: Array<{ type: string; name: string; inputs: Record<string, unknown> }>;
    let t: TestRunner;
    let target: Target;

    beforeAll(async () => {
      await sh(path.join(quickstart, "node_modules/.bin/tsc"), ["-p", "."], quickstart); // compiles index.ts to bin/index.js
      // The program runs on the copy's own @pulumi/pulumi, which requires pgrotate/provider from the copy.
      fs.writeFileSync(path.join(quickstart, "run-with-mocks.js"), `
const pulumi = require("@pulumi/pulumi");
const registered = [];
pulumi.runtime.setAllConfig({
  "pgrotate:runnerUrl": "http://127.0.0.1:1", "pgrotate:token": ${JSON.stringify(TOKEN)},
  "pgrotate-quickstart:dbName": "app", "pgrotate-quickstart:dbAdminUser": "rotation_admin",
  "pgrotate-quickstart:dbAdminPassword": "admin-pw-for-mocks", "pgrotate-quickstart:username1": "app_user_1",
  "pgrotate-quickstart:username2": "app_user_2",
}, ["pgrotate:token", "pgrotate-quickstart:dbAdminPassword"]);
pulumi.runtime.setMocks({
  newResource: (a) => { registered.push({ type: a.type, name: a.name, inputs: a.inputs }); return { id: a.name + "-id", state: { ...a.inputs, connectionId: "00000000-0000-4000-8000-000000000001" } }; },
  call: (a) => a.inputs,
}, "pgrotate-quickstart", "test", false);
require("./bin/index.js");
const until = Date.now() + 20000;
const done = setInterval(() => {
  if (registered.length < 2 && Date.now() < until) return;
  clearInterval(done);
  process.stdout.write(JSON.stringify(registered));
}, 20);
`);
      registered = JSON.parse(await sh(process.execPath, ["run-with-mocks.js"], quickstart)) as typeof registered;
      target = await createTarget({ prefix: "pack" });
      t = await startTestRunner({ logLevel: "warn" });
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      await target?.drop();
    });

    const input = (suffix: string) => {
      const r = registered.find((x) => x.type.endsWith(suffix));
      if (!r) throw new Error(`no ${suffix} registered (have ${registered.map((x) => x.type).join(", ")})`);
      return r.inputs;
    };
    /** The serialized provider code (under mocks it is wrapped as a secret when the code captured one). */
    const providerCode = (suffix: string): string => {
      const p = input(suffix).__provider as string | { value: string };
      return typeof p === "string" ? p : p.value;
    };

    test("The program registers the connection and the rotation, and their serialized providers load pgrotate/provider by name and hold no token", () => {
      expect(registered.map((r) => r.type).sort()).toEqual(["pulumi-nodejs:dynamic/pgrotate:PostgresConnection", "pulumi-nodejs:dynamic/pgrotate:PostgresCredentialsRotation"]);
      expect(input(":PostgresCredentialsRotation")).toMatchObject({ name: "quickstart-app-credentials", parameters: { username1: "app_user_1", username2: "app_user_2" } });
      for (const suffix of [":PostgresConnection", ":PostgresCredentialsRotation"]) {
        const code = providerCode(suffix);
        expect(code).toContain("pgrotate/provider");
        expect(code.includes(TOKEN)).toBe(false);
      }
    });

    test("In Pulumi's plugin host running in the copy, the serialized providers validate with the installed package's schemas and create a connection on a real runner", async () => {
      const host = await startProviderHost({ cwd: quickstart, env: { ...process.env, PGROTATE_URL: "", PGROTATE_TOKEN: "" } });
      try {
        await host.configure({ "pgrotate:runnerUrl": t.runner.url, "pgrotate:token": secretValue(t.runner.adminToken) });
        const rotation = { ...input(":PostgresCredentialsRotation"), __provider: providerCode(":PostgresCredentialsRotation") };
        const rotUrn = urnOf("PostgresCredentialsRotation", "app-db-credentials");
        expect((await host.check(rotUrn, {}, { ...rotation, connectionId: "3b241101-e2bb-4255-8caf-4136c566a962" })).failures).toEqual([]);
        const bad = await host.check(rotUrn, {}, { ...rotation, name: "Not A Slug", connectionId: "3b241101-e2bb-4255-8caf-4136c566a962" });
        expect(bad.failures.map((f) => f.property)).toContain("name");

        const connUrn = urnOf("PostgresConnection", "app-db");
        const creds = target.connectionBody("pack-conn").credentials as Record<string, unknown>;
        const created = await host.create(connUrn, { __provider: providerCode(":PostgresConnection"), name: "pack-conn", ...creds });
        expect((await t.api("GET", `/api/v1/app-connections/postgres/${created.id}`)).body.appConnection.name).toBe("pack-conn");
        await host.delete(connUrn, created.id, created.properties);
        expect((await t.api("GET", `/api/v1/app-connections/postgres/${created.id}`)).status).toBe(404);
      } finally {
        await host.stop();
      }
    });
  });
});
