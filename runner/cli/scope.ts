/** Options shared by `tokens create` and `identities create`: permission, scope and durations. */
import { InvalidArgumentError, type Command, type OptionValues } from "@commander-js/extra-typings";
import type { ApiToken } from "../../provider/client";

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
