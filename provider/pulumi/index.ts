/** The Pulumi side of pgrotate: dynamic resources and, for the plugin host, their implementation. */
export {
  PostgresConnection,
  type PostgresConnectionArgs,
  PostgresCredentialsRotation,
  type PostgresCredentialsRotationArgs,
  type PasswordRequirements,
  type AllowedScope,
  type AllowedScopeArgs,
  type TimeOfDay,
} from "./resources";
export { pulumiRuntime, type PulumiRuntime, type ProviderSettings, type ResourceKind } from "./runtime";
