import { decide, type Decision, type DecisionInput } from "../runner/rotation/decide";
import type { RotationWindow } from "../runner/rotation/window";

const NOW = new Date("2030-01-01T12:00:00.000Z");
const min = (m: number) => new Date(NOW.getTime() + m * 60_000);
const sec = (x: number) => new Date(NOW.getTime() + x * 1000);
const create = (targetIndex: 0 | 1) => ({ kind: "create" as const, targetIndex, attempts: 0 });
const rotate = (targetIndex: 0 | 1, attempts = 0) => ({ kind: "rotate" as const, targetIndex, attempts });

type Row = [string, Partial<Omit<DecisionInput, "rotation">> & { rotation?: Partial<DecisionInput["rotation"]> }, Decision];

// Windows and freezes: NOW is Tuesday 12:00 UTC.
const inWindow = (rotationWindow: RotationWindow) => ({ rotationWindow, timeZone: "UTC" });
const nights = inWindow({ weekdays: ["mon", "tue", "wed", "thu", "fri"], startTime: "22:00", endTime: "05:00", blackouts: [] });
const daytime = inWindow({ weekdays: ["tue"], startTime: "09:00", endTime: "17:00", blackouts: [] });
const FROZEN = { reason: "release freeze", since: min(-60) };

/** Every case of a rotate call, one row each: what it is, what the engine knows, what it must do. */
const TABLE: Row[] = [
  ["an interrupted create is finished, whatever the trigger", { trigger: "recovery", leftovers: [create(0), create(1)] }, { do: "finish-create" }],
  ["a manual call on an interrupted create finishes it too", { trigger: "manual", leftovers: [create(0), create(1)] }, { do: "finish-create" }],
  ["a leftover intent is rolled forward with its own password", { trigger: "recovery", leftovers: [rotate(1, 2)] }, { do: "roll-forward", intent: rotate(1, 2), renew: false }],
  ["a leftover intent is rolled forward even by a scheduled claim that is not due", { trigger: "scheduled", rotation: { nextRotationAt: min(60) }, leftovers: [rotate(0)] }, { do: "roll-forward", intent: rotate(0), renew: false }],
  ["a leftover intent inside the grace period is still rolled forward (its password may be on the target)", { trigger: "manual", rotation: { inactiveSince: min(-1) }, leftovers: [rotate(1)] }, { do: "roll-forward", intent: rotate(1), renew: false }],
  ["an intent that failed 4 times keeps its password", { trigger: "scheduled", leftovers: [rotate(1, 4)] }, { do: "roll-forward", intent: rotate(1, 4), renew: false }],
  ["an intent that failed 5 times gets a fresh password for the same user", { trigger: "scheduled", leftovers: [rotate(1, 5)] }, { do: "roll-forward", intent: rotate(1, 5), renew: true }],
  ["a recovery with nothing left over does nothing (another runner finished it)", { trigger: "recovery" }, { do: "nothing", why: "no-intent-left" }],
  ["a scheduled claim that is no longer due does nothing", { trigger: "scheduled", rotation: { nextRotationAt: min(1) } }, { do: "nothing", why: "not-due" }],
  ["a scheduled claim on a rotation without a next time does nothing", { trigger: "scheduled", rotation: { nextRotationAt: null } }, { do: "nothing", why: "not-due" }],
  ["a due scheduled claim starts fresh on the inactive user (user2 while user1 is active)", { trigger: "scheduled", rotation: { nextRotationAt: NOW } }, { do: "start-fresh", targetIndex: 1 }],
  ["a manual call starts fresh on the inactive user (user1 while user2 is active)", { trigger: "manual", rotation: { activeIndex: 1, inactiveSince: min(-11) } }, { do: "start-fresh", targetIndex: 0 }],
  ["right after create (no user was ever active before) a manual call may start at once", { trigger: "manual", rotation: { inactiveSince: null } }, { do: "start-fresh", targetIndex: 1 }],
  ["a manual call 9 minutes after the last rotation waits for the grace guard until minute 10", { trigger: "manual", rotation: { inactiveSince: min(-9) } }, { do: "wait-grace", allowedAt: min(1), inactiveIndex: 1 }],
  ["a due scheduled run inside the grace period waits too", { trigger: "scheduled", rotation: { nextRotationAt: min(-1), inactiveSince: min(-5) } }, { do: "wait-grace", allowedAt: min(5), inactiveIndex: 1 }],
  ["exactly 10 minutes after, the grace guard allows it", { trigger: "manual", rotation: { inactiveSince: min(-10) } }, { do: "start-fresh", targetIndex: 1 }],
  ["force passes the grace guard", { trigger: "manual", force: true, rotation: { inactiveSince: min(-1) } }, { do: "start-fresh", targetIndex: 1 }],
  // ---- windows and freezes
  ["a leftover intent is rolled forward outside the window and in a frozen project (it may be on the target already)", { trigger: "scheduled", freeze: FROZEN, rotation: nights, leftovers: [rotate(1)] }, { do: "roll-forward", intent: rotate(1), renew: false }],
  ["a scheduled claim that is not due does nothing, frozen or not", { trigger: "scheduled", freeze: FROZEN, rotation: { ...nights, nextRotationAt: min(1) } }, { do: "nothing", why: "not-due" }],
  ["a recovery with nothing left over in a frozen project does nothing", { trigger: "recovery", freeze: FROZEN }, { do: "nothing", why: "no-intent-left" }],
  ["a due scheduled claim in a frozen project (frozen between the claim and now) waits for the freeze", { trigger: "scheduled", freeze: FROZEN }, { do: "wait-freeze", reason: "release freeze", since: min(-60) }],
  ["a due scheduled claim outside its window waits for the opening (22:00 the same day)", { trigger: "scheduled", rotation: nights }, { do: "wait-window", until: min(600) }],
  ["a freeze is decided before the window", { trigger: "scheduled", freeze: FROZEN, rotation: nights }, { do: "wait-freeze", reason: "release freeze", since: min(-60) }],
  ["a manual call outside the window gets the opening (the engine refuses it)", { trigger: "manual", rotation: nights }, { do: "wait-window", until: min(600) }],
  ["a manual call in a frozen project gets the freeze (the engine refuses it)", { trigger: "manual", freeze: FROZEN }, { do: "wait-freeze", reason: "release freeze", since: min(-60) }],
  ["a forced manual call passes the window and a freeze", { trigger: "manual", force: true, freeze: FROZEN, rotation: nights }, { do: "start-fresh", targetIndex: 1 }],
  ["a drift repair's rotation (forced past the grace guard) still waits for the window", { trigger: "drift", force: true, rotation: nights }, { do: "wait-window", until: min(600) }],
  ["a drift repair's rotation still waits for a freeze", { trigger: "drift", force: true, freeze: FROZEN }, { do: "wait-freeze", reason: "release freeze", since: min(-60) }],
  ["inside the window a due scheduled claim starts fresh", { trigger: "scheduled", rotation: daytime }, { do: "start-fresh", targetIndex: 1 }],
  ["inside the window the grace guard still applies", { trigger: "manual", rotation: { ...daytime, inactiveSince: min(-9) } }, { do: "wait-grace", allowedAt: min(1), inactiveIndex: 1 }],
  // ---- retirement hold: after the grace guard, who still uses the user about to change
  ["a due scheduled claim with a hold allowed first reads who uses the inactive user", { trigger: "scheduled", rotation: { maxHoldHours: 24 } }, { do: "read-usage", targetIndex: 1 }],
  ["a manual call with a hold allowed reads who uses the inactive user too", { trigger: "manual", rotation: { activeIndex: 1, maxHoldHours: 24 } }, { do: "read-usage", targetIndex: 0 }],
  ["the grace guard comes before the usage read", { trigger: "scheduled", rotation: { maxHoldHours: 24, inactiveSince: min(-5) } }, { do: "wait-grace", allowedAt: min(5), inactiveIndex: 1 }],
  ["a scheduled claim that is not due reads nothing", { trigger: "scheduled", rotation: { maxHoldHours: 24, nextRotationAt: min(1) } }, { do: "nothing", why: "not-due" }],
  ["a leftover intent is rolled forward without looking at who uses the user (its password may be on the target)", { trigger: "scheduled", rotation: { maxHoldHours: 24 }, usage: { inUse: true }, leftovers: [rotate(1)] }, { do: "roll-forward", intent: rotate(1), renew: false }],
  ["someone on the inactive user holds a scheduled run: held since now, looked at again after 15 s", { trigger: "scheduled", rotation: { maxHoldHours: 24 }, usage: { inUse: true } }, { do: "hold", inactiveIndex: 1, heldSince: NOW, recheckAt: sec(15), until: min(24 * 60) }],
  ["a hold keeps its start; 30 s into it the next look is 30 s later", { trigger: "scheduled", rotation: { maxHoldHours: 24, heldSince: sec(-30) }, usage: { inUse: true } }, { do: "hold", inactiveIndex: 1, heldSince: sec(-30), recheckAt: sec(30), until: new Date(sec(-30).getTime() + 24 * 3_600_000) }],
  ["an hour into a hold the next look is at most a minute later", { trigger: "scheduled", rotation: { maxHoldHours: 24, heldSince: min(-60) }, usage: { inUse: true } }, { do: "hold", inactiveIndex: 1, heldSince: min(-60), recheckAt: sec(60), until: min(23 * 60) }],
  ["the last look of a hold is when it runs out", { trigger: "scheduled", rotation: { maxHoldHours: 1, heldSince: sec(-3590) }, usage: { inUse: true } }, { do: "hold", inactiveIndex: 1, heldSince: sec(-3590), recheckAt: sec(10), until: sec(10) }],
  ["a hold that ran out (maxHoldHours) proceeds although someone is still on the user", { trigger: "scheduled", rotation: { maxHoldHours: 1, heldSince: min(-60) }, usage: { inUse: true } }, { do: "start-fresh", targetIndex: 1, holdExpired: true }],
  ["nobody on the inactive user: a held rotation proceeds", { trigger: "scheduled", rotation: { maxHoldHours: 24, heldSince: min(-5) }, usage: { inUse: false } }, { do: "start-fresh", targetIndex: 1 }],
  ["a manual call with someone on the inactive user is a hold (the engine refuses it)", { trigger: "manual", rotation: { maxHoldHours: 24 }, usage: { inUse: true } }, { do: "hold", inactiveIndex: 1, heldSince: NOW, recheckAt: sec(15), until: min(24 * 60) }],
  ["force passes the hold without reading who uses the user", { trigger: "manual", force: true, rotation: { maxHoldHours: 24 } }, { do: "start-fresh", targetIndex: 1 }],
  ["maxHoldHours 0 never holds and reads nothing", { trigger: "scheduled", rotation: { maxHoldHours: 0 } }, { do: "start-fresh", targetIndex: 1 }],
];

describe("The rotation decision (pure)", () => {
  test.each(TABLE)("%s", (_what, input, expected) => {
    const x: DecisionInput = {
      trigger: input.trigger ?? "manual",
      force: input.force ?? false,
      now: NOW,
      leftovers: input.leftovers ?? [],
      freeze: input.freeze ?? null,
      usage: input.usage,
      // maxHoldHours 0 unless a row says otherwise: the rows above the hold's are about the other checks.
      rotation: { activeIndex: 0, inactiveSince: null, nextRotationAt: min(-1), maxHoldHours: 0, heldSince: null, ...input.rotation },
    };
    expect(decide(x)).toEqual(expected);
  });
});
