import { backoffCeilingMs, backoffDelayMs, planAfterFailure } from "../runner/rotation/retry";

const S = 1000;

describe("Retry backoff: 10 s doubling, capped at 15 min, full jitter, 5 attempts", () => {
  test.each([
    [1, 10 * S],
    [2, 20 * S],
    [3, 40 * S],
    [4, 80 * S],
    [5, 160 * S],
    [6, 320 * S],
    [7, 640 * S],
    [8, 900 * S], // 1,280 s capped at 15 min
    [20, 900 * S],
  ])("before retry %i the wait is at most %i ms", (attempt, ceiling) => {
    expect(backoffCeilingMs(attempt)).toBe(ceiling);
  });

  test.each([
    [1, 0, 0],
    [1, 0.5, 5 * S],
    [1, 1, 10 * S],
    [3, 0.25, 10 * S],
    [4, 0.999, 79_920],
    [8, 1, 900 * S],
    [2, 1.5, 20 * S], // a random source out of range is clamped
    [2, -1, 0],
  ])("retry %i with random() = %f waits %i ms", (attempt, random, ms) => {
    expect(backoffDelayMs(attempt, () => random)).toBe(ms);
  });

  const now = new Date("2030-01-10T15:30:00.000Z");
  const spec = { rotationInterval: 1, rotateAt: { hours: 0, minutes: 0 }, timeZone: "UTC" };
  test.each([
    [1, true, { status: "retrying", retryAttempt: 1, nextAttemptAt: "2030-01-10T15:30:10.000Z" }],
    [2, true, { status: "retrying", retryAttempt: 2, nextAttemptAt: "2030-01-10T15:30:20.000Z" }],
    [4, true, { status: "retrying", retryAttempt: 4, nextAttemptAt: "2030-01-10T15:31:20.000Z" }],
    // The 5th failure in a row: "failed" until the next scheduled time, a full interval from now (past 00:00: +1 day).
    [5, true, { status: "failed", retryAttempt: 0, nextAttemptAt: "2030-01-12T00:00:00.000Z" }],
    [5, false, { status: "failed", retryAttempt: 0, nextAttemptAt: null }],
    [4, false, { status: "retrying", retryAttempt: 4, nextAttemptAt: "2030-01-10T15:31:20.000Z" }],
  ])("after failed attempt %i (auto-rotation %s) the plan is %o", (attempt, enabled, plan) => {
    const p = planAfterFailure({ ...spec, enabled }, attempt, now, () => 1);
    expect({ ...p, nextAttemptAt: p.nextAttemptAt?.toISOString() ?? null }).toEqual(plan);
  });
});
