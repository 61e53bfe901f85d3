/**
 * CDKTF bindings for the pgrotate Terraform provider, written by hand in the shape `cdktf get` generates
 * (so no cdktf CLI and no registry access is needed). Attribute names are the provider's (snake_case).
 */
import { TerraformDataSource, TerraformProvider, TerraformResource, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";

const PROVIDER = { providerName: "pgrotate", providerVersionConstraint: ">= 0.1.0" };

/** Only the meta-arguments go to the base class; the attributes are synthesized below. */
const meta = (c: TerraformMetaArguments): TerraformMetaArguments => ({
  dependsOn: c.dependsOn, count: c.count, provider: c.provider, lifecycle: c.lifecycle, forEach: c.forEach,
});

export interface PgrotateProviderConfig {
  /** Default: env PGROTATE_URL. */
  runnerUrl?: string;
  /** Default: env PGROTATE_TOKEN. */
  token?: string;
  alias?: string;
}

export class PgrotateProvider extends TerraformProvider {
  constructor(scope: Construct, id: string, private readonly config: PgrotateProviderConfig = {}) {
    super(scope, id, { terraformResourceType: "pgrotate", terraformGeneratorMetadata: PROVIDER, terraformProviderSource: "pgrotate/pgrotate" });
    this.alias = config.alias;
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { runner_url: this.config.runnerUrl, token: this.config.token, alias: this.alias };
  }
}

export interface PostgresConnectionConfig extends TerraformMetaArguments {
  name: string;
  description?: string;
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslEnabled?: boolean;
  sslRejectUnauthorized?: boolean;
  sslCertificate?: string;
  /** The scopes whose tokens may use the connection (left out: unscoped tokens only). */
  allowedScopes?: Array<{ projectId: string; environment?: string; secretPath?: string }>;
}

export class PostgresConnection extends TerraformResource {
  constructor(scope: Construct, id: string, private readonly config: PostgresConnectionConfig) {
    super(scope, id, { terraformResourceType: "pgrotate_postgres_connection", terraformGeneratorMetadata: PROVIDER, ...meta(config) });
  }
  get id(): string {
    return this.getStringAttribute("id");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return {
      name: c.name, description: c.description, host: c.host, port: c.port, database: c.database, username: c.username, password: c.password,
      ssl_enabled: c.sslEnabled, ssl_reject_unauthorized: c.sslRejectUnauthorized, ssl_certificate: c.sslCertificate,
      allowed_scopes: c.allowedScopes?.map((s) => ({ project_id: s.projectId, environment: s.environment, secret_path: s.secretPath })),
    };
  }
}

export interface TimeOfDay {
  hours: number;
  minutes: number;
}

export interface PostgresCredentialsRotationConfig extends TerraformMetaArguments {
  name: string;
  description?: string;
  connectionId: string;
  projectId?: string;
  environment?: string;
  secretPath?: string;
  isAutoRotationEnabled?: boolean;
  rotationInterval: number;
  rotateAtUtc?: TimeOfDay;
  rotateAt?: TimeOfDay;
  timeZone?: string;
  parameters: {
    username1: string;
    username2: string;
    passwordRequirements?: {
      length: number;
      required: { digits: number; lowercase: number; uppercase: number; symbols: number };
      allowedSymbols?: string;
    };
  };
  secretsMapping: { username: string; password: string };
  revokeOnDelete?: boolean;
  deleteSecretsOnDelete?: boolean;
}

export class PostgresCredentialsRotation extends TerraformResource {
  constructor(scope: Construct, id: string, private readonly config: PostgresCredentialsRotationConfig) {
    super(scope, id, { terraformResourceType: "pgrotate_postgres_credentials_rotation", terraformGeneratorMetadata: PROVIDER, ...meta(config) });
  }
  get id(): string {
    return this.getStringAttribute("id");
  }
  get activeUsername(): string {
    return this.getStringAttribute("active_username");
  }
  get nextRotationAt(): string {
    return this.getStringAttribute("next_rotation_at");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    const pr = c.parameters.passwordRequirements;
    return {
      name: c.name,
      description: c.description,
      connection_id: c.connectionId,
      project_id: c.projectId,
      environment: c.environment,
      secret_path: c.secretPath,
      is_auto_rotation_enabled: c.isAutoRotationEnabled,
      rotation_interval: c.rotationInterval,
      rotate_at_utc: c.rotateAtUtc,
      rotate_at: c.rotateAt,
      time_zone: c.timeZone,
      parameters: {
        username1: c.parameters.username1,
        username2: c.parameters.username2,
        password_requirements: pr && { length: pr.length, required: pr.required, allowed_symbols: pr.allowedSymbols },
      },
      secrets_mapping: c.secretsMapping,
      revoke_on_delete: c.revokeOnDelete,
      delete_secrets_on_delete: c.deleteSecretsOnDelete,
    };
  }
}

export interface DataPostgresCredentialsConfig extends TerraformMetaArguments {
  rotationId: string;
}

export class DataPostgresCredentials extends TerraformDataSource {
  constructor(scope: Construct, id: string, private readonly config: DataPostgresCredentialsConfig) {
    super(scope, id, { terraformResourceType: "pgrotate_postgres_credentials", terraformGeneratorMetadata: PROVIDER, ...meta(config) });
  }
  get username(): string {
    return this.getStringAttribute("username");
  }
  get password(): string {
    return this.getStringAttribute("password");
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { rotation_id: this.config.rotationId };
  }
}
