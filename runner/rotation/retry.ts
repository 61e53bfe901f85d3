import type { ScheduleSpec } from "./schedule";
import { nextRotationAt } from "./schedule";

/** DESIGN "Failure": exponential backoff with full jitter, 10 s doubling, cap 15 min, 5 attempts. */
export const RETRY_BASE_MS = 10_000;
export const RETRY_CAP_MS = 15 * 60_000;
export const MAX_ATTEMPTS = 5;
/** A scheduled run later than this after its due time counts as a catch-up: a full interval then passes. */
export const LATE_RUN_MS = 5 * 60_000;

/** The upper bound of the wait before retry number `attempt` (1 = first retry): 10 s, 20 s, 40 s, … ≤ 15 min. */
export function backoffCeilingMs(attempt: number): number {
  return Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
}

/** Full jitter: uniform in [0, ceiling]. `random` is injectable so tests can assert the planned times. */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(Math.min(1, Math.max(0, random())) * backoffCeilingMs(attempt));
}

export interface FailurePlan {
  status: "failed" | "retrying";
  retryAttempt: number;
  nextAttemptAt: Date | null;
}

/**
 * After a failed automatic attempt (`attempt` = how many have failed in a row): retry with backoff, or after
 * MAX_ATTEMPTS give up until the next scheduled time (a full interval from now).
 */
export function planAfterFailure(spec: ScheduleSpec & { enabled: boolean }, attempt: number, now: Date, random?: () => number): FailurePlan {
  if (attempt < MAX_ATTEMPTS) {
    return { status: "retrying", retryAttempt: attempt, nextAttemptAt: new Date(now.getTime() + backoffDelayMs(attempt, random)) };
  }
  return { status: "failed", retryAttempt: 0, nextAttemptAt: spec.enabled ? nextRotationAt(spec, now, { manual: true }) : null };
}
