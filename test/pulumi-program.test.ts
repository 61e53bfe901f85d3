/**
 * Program level: the quickstart program under `pulumi.runtime.setMocks` (no Pulumi CLI, no runner).
 */
import * as pulumi from "@pulumi/pulumi";
import { registeredAtLeast, type Registered, useMocks, valueOf } from "./helpers/pulumi-mocks";

// The example imports the package by name, as a user's project does. In this file jest.config.js resolves the
// name to this checkout's sources (the program's semantics); test/package.test.ts runs the same program against
// the packed tarball installed into a copy of the example.

const TOKEN = "tok-program-3f9c2a7d81e54b06";
const ADMIN_PASSWORD = "admin-pw-5b1e0c9d7a2f4e68";

const unsecret = (v: any) => (v && typeof v === "object" && "value" in v && Object.keys(v).some((k) => k.length === 32) ? v.value : v);

describe("The Pulumi quickstart program (mocks)", () => {
  let registered: Registered[];
  let program: Record<string, pulumi.Output<any>>;
  const savedToken = process.env.PGROTATE_TOKEN;

  beforeAll(async () => {
    // A token in the environment of the program must not travel into the serialized provider either.
    process.env.PGROTATE_TOKEN = TOKEN;
    registered = useMocks({
      config: {
        "pgrotate:runnerUrl": "http://127.0.0.1:8080",
        "pgrotate:token": TOKEN,
        "pgrotate-quickstart:dbName": "app",
        "pgrotate-quickstart:dbAdminUser": "rotation_admin",
        "pgrotate-quickstart:dbAdminPassword": ADMIN_PASSWORD,
        "pgrotate-quickstart:username1": "app_user_1",
        "pgrotate-quickstart:username2": "app_user_2",
      },
      secretKeys: ["pgrotate:token", "pgrotate-quickstart:dbAdminPassword"],
    });
    program = jest.requireActual("../examples/pulumi-quickstart/index");
    await valueOf(program.secrets);
    await registeredAtLeast(registered, 2);
  });

  afterAll(() => {
    if (savedToken === undefined) delete process.env.PGROTATE_TOKEN;
    else process.env.PGROTATE_TOKEN = savedToken;
  });

  const byType = (suffix: string) => {
    const r = registered.find((x) => x.type.endsWith(suffix));
    if (!r) throw new Error(`no ${suffix} registered (have ${registered.map((x) => x.type).join(", ")})`);
    return r;
  };

  test("When the program runs, it registers a PostgresConnection and a PostgresCredentialsRotation that uses it", async () => {
    expect(registered.map((r) => r.type).sort()).toEqual([
      "pulumi-nodejs:dynamic/pgrotate:PostgresConnection",
      "pulumi-nodejs:dynamic/pgrotate:PostgresCredentialsRotation",
    ]);
    const conn = byType(":PostgresConnection");
    expect(conn.inputs).toMatchObject({ name: "quickstart-db", host: "127.0.0.1", port: 5432, database: "app", username: "rotation_admin", sslEnabled: false });
    const rot = byType(":PostgresCredentialsRotation");
    expect(rot.inputs).toMatchObject({
      name: "quickstart-app-credentials",
      projectId: "quickstart",
      environment: "dev",
      secretPath: "/",
      rotationInterval: 30,
      rotateAtUtc: { hours: 3, minutes: 0 },
      parameters: { username1: "app_user_1", username2: "app_user_2" },
      secretsMapping: { username: "DB_USERNAME", password: "DB_PASSWORD" },
      revokeOnDelete: false,
    });
    expect(rot.inputs.connectionId).toBe(await valueOf(program.connectionId));
    expect(await valueOf(program.rotationId)).toBe("rot-app-db-credentials");
    expect(await valueOf(program.activeUsername)).toBe("app_user_1");
  });

  test("The exported secrets output is a Pulumi secret keyed by the secretsMapping names; the other outputs are not secret", async () => {
    expect(await pulumi.isSecret(program.secrets)).toBe(true);
    expect(await valueOf(program.secrets)).toEqual({ DB_USERNAME: "app_user_1", DB_PASSWORD: "mock-active-password" });
    expect(await pulumi.isSecret(program.activeUsername)).toBe(false);
    expect(await pulumi.isSecret(program.nextRotationAt)).toBe(false);
  });

  test("The connection's password goes to the engine as a secret input", async () => {
    const conn = byType(":PostgresConnection");
    expect(unsecret(conn.inputs.password) === ADMIN_PASSWORD).toBe(true);
    expect(conn.inputs.password === ADMIN_PASSWORD).toBe(false); // wrapped as a secret, not plaintext
  });

  test("The serialized providers hold no token, no password and no captured secret: only code that loads pgrotate/provider", () => {
    for (const r of registered) {
      const provider = r.inputs.__provider;
      expect(typeof provider).toBe("string"); // a secret-capturing closure would arrive wrapped as a secret
      expect(provider).toContain("exports.handler");
      expect(provider).toContain('require("pgrotate/provider")');
      expect(provider.includes(TOKEN)).toBe(false);
      expect(provider.includes(ADMIN_PASSWORD)).toBe(false);
      expect(provider).not.toContain("http://127.0.0.1:8080");
    }
  });

  test("A rotation asks the engine to keep `secrets` secret in the state, a connection its `password` (additionalSecretOutputs)", async () => {
    const { PostgresConnection, PostgresCredentialsRotation } = jest.requireActual<typeof import("../provider")>("../provider");
    const seen: Record<string, string[] | undefined> = {};
    const record = (a: pulumi.ResourceTransformationArgs) => {
      seen[a.type] = (a.opts as pulumi.CustomResourceOptions).additionalSecretOutputs;
      return undefined;
    };
    const conn = new PostgresConnection("extra-conn", { name: "x", host: "h", port: 5432, database: "d", username: "u", password: "p" }, { transformations: [record] });
    const rot = new PostgresCredentialsRotation(
      "extra-rot",
      { name: "x", connectionId: conn.connectionId, rotationInterval: 1, parameters: { username1: "a", username2: "b" }, secretsMapping: { username: "U", password: "P" } },
      { transformations: [record], additionalSecretOutputs: ["activeUsername"] },
    );
    await valueOf(rot.secrets);
    expect(seen["pulumi-nodejs:dynamic/pgrotate:PostgresConnection"]).toEqual(["password"]);
    expect(seen["pulumi-nodejs:dynamic/pgrotate:PostgresCredentialsRotation"]).toEqual(expect.arrayContaining(["secrets", "activeUsername"]));
    expect(await pulumi.isSecret(conn.password)).toBe(true);
  });
});
