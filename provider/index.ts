/**
 * `pgrotate/provider`: the IaC side (Pulumi dynamic resources, Terraform provider, runner API client).
 * Reserved here; the resources arrive with the Pulumi and Terraform provider work.
 */
export const PROVIDER_API_VERSION = 1;
