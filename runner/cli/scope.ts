/** Options shared by `tokens create` and `identities create`: permission, scope and durations. */
import { InvalidArgumentError, type Command, type OptionValues } from "@commander-js/extra-typings";
import type { AllowedScopeEntry, ApiToken } from "../../provider/client";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** "90" / "90s" / "15m" / "12h" / "30d" -> seconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('a duration such as 3600, 90m, 12h or 30d');
  return Number(m[1]) * UNITS[m[2] || "s"];
}

export function parsePermission(v: string): "read" | "manage" {
  if (v !== "read" && v !== "manage") throw new InvalidArgumentError('"read" or "manage"');
  return v;
}

/** --name and --permission of `tokens create` and `identities create` (the scope comes from the global folder options). */
export function scopedCreateOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c.requiredOption("--name <slug>", "name").requiredOption("--permission <permission>", "read | manage", parsePermission);
}

/** "my-project/prod/db" with "any" for what the scope leaves open. */
export function scopeLabel(s: ApiToken["scope"]): string {
  if (!s.projectId && !s.environment && !s.secretPath) return "everything";
  return `${s.projectId ?? "any project"}/${s.environment ?? "any environment"}${s.secretPath ? (s.secretPath === "/" ? "/" : s.secretPath) : " (any path)"}`;
}

/** An allowed scope as --allow takes it. */
export interface AllowedScopeOption {
  projectId: string;
  environment?: string;
  secretPath?: string;
}

/**
 * --allow PROJECT[/ENVIRONMENT[/PATH]] -> an allowedScopes entry; ENVIRONMENT "*" means any (e.g. shop, shop/prod/team-a).
 * Repeatable: each occurrence adds one. The runner's schema checks the parts (checked() before sending).
 */
export function parseAllowedScope(v: string, previous: AllowedScopeOption[] = []): AllowedScopeOption[] {
  const m = /^([^/\s]+)(?:\/([^/\s]+)(\/\S*)?)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError("PROJECT, PROJECT/ENVIRONMENT or PROJECT/ENVIRONMENT/PATH (ENVIRONMENT * = any), e.g. shop/prod/team-a");
  const [, projectId, environment, secretPath] = m;
  return [...previous, { projectId, ...(environment && environment !== "*" ? { environment } : {}), ...(secretPath ? { secretPath } : {}) }];
}

/** An allowed scope in --allow's own syntax: "shop", "shop/prod", "shop/prod/team-a" ("*" for any environment). */
export function allowedScopeLabel(s: AllowedScopeEntry): string {
  if (s.environment === null && s.secretPath === null) return s.projectId;
  return `${s.projectId}/${s.environment ?? "*"}${s.secretPath ?? ""}`;
}

/** A connection's allowedScopes for people: who besides unscoped tokens may use it. */
export const allowedScopesLabel = (list: AllowedScopeEntry[]): string => (list.length ? list.map(allowedScopeLabel).join(", ") : "unscoped tokens only");
