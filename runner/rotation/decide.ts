/**
 * What a rotate call must do, decided from the rotation row, the intents left over from an earlier attempt,
 * the trigger and the clock — a pure function, so every case is one row of a table test
 * (test/decide.test.ts). The engine (engine.ts) carries the decision out.
 */
import type { IntentRecord, RotationRecord } from "../store/rows";

/** A consumer may still hold the credentials of the user that stopped being active this long ago. */
export const GRACE_MS = 10 * 60 * 1000;
/** After this many failed attempts an intent's password is replaced by a fresh one. */
export const MAX_INTENT_ATTEMPTS = 5;

/** "drift": a drift check found a stored password that no longer logs in (runs like a manual rotation, forced). */
export type Trigger = "create" | "manual" | "scheduled" | "recovery" | "drift";

export type Decision =
  /** Two create intents are left (a create was interrupted): set and prove both, then store them. */
  | { do: "finish-create" }
  /** An intent is left: finish it with its own password; `renew` when its attempts are used up (a fresh password). */
  | { do: "roll-forward"; intent: Pick<IntentRecord, "targetIndex" | "kind" | "attempts">; renew: boolean }
  /** Nothing is left: a fresh password for the inactive user. */
  | { do: "start-fresh"; targetIndex: 0 | 1 }
  /** Nothing to do: a recovery found no intent, or a scheduled claim is no longer due (another runner did it). */
  | { do: "nothing"; why: "no-intent-left" | "not-due" }
  /** The inactive user stopped being active less than GRACE_MS ago: a manual call is refused, a scheduled one waits. */
  | { do: "wait-grace"; allowedAt: Date; inactiveIndex: 0 | 1 };

export interface DecisionInput {
  trigger: Exclude<Trigger, "create">;
  /** `?force=true` of a manual rotation: past the grace guard. */
  force: boolean;
  now: Date;
  rotation: Pick<RotationRecord, "activeIndex" | "inactiveSince" | "nextRotationAt">;
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
  const inactiveIndex = (1 - r.activeIndex) as 0 | 1;
  if (!x.force && r.inactiveSince) {
    const allowedAt = new Date(r.inactiveSince.getTime() + GRACE_MS);
    if (now < allowedAt) return { do: "wait-grace", allowedAt, inactiveIndex };
  }
  return { do: "start-fresh", targetIndex: inactiveIndex };
}
