/**
 * What a rotate call must do, decided from the rotation row, the intents left over from an earlier attempt,
 * the trigger and the clock — a pure function, so every case is one row of a table test
 * (test/decide.test.ts). The engine (engine.ts) carries the decision out.
 */
import type { IntentRecord, RotationRecord } from "../store/rows";
import { isOpen, nextOpening } from "./window";

/** A consumer may still hold the credentials of the user that stopped being active this long ago. */
export const GRACE_MS = 10 * 60 * 1000;
/** Retirement hold: a held scheduled rotation looks again after 15 s, 30 s, then every 60 s (the wait grows with the hold). */
export const HOLD_RECHECK_MIN_MS = 15_000;
export const HOLD_RECHECK_MAX_MS = 60_000;
/** After this many failed attempts an intent's password is replaced by a fresh one. */
export const MAX_INTENT_ATTEMPTS = 5;

/** "drift": a drift check found a stored password that no longer logs in (runs like a manual rotation, forced). */
export type Trigger = "create" | "manual" | "scheduled" | "recovery" | "drift";

export type Decision =
  /** Two create intents are left (a create was interrupted): set and prove both, then store them. */
  | { do: "finish-create" }
  /** An intent is left: finish it with its own password; `renew` when its attempts are used up (a fresh password). */
  | { do: "roll-forward"; intent: Pick<IntentRecord, "targetIndex" | "kind" | "attempts">; renew: boolean }
  /** Nothing is left: a fresh password for the inactive user (`holdExpired`: someone still uses it, but maxHoldHours passed). */
  | { do: "start-fresh"; targetIndex: 0 | 1; holdExpired?: true }
  /** The inactive user may still be in use: read who uses it (on the target, outside the store transaction), then decide again. */
  | { do: "read-usage"; targetIndex: 0 | 1 }
  /** Someone still uses the inactive user: a manual call is refused, a scheduled one is held and looks again at recheckAt. */
  | { do: "hold"; inactiveIndex: 0 | 1; heldSince: Date; recheckAt: Date; until: Date }
  /** Nothing to do: a recovery found no intent, or a scheduled claim is no longer due (another runner did it). */
  | { do: "nothing"; why: "no-intent-left" | "not-due" }
  /** The inactive user stopped being active less than GRACE_MS ago: a manual call is refused, a scheduled one waits. */
  | { do: "wait-grace"; allowedAt: Date; inactiveIndex: 0 | 1 }
  // ---- windows and freezes (window.ts, issue 25)
  /** The project is frozen: a scheduled run gives its claim back (unfreezing releases it), a manual one is refused unless forced. */
  | { do: "wait-freeze"; reason: string; since: Date }
  /** Outside the rotation's window: a scheduled run moves to `until` (null: it never opens again), a manual one is refused unless forced. */
  | { do: "wait-window"; until: Date | null };

export interface DecisionInput {
  trigger: Exclude<Trigger, "create">;
  /**
   * `?force=true` of a manual rotation: past the grace guard, the window, a freeze and the retirement hold (a drift
   * repair's force passes the grace guard and the hold only).
   */
  force: boolean;
  now: Date;
  rotation: Pick<RotationRecord, "activeIndex" | "inactiveSince" | "nextRotationAt" | "maxHoldHours" | "heldSince"> & Partial<Pick<RotationRecord, "rotationWindow" | "timeZone">>;
  /** The freeze of the rotation's project, read under the lease (absent: not frozen). */
  freeze?: { reason: string; since: Date } | null;
  /** Whether someone uses the inactive user (sessions, consumers); absent until it was read. */
  usage?: { inUse: boolean };
  /** The intents present before this call (none, one rotate intent, or the two of a create). */
  leftovers: ReadonlyArray<Pick<IntentRecord, "targetIndex" | "kind" | "attempts">>;
}

export function decide(x: DecisionInput): Decision {
  const { rotation: r, now } = x;
  const [left] = x.leftovers;
  // Work already begun is finished first, whatever the trigger: its password may already be on the target.
  if (left?.kind === "create") return { do: "finish-create" };
  if (left) return { do: "roll-forward", intent: left, renew: left.attempts >= MAX_INTENT_ATTEMPTS };
  if (x.trigger === "recovery") return { do: "nothing", why: "no-intent-left" };
  if (x.trigger === "scheduled" && (!r.nextRotationAt || r.nextRotationAt > now)) return { do: "nothing", why: "not-due" };
  const held = windowOrFreeze(x);
  if (held) return held;
  const inactiveIndex = (1 - r.activeIndex) as 0 | 1;
  if (!x.force && r.inactiveSince) {
    const allowedAt = new Date(r.inactiveSince.getTime() + GRACE_MS);
    if (now < allowedAt) return { do: "wait-grace", allowedAt, inactiveIndex };
  }
  // ---- retirement hold (issue 25): after the grace guard, does anyone still use the user about to change?
  if (!x.force && r.maxHoldHours > 0) {
    if (!x.usage) return { do: "read-usage", targetIndex: inactiveIndex };
    if (x.usage.inUse) {
      const heldSince = r.heldSince ?? now;
      const until = new Date(heldSince.getTime() + r.maxHoldHours * 3_600_000);
      if (now >= until) return { do: "start-fresh", targetIndex: inactiveIndex, holdExpired: true };
      const wait = Math.min(HOLD_RECHECK_MAX_MS, Math.max(HOLD_RECHECK_MIN_MS, now.getTime() - heldSince.getTime()));
      return { do: "hold", inactiveIndex, heldSince, recheckAt: new Date(Math.min(until.getTime(), now.getTime() + wait)), until };
    }
  }
  return { do: "start-fresh", targetIndex: inactiveIndex };
}

/**
 * A freeze, then the window. Manual force passes both; a drift repair's rotation (forced past the grace guard
 * only) and a scheduled one never do. Recovery never gets here: an interrupted rotation is always finished.
 */
function windowOrFreeze(x: DecisionInput): Decision | undefined {
  if (x.trigger === "manual" && x.force) return undefined;
  if (x.freeze) return { do: "wait-freeze", reason: x.freeze.reason, since: x.freeze.since };
  const w = x.rotation.rotationWindow;
  if (w && !isOpen(w, x.rotation.timeZone ?? "UTC", x.now)) return { do: "wait-window", until: nextOpening(w, x.rotation.timeZone ?? "UTC", x.now) };
  return undefined;
}
