/** The provider's pure parts: cty msgpack values (unknowns), planning, and validation diagnostics. */
import { encode, ExtData } from "@msgpack/msgpack";
import { toApiBody, zodDiagnostics } from "../provider/terraform/diagnostics";
import { planResource } from "../provider/terraform/plan";
import { connectionResource, rotationResource } from "../provider/terraform/resources";
import { connectionSchema, rotationSchema } from "../provider/terraform/schema";
import { UNKNOWN, conform, decodeMsgpack, encodeMsgpack, isUnknown, type ObjectValue } from "../provider/terraform/values";
import { createRotationSchema } from "../runner/schemas";

const config = (over: ObjectValue = {}): ObjectValue =>
  conform(rotationSchema.attributes, {
    name: "app",
    connection_id: "7dbb90e7-ac45-4674-8f55-adfa09e93050",
    rotation_interval: 30,
    parameters: { username1: "a", username2: "b" },
    secrets_mapping: { username: "U", password: "P" },
    ...over,
  });

describe("cty msgpack values", () => {
  test.each([
    ["an unknown (extension 0)", new ExtData(0, new Uint8Array([0]))],
    ["a refined unknown (extension 12)", new ExtData(12, new Uint8Array([0x81, 0x01, 0xc3]))],
  ])("When Terraform sends %s, then it decodes to UNKNOWN", (_, ext) => {
    const v = decodeMsgpack(encode({ id: ext, name: "x" }));
    expect(isUnknown((v as ObjectValue).id)).toBe(true);
    expect((v as ObjectValue).name).toBe("x");
  });

  test("An object with unknown, null, nested and number values survives encode/decode", () => {
    const v = { id: UNKNOWN, description: null, rotate_at_utc: { hours: 3, minutes: 0 }, interval: 7.5, on: true };
    expect(decodeMsgpack(encodeMsgpack(v))).toEqual(v);
    expect([...encodeMsgpack({ x: UNKNOWN })].slice(-3)).toEqual([0xd4, 0x00, 0x00]); // fixext1, type 0
  });

  test("conform fills every schema attribute with null and drops unknown keys", () => {
    const c = conform(rotationSchema.attributes, { name: "x", bogus: 1 });
    expect(Object.keys(c)).toEqual(rotationSchema.attributes.map((a) => a.name));
    expect(c.parameters).toBeNull();
    expect("bogus" in c).toBe(false);
  });
});

describe("planning", () => {
  const defaults = rotationResource.dynamicDefaults;

  test("On create, optional+computed attributes left out get their defaults and computed ones are unknown", () => {
    const { planned, requiresReplace } = planResource(rotationSchema, null, config(), defaults);
    const p = planned as ObjectValue;
    expect(p).toMatchObject({ project_id: "default", environment: "dev", secret_path: "/", is_auto_rotation_enabled: true, drift_repair: "reapply", max_hold_hours: 24, revoke_on_delete: false, delete_secrets_on_delete: true, rotate_at_utc: { hours: 0, minutes: 0 } });
    expect(isUnknown(p.id)).toBe(true);
    expect(isUnknown(p.secrets)).toBe(true);
    expect(requiresReplace).toEqual([]);
  });

  test("With rotate_at and time_zone, rotate_at_utc is planned null", () => {
    const p = planResource(rotationSchema, null, config({ rotate_at: { hours: 2, minutes: 30 }, time_zone: "Europe/Berlin" }), defaults).planned as ObjectValue;
    expect(p.rotate_at_utc).toBeNull();
  });

  const applied = () => {
    const p = planResource(rotationSchema, null, config(), defaults).planned as ObjectValue;
    const state: ObjectValue = {};
    for (const [k, v] of Object.entries(p)) state[k] = isUnknown(v) ? (k === "active_index" ? 0 : k === "secrets" ? { U: "a", P: "pw" } : `${k}-value`) : v;
    return state;
  };

  test("When nothing changed, the plan equals the prior state", () => {
    const prior = applied();
    expect(planResource(rotationSchema, prior, config(), defaults).planned).toEqual(prior);
  });

  test("When the interval changes, computed values become unknown but id and created_at stay, and nothing forces replacement", () => {
    const prior = applied();
    const { planned, requiresReplace } = planResource(rotationSchema, prior, config({ rotation_interval: 7 }), defaults);
    const p = planned as ObjectValue;
    expect(p.rotation_interval).toBe(7);
    expect(p.id).toBe(prior.id);
    expect(p.created_at).toBe(prior.created_at);
    expect(isUnknown(p.updated_at)).toBe(true);
    expect(requiresReplace).toEqual([]);
  });

  test.each([
    ["parameters.username1", { parameters: { username1: "c", username2: "b", password_requirements: null } }, [["parameters", "username1"]]],
    ["connection_id", { connection_id: UNKNOWN }, [["connection_id"]]],
    ["project_id", { project_id: "other" }, [["project_id"]]],
    ["environment", { environment: "prod" }, [["environment"]]],
    ["secret_path", { secret_path: "/app" }, [["secret_path"]]],
  ])("A change of %s forces replacement", (_, over, paths) => {
    expect(planResource(rotationSchema, applied(), config(over as ObjectValue), defaults).requiresReplace).toEqual(paths);
  });
});

describe("validation with the runner's schemas", () => {
  test("Unknown values are not validated; known bad ones point at their attribute in snake_case", () => {
    const ds = rotationResource.validate(config({ connection_id: UNKNOWN, name: "Bad_Slug", rotation_interval: 0, secrets_mapping: { username: "a:b", password: UNKNOWN } }));
    expect(ds.map((d) => d.attribute)).toEqual([["name"], ["rotation_interval"], ["secrets_mapping", "username"]]);
    expect(ds[1].detail).toBe("rotation_interval must be at least 1 day");
  });

  test("A drift_repair value the runner does not know is refused on its attribute", () => {
    expect(rotationResource.validate(config({ drift_repair: "sometimes" })).map((d) => [d.attribute, d.detail])).toEqual([[["drift_repair"], 'drift_repair must be "reapply", "rotate" or "off"']]);
    expect(rotationResource.validate(config({ drift_repair: "off" }))).toEqual([]);
  });

  test("When max_hold_hours is out of range or not whole, then it is refused on its attribute; 0 (never hold) and 720 pass", () => {
    expect(rotationResource.validate(config({ max_hold_hours: 721 })).map((d) => [d.attribute, d.detail])).toEqual([[["max_hold_hours"], "max_hold_hours must be at most 720 (30 days)"]]);
    expect(rotationResource.validate(config({ max_hold_hours: 1.5 })).map((d) => d.attribute)).toEqual([["max_hold_hours"]]);
    expect(rotationResource.validate(config({ max_hold_hours: 0 }))).toEqual([]);
    expect(rotationResource.validate(config({ max_hold_hours: 720 }))).toEqual([]);
  });

  test("A secret_path with a trailing slash is refused (the runner would store it without)", () => {
    expect(rotationResource.validate(config({ secret_path: "/app/" })).map((d) => [d.attribute, d.detail])).toEqual([[["secret_path"], 'Write secret_path without the trailing "/" ("/app").']]);
    expect(rotationResource.validate(config({ secret_path: "/" }))).toEqual([]);
  });

  test("Connection credentials are checked under their flat attribute names", () => {
    const c = conform(connectionResource.schema.attributes, { name: "db", host: "h", port: 0, database: "d", username: "u", password: UNKNOWN });
    expect(connectionResource.validate(c).map((d) => d.attribute)).toEqual([["port"]]);
  });

  test("allowed_scopes: a list of objects in msgpack, planned [] when left out, validated per element (its index in the path), sent as the API's allowedScopes", () => {
    const scopes = [{ project_id: "shop", environment: null, secret_path: "/team-a" }];
    const c = conform(connectionSchema.attributes, { name: "db", host: "h", port: 5432, database: "d", username: "u", password: "p", allowed_scopes: scopes });
    expect(decodeMsgpack(encodeMsgpack(c))).toEqual(c);
    expect(connectionResource.validate(c)).toEqual([]);
    expect((planResource(connectionSchema, null, { ...c, allowed_scopes: null }).planned as ObjectValue).allowed_scopes).toEqual([]);
    expect((planResource(connectionSchema, null, c).planned as ObjectValue).allowed_scopes).toEqual(scopes);
    expect(toApiBody({ allowed_scopes: scopes })).toEqual({ allowedScopes: [{ projectId: "shop", secretPath: "/team-a" }] });
    const bad = conform(connectionSchema.attributes, { ...c, allowed_scopes: [...scopes, { project_id: "x", environment: "Prod", secret_path: null }, { project_id: "y", environment: null, secret_path: "/app/" }] });
    expect(connectionResource.validate(bad).map((d) => d.attribute)).toEqual([["allowed_scopes", "1", "environment"], ["allowed_scopes", "2", "secret_path"]]);
  });

  test("toApiBody leaves out nulls and collects unknown paths", () => {
    const unknown: string[][] = [];
    expect(toApiBody({ rotate_at_utc: { hours: UNKNOWN, minutes: 0 }, time_zone: null }, [], unknown)).toEqual({ rotateAtUtc: { minutes: 0 } });
    expect(unknown).toEqual([["rotateAtUtc", "hours"]]);
    expect(zodDiagnostics(createRotationSchema, {}, [])).not.toHaveLength(0);
  });
});
