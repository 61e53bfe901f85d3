/**
 * The Terraform quickstart as a CDK for Terraform app: a connection, a dual-user rotation and the active
 * credentials. `npm run synth` writes cdktf.out/stacks/pgrotate-quickstart/cdk.tf.json; apply it with
 * terraform in that folder (see README.md). The connection role's password is a sensitive Terraform variable,
 * so it never lands in the synthesized JSON.
 */
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { DataPostgresCredentials, PgrotateProvider, PostgresConnection, PostgresCredentialsRotation } from "./pgrotate";

export interface QuickstartProps {
  dbHost: string;
  dbPort: number;
  dbName: string;
  /** The connection role (CREATEROLE, and ADMIN OPTION on both users on PostgreSQL 16+). */
  rotationAdmin: string;
  username1: string;
  username2: string;
  rotationInterval?: number;
  projectId?: string;
}

export class QuickstartStack extends TerraformStack {
  readonly rotation: PostgresCredentialsRotation;

  constructor(scope: Construct, id: string, props: QuickstartProps) {
    super(scope, id);
    // State next to the synthesized JSON (terraform runs in cdktf.out/stacks/<stack>).
    new LocalBackend(this, { path: "terraform.tfstate" });
    new PgrotateProvider(this, "pgrotate"); // runner_url / token from PGROTATE_URL / PGROTATE_TOKEN

    const adminPassword = new TerraformVariable(this, "rotation_admin_password", { type: "string", sensitive: true, description: "Password of the connection role." });

    const connection = new PostgresConnection(this, "db", {
      name: "app-db",
      host: props.dbHost,
      port: props.dbPort,
      database: props.dbName,
      username: props.rotationAdmin,
      password: adminPassword.stringValue,
    });

    this.rotation = new PostgresCredentialsRotation(this, "app", {
      name: "app-db-credentials",
      connectionId: connection.id,
      projectId: props.projectId ?? "my-project",
      environment: "dev",
      secretPath: "/",
      rotationInterval: props.rotationInterval ?? 30,
      rotateAtUtc: { hours: 3, minutes: 0 },
      parameters: { username1: props.username1, username2: props.username2 },
      secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "POSTGRES_DB_PASSWORD" },
    });

    const active = new DataPostgresCredentials(this, "active", { rotationId: this.rotation.id });

    new TerraformOutput(this, "rotation_id", { value: this.rotation.id });
    new TerraformOutput(this, "active_username", { value: active.username });
    new TerraformOutput(this, "active_password", { value: active.password, sensitive: true });
    new TerraformOutput(this, "next_rotation_at", { value: this.rotation.nextRotationAt });
  }
}

/** Props from the environment, with the quickstart's defaults. */
export function propsFromEnv(env: NodeJS.ProcessEnv = process.env): QuickstartProps {
  return {
    dbHost: env.DB_HOST ?? "127.0.0.1",
    dbPort: Number(env.DB_PORT ?? 5432),
    dbName: env.DB_NAME ?? "app",
    rotationAdmin: env.ROTATION_ADMIN ?? "rotation_admin",
    username1: env.USERNAME1 ?? "app_user_1",
    username2: env.USERNAME2 ?? "app_user_2",
    rotationInterval: env.ROTATION_INTERVAL ? Number(env.ROTATION_INTERVAL) : undefined,
  };
}

/** Synthesizes the app into `outdir` (default cdktf.out); returns the stack's folder. */
export function synth(outdir = "cdktf.out", props: QuickstartProps = propsFromEnv()): string {
  const app = new App({ outdir });
  new QuickstartStack(app, "pgrotate-quickstart", props);
  app.synth();
  return `${outdir}/stacks/pgrotate-quickstart`;
}

if (require.main === module) {
  process.stdout.write(`synthesized into ${synth(process.env.CDKTF_OUTDIR)}\n`);
}
