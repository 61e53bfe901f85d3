/**
 * Every response body pgrotate serves on Infisical's routes carries every field Infisical documents for it
 * (its OpenAPI: the `required` lists of the postgres-credentials rotation, app connection, raw secret and
 * universal-auth login responses), with the documented JSON types. pgrotate's own extra fields may follow.
 */
import { withClient } from "./helpers/pg";
import { startTestRunner, type TestRunner } from "./helpers/runner";
import { createTarget, infisicalCreateBody, type Target } from "./helpers/target";

const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const CONNECTIONS = "/api/v1/app-connections/postgres";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Kind = "uuid" | "string" | "number" | "boolean" | "date" | "null" | "array" | `${"string" | "date" | "uuid"}|null` | { [field: string]: Kind };

/** The mismatches of `value` against `spec`, as "path: expected kind, got value" lines (none = it matches). */
function mismatches(value: unknown, spec: Kind, path = "$"): string[] {
  if (typeof spec === "object") {
    if (!value || typeof value !== "object") return [`${path}: expected an object, got ${JSON.stringify(value)}`];
    return Object.entries(spec).flatMap(([k, s]) => (k in value ? mismatches((value as Record<string, unknown>)[k], s, `${path}.${k}`) : [`${path}.${k}: missing`]));
  }
  const ok = spec.split("|").some((k) => {
    if (k === "null") return value === null;
    if (k === "uuid") return typeof value === "string" && UUID.test(value);
    if (k === "date") return typeof value === "string" && !Number.isNaN(Date.parse(value)) && /T.*Z$/.test(value);
    if (k === "array") return Array.isArray(value);
    return typeof value === k;
  });
  return ok ? [] : [`${path}: expected ${spec}, got ${JSON.stringify(value)}`];
}

const ROTATION: Kind = {
  id: "uuid", name: "string", description: "string|null", folderId: "uuid", connectionId: "uuid", createdAt: "date", updatedAt: "date",
  rotationInterval: "number", rotationStatus: "string", lastRotationAttemptedAt: "date", lastRotatedAt: "date",
  connection: { app: "string", name: "string", id: "uuid" }, environment: { slug: "string", name: "string", id: "uuid" },
  projectId: "string", folder: { id: "string", path: "string" }, rotateAtUtc: { hours: "number", minutes: "number" },
  type: "string", parameters: { username1: "string", username2: "string" }, secretsMapping: { username: "string", password: "string" },
  isAutoRotationEnabled: "boolean", activeIndex: "number", lastRotationJobId: "string|null", nextRotationAt: "date|null",
  isLastRotationManual: "boolean", lastRotationMessage: "string|null",
};
const CONNECTION: Kind = {
  id: "uuid", name: "string", orgId: "uuid", createdAt: "date", updatedAt: "date", app: "string", method: "string",
  credentials: { host: "string", database: "string", port: "number", username: "string", sslEnabled: "boolean", sslRejectUnauthorized: "boolean" },
  description: "string|null", version: "number", isPlatformManagedCredentials: "boolean", gatewayId: "uuid|null", projectId: "string|null",
};
const RAW_SECRET: Kind = {
  id: "string", _id: "string", workspace: "string", environment: "string", version: "number", type: "string", secretKey: "string",
  secretValue: "string", secretComment: "string", secretValueHidden: "boolean", createdAt: "date", updatedAt: "date",
  secretReminderNote: "string|null", secretReminderRepeatDays: "null", skipMultilineEncoding: "boolean", isRotatedSecret: "boolean",
  rotationId: "uuid|null", tags: "array", secretMetadata: "array",
};

describe("Response bodies against Infisical's documented responses", () => {
  let t: TestRunner;
  let target: Target;
  let connectionId: string;
  let rotationId: string;

  beforeAll(async () => {
    target = await createTarget({ prefix: "shapes" });
    t = await startTestRunner();
  });
  afterAll(async () => {
    await t?.stop();
    await target?.drop();
  });

  test("App connection: create, get, get by name, list, update and delete answer 200 with every documented field", async () => {
    const created = await t.api("POST", CONNECTIONS, target.connectionBody("shapes-conn"));
    expect(created.status).toBe(200);
    connectionId = created.body.appConnection.id;
    const answers = [
      created.body.appConnection,
      (await t.api("GET", `${CONNECTIONS}/${connectionId}`)).body.appConnection,
      (await t.api("GET", `${CONNECTIONS}/connection-name/shapes-conn`)).body.appConnection,
      (await t.api("GET", CONNECTIONS)).body.appConnections[0],
      (await t.api("PATCH", `${CONNECTIONS}/${connectionId}`, { description: "shapes" })).body.appConnection,
    ];
    for (const a of answers) expect(mismatches(a, CONNECTION)).toEqual([]);
    expect(answers[2].id).toBe(connectionId);
    expect((await t.api("GET", `${CONNECTIONS}/connection-name/no-such-connection`)).status).toBe(404);
  });

  test("Rotation: create, get, get by name, list, update, rotate and delete answer 200 with every documented field; folderId is folder.id", async () => {
    const created = await t.api("POST", ROTATIONS, infisicalCreateBody(connectionId, target.users));
    expect(created.status).toBe(200);
    rotationId = created.body.secretRotation.id;
    const answers = [
      created.body.secretRotation,
      (await t.api("GET", `${ROTATIONS}/${rotationId}`)).body.secretRotation,
      (await t.api("GET", `${ROTATIONS}/rotation-name/my-pg-rotation?projectId=my-project&environment=dev&secretPath=/`)).body.secretRotation,
      (await t.api("GET", `${ROTATIONS}?projectId=my-project`)).body.secretRotations[0],
      (await t.api("PATCH", `${ROTATIONS}/${rotationId}`, { description: "shapes" })).body.secretRotation,
      (await t.api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`)).body.secretRotation,
    ];
    for (const a of answers) {
      expect(mismatches(a, ROTATION)).toEqual([]);
      expect(a.folderId).toBe(a.folder.id);
    }
  });

  test("Generated credentials: one or two { username, password }, activeIndex, rotationId and type; 409 while the rotation is still being created", async () => {
    const res = await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`);
    expect(mismatches(res.body, { activeIndex: "number", rotationId: "uuid", type: "string", generatedCredentials: "array" })).toEqual([]);
    expect(res.body.generatedCredentials).toHaveLength(2);
    for (const c of res.body.generatedCredentials) expect(mismatches(c, { username: "string", password: "string" })).toEqual([]);
    await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET rotation_status = 'pending' WHERE id = $1", [rotationId]));
    const pending = await t.api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`);
    expect([pending.status, pending.body.error]).toEqual([409, "Conflict"]);
    await withClient(t.storeUrl, (c) => c.query("UPDATE rotations SET rotation_status = 'success' WHERE id = $1", [rotationId]));
  });

  test("Raw secrets: the list and the one by name carry every documented field, secretValueHidden false and the rotation they come from", async () => {
    const list = await t.api("GET", "/api/v3/secrets/raw?workspaceId=my-project&environment=dev&secretPath=/");
    expect(list.status).toBe(200);
    expect(list.body.imports).toEqual([]);
    const one = await t.api("GET", "/api/v3/secrets/raw/POSTGRES_DB_PASSWORD?workspaceId=my-project&environment=dev&secretPath=/");
    for (const s of [...list.body.secrets, one.body.secret]) {
      expect(mismatches(s, RAW_SECRET)).toEqual([]);
      expect(s).toMatchObject({ secretValueHidden: false, isRotatedSecret: true, rotationId });
    }
  });

  test("Universal-auth login: accessToken, expiresIn, accessTokenMaxTTL and tokenType; Infisical's optional subOrganizationName is accepted", async () => {
    const identity = (await t.api("POST", "/api/v1/auth/identities", { name: "shapes-app", permission: "read" })).body;
    const res = await t.api("POST", "/api/v1/auth/universal-auth/login", { clientId: identity.clientId, clientSecret: identity.clientSecret, subOrganizationName: "ignored" }, { token: null });
    expect(res.status).toBe(200);
    expect(mismatches(res.body, { accessToken: "string", expiresIn: "number", accessTokenMaxTTL: "number", tokenType: "string" })).toEqual([]);
    expect(res.body.tokenType).toBe("Bearer");
  });

  test("Delete answers the deleted rotation and connection with every documented field", async () => {
    const r = await t.api("DELETE", `${ROTATIONS}/${rotationId}?deleteSecrets=true`);
    expect(mismatches(r.body.secretRotation, ROTATION)).toEqual([]);
    const c = await t.api("DELETE", `${CONNECTIONS}/${connectionId}`);
    expect(mismatches(c.body.appConnection, CONNECTION)).toEqual([]);
  });
});
