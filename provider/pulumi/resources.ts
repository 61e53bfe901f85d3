/**
 * `PostgresConnection` and `PostgresCredentialsRotation`: Pulumi dynamic resources that register a
 * connection and a dual-user rotation with a pgrotate runner. The runner address and token come from the
 * stack config (`pgrotate:runnerUrl`, `pgrotate:token`) or PGROTATE_URL / PGROTATE_TOKEN, read by the
 * provider at deployment time, so they never become part of a resource's state.
 */
import * as pulumi from "@pulumi/pulumi";
import { makeProvider } from "./handlers";

/** Built once per kind: Pulumi caches the serialized text per provider object. */
const connectionProvider = makeProvider("connection");
const rotationProvider = makeProvider("rotation");

const MODULE = "pgrotate";

/** Arguments of a PostgresConnection: the connection role pgrotate uses to change the users' passwords. */
export interface PostgresConnectionArgs {
  /** Slug, unique per runner. */
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  database: pulumi.Input<string>;
  /** The connection role (needs CREATEROLE and, on PostgreSQL 16+, ADMIN OPTION on both users). */
  username: pulumi.Input<string>;
  /** Always stored as a Pulumi secret. */
  password: pulumi.Input<string>;
  /** TLS that verifies (no plaintext fallback). */
  sslEnabled?: pulumi.Input<boolean>;
  sslRejectUnauthorized?: pulumi.Input<boolean>;
  /** PEM CA certificate for sslEnabled. */
  sslCertificate?: pulumi.Input<string>;
  /**
   * The scopes whose tokens may use this connection for rotations in their folders (a path covers its subfolders);
   * left out or empty: only unscoped tokens may. Changing it needs an unscoped manage token. pgrotate extension.
   */
  allowedScopes?: pulumi.Input<pulumi.Input<AllowedScopeArgs>[]>;
}

/** One entry of a connection's allowedScopes: a project, and optionally an environment and a folder (with its subfolders). */
export interface AllowedScopeArgs {
  projectId: pulumi.Input<string>;
  /** Left out: every environment of the project. */
  environment?: pulumi.Input<string>;
  /** Left out: every path. */
  secretPath?: pulumi.Input<string>;
}

/** An allowedScopes entry as the runner answers it (null = any). */
export interface AllowedScope {
  projectId: string;
  environment: string | null;
  secretPath: string | null;
}

export class PostgresConnection extends pulumi.dynamic.Resource {
  /** The runner's id of the connection (also the resource id); pass it to a rotation's connectionId. */
  declare readonly connectionId: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly host: pulumi.Output<string>;
  declare readonly port: pulumi.Output<number>;
  declare readonly database: pulumi.Output<string>;
  declare readonly username: pulumi.Output<string>;
  /** Secret. */
  declare readonly password: pulumi.Output<string>;
  /** The scopes whose tokens may use the connection, as the runner stores them. */
  declare readonly allowedScopes: pulumi.Output<AllowedScope[]>;

  constructor(name: string, args: PostgresConnectionArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      connectionProvider,
      name,
      // allowedScopes named even when left out, so it is an output either way (the runner's stored list).
      { ...args, password: pulumi.secret(args.password), allowedScopes: args.allowedScopes, connectionId: undefined },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["password"] }),
      MODULE,
      "PostgresConnection",
    );
    Object.defineProperty(this, "password", { value: pulumi.secret(this.password), enumerable: true });
  }
}

export interface TimeOfDay {
  hours: number;
  minutes: number;
}

export interface PasswordRequirements {
  length: number;
  required: { digits: number; lowercase: number; uppercase: number; symbols: number };
  allowedSymbols?: string;
}

/** Arguments of a PostgresCredentialsRotation: the runner's create body (Infisical's), plus three of its own. */
/** A rotation window (plain values: it is sent to the runner as a whole). */
export interface RotationWindow {
  /** The days a range starts on: "mon" … "sun", at least one. */
  weekdays: Array<"mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun">;
  /** "HH:MM" local time the range opens. */
  startTime: string;
  /** "HH:MM" local time it closes (exclusive); not after startTime: the next day. */
  endTime: string;
  /** Local date ranges ("YYYY-MM-DD", inclusive) when it stays closed. */
  blackouts?: Array<{ from: string; to: string; reason?: string | null }>;
}

export interface PostgresCredentialsRotationArgs {
  /** Slug (1–64), unique in its folder. */
  name: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** A PostgresConnection's connectionId. Changing it replaces the rotation. */
  connectionId: pulumi.Input<string>;
  /** Default "default". Changing it replaces the rotation. */
  projectId?: pulumi.Input<string>;
  /** Slug, default "dev". Changing it replaces the rotation. */
  environment?: pulumi.Input<string>;
  /** Default "/". Changing it replaces the rotation. */
  secretPath?: pulumi.Input<string>;
  /** Default true. */
  isAutoRotationEnabled?: pulumi.Input<boolean>;
  /** Whole days ≥ 1. */
  rotationInterval: pulumi.Input<number>;
  /** Time of day in UTC (default 00:00); or rotateAt with timeZone. */
  rotateAtUtc?: pulumi.Input<pulumi.Inputs & TimeOfDay>;
  rotateAt?: pulumi.Input<pulumi.Inputs & TimeOfDay>;
  /** IANA time zone for rotateAt, e.g. "Europe/Berlin". */
  timeZone?: pulumi.Input<string>;
  /** The two login roles that take turns. Changing a username replaces the rotation. */
  parameters: pulumi.Input<{
    username1: pulumi.Input<string>;
    username2: pulumi.Input<string>;
    passwordRequirements?: pulumi.Input<PasswordRequirements>;
  }>;
  /** Names of the secrets holding the active username and password. */
  secretsMapping: pulumi.Input<{ username: pulumi.Input<string>; password: pulumi.Input<string> }>;
  /**
   * What the runner does when a stored password no longer logs in (a role's password changed by hand, a store
   * restored from an older backup): "reapply" sets the stored password again (default), "rotate" rotates,
   * "off" only reports it (rotationStatus "drifted").
   */
  driftRepair?: pulumi.Input<"reapply" | "rotate" | "off">;
  /**
   * When the rotation may run, in its time zone (timeZone; UTC with rotateAtUtc): weekdays a local time range starts
   * on ("22:00"–"05:00" ends the next day) and blackout date ranges. A rotation due outside it waits for the next
   * opening (nextRotationAt shows it); a rotationTrigger rotation outside it needs forceRotation. Left out: any time.
   */
  rotationWindow?: pulumi.Input<RotationWindow | null>;
  /**
   * The longest a scheduled rotation waits (status "held") while someone still uses the user it would change
   * (sessions on the target, registered consumers), in hours, 0–720; 0 = never wait. Default 24.
   */
  maxHoldHours?: pulumi.Input<number>;
  /** On delete, set unknown passwords on both users so no generated password works any more. Default false. */
  revokeOnDelete?: pulumi.Input<boolean>;
  /** Any value; a change rotates the credentials now (on update). */
  rotationTrigger?: pulumi.Input<string | number>;
  /** Lets a rotationTrigger rotation pass the 10-minute grace guard and the retirement hold. Default false. */
  forceRotation?: pulumi.Input<boolean>;
}

export class PostgresCredentialsRotation extends pulumi.dynamic.Resource {
  /** The runner's id of the rotation (also the resource id). */
  declare readonly rotationId: pulumi.Output<string>;
  /** 0 when username1 is active, 1 when username2 is. */
  declare readonly activeIndex: pulumi.Output<number>;
  declare readonly activeUsername: pulumi.Output<string>;
  /** ISO time; null when auto-rotation is off. */
  declare readonly nextRotationAt: pulumi.Output<string | null>;
  declare readonly lastRotatedAt: pulumi.Output<string | null>;
  declare readonly rotationStatus: pulumi.Output<"success" | "failed" | "pending" | "drifted">;
  /** Secret: `{ [secretsMapping.username]: activeUsername, [secretsMapping.password]: activePassword }`. */
  declare readonly secrets: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: PostgresCredentialsRotationArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      rotationProvider,
      name,
      {
        ...args,
        rotationId: undefined,
        activeIndex: undefined,
        activeUsername: undefined,
        nextRotationAt: undefined,
        lastRotatedAt: undefined,
        rotationStatus: undefined,
        secrets: undefined,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["secrets"] }),
      MODULE,
      "PostgresCredentialsRotation",
    );
    // The engine keeps `secrets` secret in the state (additionalSecretOutputs); this keeps it secret in the
    // program too, whatever engine or mock resolves it.
    Object.defineProperty(this, "secrets", { value: pulumi.secret(this.secrets), enumerable: true });
  }
}
