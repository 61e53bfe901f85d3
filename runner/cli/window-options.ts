/**
 * The rotation window as options of `rotations create|update` (rotation/window.ts): `--window-days mon-fri`,
 * `--window 22:00-05:00`, `--blackout 2026-12-20..2027-01-04[:reason]` (repeatable), `--no-blackouts`, `--no-window`:
 * their parsers, and the body's field built from them.
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";
import type { RotationWindowBody } from "../../provider/client";
import { WEEKDAYS, type Weekday } from "../rotation/window";

/** "mon-fri", "sat,sun", "mon-wed,fri" -> the weekdays, in week order. */
export function parseWeekdays(v: string): Weekday[] {
  const days = new Set<Weekday>();
  const index = (d: string): number => {
    const i = WEEKDAYS.indexOf(d.trim().toLowerCase().slice(0, 3) as Weekday);
    if (i < 0 || d.trim().length < 3) throw new InvalidArgumentError(`weekdays such as mon-fri or sat,sun (${WEEKDAYS.join(", ")}); not ${JSON.stringify(d)}`);
    return i;
  };
  for (const part of v.split(",")) {
    const [from, to] = part.split("-");
    const a = index(from);
    const b = to === undefined ? a : index(to);
    // A range may wrap around the week: fri-mon is fri, sat, sun, mon.
    for (let i = a; ; i = (i + 1) % 7) {
      days.add(WEEKDAYS[i]);
      if (i === b) break;
    }
  }
  return WEEKDAYS.filter((d) => days.has(d));
}

/** "22:00-05:00" -> its two times (checked by the runner's schema with the rest of the body). */
export function parseTimeRange(v: string): { startTime: string; endTime: string } {
  const m = /^\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*$/.exec(v);
  if (!m) throw new InvalidArgumentError("a local time range such as 22:00-05:00 (the end may be on the next day)");
  return { startTime: m[1], endTime: m[2] };
}

type Blackout = RotationWindowBody["blackouts"][number];

/** "2026-12-20..2027-01-04:reason" (or one date) added to the ones before (the option repeats). */
export function parseBlackout(v: string, previous: Blackout[] = []): Blackout[] {
  const m = /^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?(?::(.*))?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError("a date range such as 2026-12-20..2027-01-04, optionally with :reason");
  return [...previous, { from: m[1], to: m[2] ?? m[1], ...(m[3] ? { reason: m[3] } : {}) }];
}

/** The window's options, as `rotations create|update` declare them (flag, help, parser). */
export const WINDOW_OPTIONS = {
  days: ["--window-days <days>", "rotation window: the days a time range starts on, e.g. mon-fri or sat,sun (with only days: whole days)"],
  range: ["--window <hh:mm-hh:mm>", "rotation window: the local time range, in the rotation's time zone, e.g. 22:00-05:00 (ends the next day)"],
  none: ["--no-window", "no rotation window: rotate at any time (update: removes it)"],
  blackout: ["--blackout <from..to[:reason]>", "rotation window: local dates it stays closed, e.g. 2026-12-20..2027-01-04:release freeze (repeat for more; replaces the list)"],
  noBlackouts: ["--no-blackouts", "update: remove every blackout of the window"],
} as const;

/**
 * The body's rotationWindow from the options: {} when none is given, null for --no-window, else the window
 * built over the current one (update: what is not given is kept).
 */
export function windowField(
  o: { windowDays?: Weekday[]; window?: { startTime: string; endTime: string } | boolean; blackout?: Blackout[]; blackouts?: boolean },
  current?: RotationWindowBody | null,
): { rotationWindow?: RotationWindowBody | null } {
  if (o.window === false) return { rotationWindow: null };
  const range = typeof o.window === "object" ? o.window : undefined;
  if (!o.windowDays && !range && !o.blackout && o.blackouts !== false) return {};
  const base = current ?? { weekdays: [...WEEKDAYS], startTime: "00:00", endTime: "00:00", blackouts: [] };
  return {
    rotationWindow: {
      weekdays: o.windowDays ?? base.weekdays,
      startTime: range?.startTime ?? base.startTime,
      endTime: range?.endTime ?? base.endTime,
      blackouts: o.blackouts === false ? [] : (o.blackout ?? base.blackouts),
    },
  };
}
