/**
 * How a rotation's state reads to people, in the words of Infisical's console (its SecretRotationV2StatusBadge):
 * "Rotation Failed", "Auto-Rotation Disabled", "Rotating" when due, else "Rotates in 31 days". Shared by the
 * CLI and the web console; plain functions, no Node or DOM API.
 */
import type { ApiRotation } from "./client";

export type StatusTone = "danger" | "neutral" | "warning" | "info";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** "less than a minute", "12 minutes", "5 hours", "31 days": the larger unit, rounded. */
export function timeDistance(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return "less than a minute";
  if (abs < HOUR) return plural(Math.round(abs / MINUTE), "minute");
  if (abs < DAY) return plural(Math.round(abs / HOUR), "hour");
  return plural(Math.round(abs / DAY), "day");
}

/** "in 31 days" / "3 hours ago" / "just now" / "in under a minute" (a held rotation's next check, a grace ending). */
export function relativeTime(at: Date, now: Date = new Date()): string {
  const ms = at.getTime() - now.getTime();
  if (ms >= 1000 && ms < MINUTE) return "in under a minute";
  if (Math.abs(ms) < MINUTE) return "just now";
  return ms > 0 ? `in ${timeDistance(ms)}` : `${timeDistance(ms)} ago`;
}

export function rotationStatusWord(
  r: Pick<ApiRotation, "rotationStatus" | "isAutoRotationEnabled" | "nextRotationAt">,
  now: Date = new Date(),
): { word: string; tone: StatusTone } {
  if (r.rotationStatus === "failed") return { word: "Rotation Failed", tone: "danger" };
  if (r.rotationStatus === "drifted") return { word: "Drifted", tone: "danger" };
  if (r.rotationStatus === "held") return { word: "Held", tone: "warning" };
  if (!r.isAutoRotationEnabled) return { word: "Auto-Rotation Disabled", tone: "neutral" };
  if (r.rotationStatus === "pending") return { word: "Pending", tone: "warning" };
  if (!r.nextRotationAt) return { word: "Not Scheduled", tone: "neutral" };
  const ms = new Date(r.nextRotationAt).getTime() - now.getTime();
  if (ms < 0) return { word: "Rotating", tone: "warning" };
  return { word: `Rotates in ${timeDistance(ms)}`, tone: ms >= 7 * DAY ? "info" : "warning" };
}
