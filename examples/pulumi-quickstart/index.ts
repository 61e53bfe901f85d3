/**
 * pgrotate quickstart: register a PostgreSQL connection and a dual-user credential rotation with a running
 * pgrotate runner, and export the active credentials (a Pulumi secret).
 *
 *   pulumi config set pgrotate:runnerUrl http://127.0.0.1:8080
 *   pulumi config set --secret pgrotate:token "$(cat .pgrotate/admin.token)"
 *   pulumi config set dbName app
 *   pulumi config set dbAdminUser rotation_admin
 *   pulumi config set --secret dbAdminPassword '…'
 *   pulumi config set username1 app_user_1
 *   pulumi config set username2 app_user_2
 *   pulumi up
 */
import * as pulumi from "@pulumi/pulumi";
import { PostgresConnection, PostgresCredentialsRotation } from "pgrotate/provider";

const config = new pulumi.Config();

const connection = new PostgresConnection("app-db", {
  name: config.get("connectionName") ?? "quickstart-db",
  host: config.get("dbHost") ?? "127.0.0.1",
  port: config.getNumber("dbPort") ?? 5432,
  database: config.require("dbName"),
  username: config.require("dbAdminUser"),
  password: config.requireSecret("dbAdminPassword"),
  sslEnabled: config.getBoolean("dbSsl") ?? false,
});

const rotation = new PostgresCredentialsRotation("app-db-credentials", {
  name: config.get("rotationName") ?? "quickstart-app-credentials",
  description: "Credentials of the quickstart app, rotated by pgrotate",
  connectionId: connection.connectionId,
  projectId: config.get("projectId") ?? "quickstart",
  environment: config.get("environment") ?? "dev",
  secretPath: "/",
  rotationInterval: config.getNumber("rotationIntervalDays") ?? 30,
  rotateAtUtc: { hours: 3, minutes: 0 },
  parameters: { username1: config.require("username1"), username2: config.require("username2") },
  secretsMapping: { username: "DB_USERNAME", password: "DB_PASSWORD" },
  revokeOnDelete: config.getBoolean("revokeOnDelete") ?? false,
  // `pulumi config set rotationTrigger "$(date +%s)" && pulumi up` rotates now.
  rotationTrigger: config.get("rotationTrigger"),
});

export const connectionId = connection.connectionId;
export const rotationId = rotation.rotationId;
export const activeUsername = rotation.activeUsername;
export const nextRotationAt = rotation.nextRotationAt;
/** `pulumi stack output secrets --show-secrets` → { DB_USERNAME, DB_PASSWORD } */
export const secrets = rotation.secrets;
