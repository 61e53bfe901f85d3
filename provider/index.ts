/**
 * `pgrotate/provider`: the IaC side of pgrotate.
 * - Pulumi: `PostgresConnection`, `PostgresCredentialsRotation` (dynamic resources). `pulumiRuntime` is what
 *   their serialized providers load inside Pulumi's plugin host; programs do not call it.
 * - The typed runner API client shared with the Terraform provider.
 */
export const PROVIDER_API_VERSION = 1;
export * from "./pulumi";
export { RunnerClient, RunnerApiError } from "./client";
export type {
  ApiConnection, ApiRotation, RawSecret, ClientOptions, CreateConnectionBody, CreateRotationBody, Folder,
  GeneratedCredentials, UpdateConnectionBody, UpdateRotationBody,
} from "./client";
