/**
 * The provider's schemas: the provider block, `pgrotate_postgres_connection`,
 * `pgrotate_postgres_credentials_rotation` and the `pgrotate_postgres_credentials` data source. Attribute
 * names are the runner API's in snake_case.
 */
import type { Attr, AttrType, ResourceSchema } from "./values";

export const CONNECTION = "pgrotate_postgres_connection";
export const ROTATION = "pgrotate_postgres_credentials_rotation";
export const CREDENTIALS = "pgrotate_postgres_credentials";

const computedStr = (name: string, description: string, extra: Partial<Attr> = {}): Attr => ({ name, description, type: "string", computed: true, ...extra });
const timeOfDay = (what: string): Attr[] => [
  { name: "hours", description: `Hour of ${what} (0-23).`, type: "number", required: true },
  { name: "minutes", description: `Minute of ${what} (0-59).`, type: "number", required: true },
];

export const providerSchema: ResourceSchema = {
  version: 0,
  description: "pgrotate: register dual-user PostgreSQL credential rotations with a pgrotate runner.",
  attributes: [
    { name: "runner_url", description: "Base URL of the pgrotate runner, e.g. http://127.0.0.1:8080. Default: env PGROTATE_URL.", type: "string", optional: true },
    { name: "token", description: "Bearer token of the runner (admin or manage token). Default: env PGROTATE_TOKEN.", type: "string", optional: true, sensitive: true },
    {
      name: "ca_file",
      description: "PEM file of the CA that signed the runner's HTTPS certificate, trusted beside the system's CAs. Default: env PGROTATE_CA_FILE.",
      type: "string",
      optional: true,
    },
  ],
};

export const connectionSchema: ResourceSchema = {
  version: 0,
  description: "A PostgreSQL app connection: the role the runner uses to change the rotated users' passwords.",
  attributes: [
    computedStr("id", "Connection id (UUID).", { stable: true }),
    { name: "name", description: "Slug, unique per runner.", type: "string", required: true },
    { name: "description", description: "Free text (at most 256 characters).", type: "string", optional: true },
    { name: "host", description: "Database host as seen from the runner.", type: "string", required: true },
    { name: "port", description: "Database port.", type: "number", required: true },
    { name: "database", description: "Database name.", type: "string", required: true },
    { name: "username", description: "The connection role (CREATEROLE, and ADMIN OPTION on each rotated user on PostgreSQL 16+).", type: "string", required: true },
    { name: "password", description: "Password of the connection role. Never returned by the runner.", type: "string", required: true, sensitive: true },
    { name: "ssl_enabled", description: "TLS to the database, verified (default false).", type: "bool", optional: true, computed: true, default: false },
    { name: "ssl_reject_unauthorized", description: "Reject a server certificate that does not verify (default true).", type: "bool", optional: true, computed: true, default: true },
    { name: "ssl_certificate", description: "PEM CA certificate for TLS to the database.", type: "string", optional: true },
    {
      name: "allowed_scopes",
      description:
        "The scopes whose tokens may use this connection for rotations in their folders (a path covers its subfolders). " +
        "Left out or empty: only unscoped tokens may use it. Needs an unscoped manage token to change.",
      list: true,
      optional: true,
      computed: true,
      default: [],
      nested: [
        { name: "project_id", description: "Project.", type: "string", required: true },
        { name: "environment", description: "Environment slug; left out: every environment of the project.", type: "string", optional: true },
        { name: "secret_path", description: "Folder (with its subfolders); left out: every path.", type: "string", optional: true },
      ],
    },
    computedStr("created_at", "Creation time (RFC 3339).", { stable: true }),
    computedStr("updated_at", "Last update time (RFC 3339)."),
  ],
};

export const rotationSchema: ResourceSchema = {
  version: 0,
  description: "A dual-user PostgreSQL credentials rotation (Infisical's PostgreSQL Credentials rotation).",
  attributes: [
    computedStr("id", "Rotation id (UUID).", { stable: true }),
    { name: "name", description: "Slug (1-64 characters).", type: "string", required: true },
    { name: "description", description: "Free text (at most 256 characters).", type: "string", optional: true },
    { name: "connection_id", description: "Id of the pgrotate_postgres_connection. A change replaces the rotation.", type: "string", required: true, replace: true },
    { name: "project_id", description: "Project of the mapped secrets (default \"default\"). A change replaces the rotation.", type: "string", optional: true, computed: true, default: "default", replace: true },
    { name: "environment", description: "Environment slug of the mapped secrets (default \"dev\"). A change replaces the rotation.", type: "string", optional: true, computed: true, default: "dev", replace: true },
    { name: "secret_path", description: "Folder of the mapped secrets (default \"/\"). A change replaces the rotation.", type: "string", optional: true, computed: true, default: "/", replace: true },
    { name: "is_auto_rotation_enabled", description: "Rotate on the schedule (default true).", type: "bool", optional: true, computed: true, default: true },
    { name: "rotation_interval", description: "Days between rotations (whole days, at least 1).", type: "number", required: true },
    { name: "drift_repair", description: "When a stored password no longer logs in (changed by hand, a store restored from an older backup): \"reapply\" sets it again (default), \"rotate\" rotates, \"off\" only reports it (rotation_status \"drifted\").", type: "string", optional: true, computed: true, default: "reapply" },
    {
      name: "rotation_window",
      description:
        "When the rotation may run, in its time zone (time_zone; UTC with rotate_at_utc). A rotation due outside it waits for the next " +
        "opening (next_rotation_at shows it). Left out: any time.",
      optional: true,
      nested: [
        { name: "weekdays", description: "The days a time range starts on: mon, tue, wed, thu, fri, sat, sun (at least one).", type: { list: "string" }, required: true },
        { name: "start_time", description: "Local time the range opens, \"HH:MM\".", type: "string", required: true },
        { name: "end_time", description: "Local time the range closes (exclusive), \"HH:MM\"; not after start_time: the next day.", type: "string", required: true },
        {
          name: "blackouts",
          description: "Local date ranges when the window stays closed all day.",
          list: true,
          optional: true,
          computed: true,
          default: [],
          nested: [
            { name: "from", description: "First date, \"YYYY-MM-DD\" (inclusive).", type: "string", required: true },
            { name: "to", description: "Last date, \"YYYY-MM-DD\" (inclusive).", type: "string", required: true },
            { name: "reason", description: "Why (shown to people).", type: "string", optional: true },
          ],
        },
      ],
    },
    { name: "max_hold_hours", description: "The longest a scheduled rotation waits (rotation_status \"held\") while someone still uses the user it would change (sessions on the target, registered consumers), in hours, 0-720; 0 = never wait (default 24).", type: "number", optional: true, computed: true, default: 24 },
    { name: "rotate_at_utc", description: "Time of day (UTC) of the rotation; default 00:00 unless rotate_at and time_zone are set.", nested: timeOfDay("the rotation in UTC"), optional: true, computed: true },
    { name: "rotate_at", description: "Local time of day of the rotation, with time_zone.", nested: timeOfDay("the rotation in time_zone"), optional: true },
    { name: "time_zone", description: "IANA time zone of rotate_at, e.g. Europe/Berlin.", type: "string", optional: true },
    {
      name: "parameters",
      description: "The two login roles that take turns, and the password requirements.",
      required: true,
      nested: [
        { name: "username1", description: "First user (active after create). A change replaces the rotation.", type: "string", required: true, replace: true },
        { name: "username2", description: "Second user. A change replaces the rotation.", type: "string", required: true, replace: true },
        {
          name: "password_requirements",
          description: "Generated passwords (default: 48 alphanumeric characters).",
          optional: true,
          nested: [
            { name: "length", description: "Length (1-250).", type: "number", required: true },
            {
              name: "required",
              description: "Minimum counts of each character class.",
              required: true,
              nested: [
                { name: "digits", description: "Digits.", type: "number", required: true },
                { name: "lowercase", description: "Lowercase letters.", type: "number", required: true },
                { name: "uppercase", description: "Uppercase letters.", type: "number", required: true },
                { name: "symbols", description: "Symbols.", type: "number", required: true },
              ],
            },
            { name: "allowed_symbols", description: "Symbols to draw from.", type: "string", optional: true },
          ],
        },
      ],
    },
    {
      name: "secrets_mapping",
      description: "Names of the secrets holding the active username and password.",
      required: true,
      nested: [
        { name: "username", description: "Secret name of the active username.", type: "string", required: true },
        { name: "password", description: "Secret name of the active password.", type: "string", required: true },
      ],
    },
    { name: "revoke_on_delete", description: "On destroy, set unknown random passwords on both users (default false).", type: "bool", optional: true, computed: true, default: false },
    {
      name: "delete_secrets_on_delete",
      description: "On destroy, remove the mapped secrets (default true: they belong to the rotation, and a replacement recreates them in the same folder). false keeps their last values readable.",
      type: "bool",
      optional: true,
      computed: true,
      default: true,
    },
    { name: "active_index", description: "0 when username1 is active, 1 when username2 is.", type: "number", computed: true },
    computedStr("active_username", "The user whose credentials are active."),
    computedStr("rotation_status", "success, failed, pending, drifted (a stored password no longer logs in; see drift_repair) or held (someone still uses the user a scheduled rotation would change; see max_hold_hours)."),
    computedStr("last_rotation_message", "Redacted reason of the last failure."),
    computedStr("last_rotation_attempted_at", "Time of the last attempt (RFC 3339)."),
    computedStr("last_rotated_at", "Time of the last successful rotation (RFC 3339)."),
    computedStr("next_rotation_at", "Next scheduled rotation (RFC 3339); null when auto-rotation is off."),
    { name: "is_last_rotation_manual", description: "The last rotation was started through the API.", type: "bool", computed: true },
    { name: "secrets", description: "The mapped secret names with their active values (sensitive).", type: { map: "string" }, computed: true, sensitive: true },
    computedStr("created_at", "Creation time (RFC 3339).", { stable: true }),
    computedStr("updated_at", "Last update time (RFC 3339)."),
  ],
};

export const credentialsSchema: ResourceSchema = {
  version: 0,
  description: "The active credentials of a rotation.",
  attributes: [
    { name: "rotation_id", description: "Id of the pgrotate_postgres_credentials_rotation.", type: "string", required: true },
    { name: "username", description: "Active username.", type: "string", computed: true },
    { name: "password", description: "Active password.", type: "string", computed: true, sensitive: true },
    { name: "active_index", description: "0 when username1 is active, 1 when username2 is.", type: "number", computed: true },
  ],
};

export const resourceSchemas: Record<string, ResourceSchema> = { [CONNECTION]: connectionSchema, [ROTATION]: rotationSchema };
export const dataSourceSchemas: Record<string, ResourceSchema> = { [CREDENTIALS]: credentialsSchema };

// ---- to the protocol's Schema message

const typeJson = (t: AttrType): unknown => (typeof t === "string" ? t : "map" in t ? ["map", t.map] : ["list", t.list]);

function protoAttr(a: Attr): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type ? Buffer.from(JSON.stringify(typeJson(a.type))) : Buffer.alloc(0),
    nested_type: a.nested ? { attributes: a.nested.map(protoAttr), nesting: a.list ? "LIST" : "SINGLE" } : null,
    description: a.description,
    required: !!a.required,
    optional: !!a.optional,
    computed: !!a.computed,
    sensitive: !!a.sensitive,
    description_kind: "PLAIN",
  };
}

export function protoSchema(s: ResourceSchema): Record<string, unknown> {
  return { version: s.version, block: { version: s.version, attributes: s.attributes.map(protoAttr), block_types: [], description: s.description, description_kind: "PLAIN" } };
}
