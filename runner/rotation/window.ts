/**
 * Rotation windows (issue 25, DESIGN.md "Retirement and windows"): when a rotation may run. Pure, like the
 * schedule, and reading local times with the schedule's zone math (schedule.ts): no date library.
 *
 * A window is a set of weekdays and a local time range in the rotation's time zone (the one its schedule uses;
 * UTC for `rotateAtUtc`), and blackout date ranges.
 * - Each allowed weekday D opens one **occurrence**: from D at `startTime` to `endTime` on the same day, or, when
 *   `endTime` is not after `startTime`, to `endTime` the next day (a night window "22:00–05:00" belongs to the
 *   day it starts on; "00:00–00:00" is the whole day). The end is exclusive.
 * - Times are read as the schedule reads `rotateAt`: a local time that does not exist (a spring-forward gap)
 *   moves forward by the gap, one that exists twice (fall back) is its first instant.
 * - A **blackout** closes every instant whose local date lies in it (`from`..`to`, inclusive), whatever
 *   occurrence it belongs to: a night window that starts the evening before a blackout closes at midnight, and the
 *   one that starts on the last blackout day opens at the midnight after it. A freeze date is quiet all day.
 */
import { localDate, zonedTimeToUtc } from "./schedule";

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Blackout {
  /** Local date, "YYYY-MM-DD" (inclusive). */
  from: string;
  /** Local date, "YYYY-MM-DD" (inclusive), not before `from`. */
  to: string;
  reason?: string | null;
}

export interface RotationWindow {
  /** At least one. */
  weekdays: Weekday[];
  /** "HH:MM", 00:00–23:59. */
  startTime: string;
  /** "HH:MM"; not after startTime: the range ends the next day. */
  endTime: string;
  blackouts: Blackout[];
}

const DAY_MS = 86_400_000;
/** How many local days nextOpening looks through (blackout runs are skipped whole) before it gives up. */
const MAX_DAYS_SCANNED = 5_000;

interface Ymd {
  year: number;
  month: number;
  day: number;
}

/** Days since 1970-01-01 of a calendar date (proleptic Gregorian; years 1-99 not shifted to 19xx). */
function dayNumber(d: Ymd): number {
  const x = new Date(0);
  x.setUTCFullYear(d.year, d.month - 1, d.day);
  return Math.round(x.getTime() / DAY_MS);
}

function fromDayNumber(n: number): Ymd {
  const x = new Date(n * DAY_MS);
  return { year: x.getUTCFullYear(), month: x.getUTCMonth() + 1, day: x.getUTCDate() };
}

/** "YYYY-MM-DD" -> day number; undefined when it is not a calendar date. */
export function parseLocalDate(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) return undefined;
  const n = dayNumber(d);
  const back = fromDayNumber(n);
  return back.month === d.month && back.day === d.day ? n : undefined;
}

/** "HH:MM" -> minutes after midnight; undefined when it is not a time of day. */
export function parseTimeOfDay(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** 1970-01-01 was a Thursday. */
const weekdayOf = (dayNo: number): Weekday => WEEKDAYS[(((dayNo + 3) % 7) + 7) % 7];

/** The window in numbers: minutes, day numbers, blackouts merged into sorted disjoint runs. */
interface Compiled {
  days: ReadonlySet<Weekday>;
  start: number;
  end: number;
  /** [firstDay, lastDay] inclusive, sorted, disjoint, not adjacent. */
  runs: Array<[number, number]>;
}

function compile(w: RotationWindow): Compiled {
  const start = parseTimeOfDay(w.startTime);
  const end = parseTimeOfDay(w.endTime);
  if (start === undefined || end === undefined) throw new RangeError(`window times must be "HH:MM", got ${JSON.stringify(w.startTime)}–${JSON.stringify(w.endTime)}`);
  const ranges = w.blackouts.map((b): [number, number] => {
    const from = parseLocalDate(b.from);
    const to = parseLocalDate(b.to);
    if (from === undefined || to === undefined || to < from) throw new RangeError(`blackout ${b.from}..${b.to} is not a date range`);
    return [from, to];
  });
  ranges.sort((a, b) => a[0] - b[0]);
  const runs: Array<[number, number]> = [];
  for (const [from, to] of ranges) {
    const last = runs.at(-1);
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else runs.push([from, to]);
  }
  return { days: new Set(w.weekdays), start, end, runs };
}

/** The blackout run holding the day, if any. */
function runOf(c: Compiled, dayNo: number): [number, number] | undefined {
  let lo = 0;
  let hi = c.runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = c.runs[mid];
    if (dayNo < from) hi = mid - 1;
    else if (dayNo > to) lo = mid + 1;
    else return c.runs[mid];
  }
  return undefined;
}

/** The instant of local wall time `minutes` after midnight on a day, read as the schedule reads rotateAt. */
function at(tz: string, dayNo: number, minutes: number): number {
  const d = fromDayNumber(dayNo);
  return zonedTimeToUtc(tz, d.year, d.month, d.day, Math.floor(minutes / 60), minutes % 60).getTime();
}

/** The occurrence that starts on a day [start, end) in unix ms, or undefined when the day is not allowed (or it is empty). */
function occurrence(c: Compiled, tz: string, dayNo: number): [number, number] | undefined {
  if (!c.days.has(weekdayOf(dayNo))) return undefined;
  const s = at(tz, dayNo, c.start);
  const e = at(tz, c.end > c.start ? dayNo : dayNo + 1, c.end);
  return e > s ? [s, e] : undefined;
}

const localDayNo = (tz: string, ms: number): number => dayNumber(localDate(tz, new Date(ms)));

/** Whether a rotation may run at `instant` under the window (in zone `tz`). */
export function isOpen(w: RotationWindow, tz: string, instant: Date): boolean {
  return openAt(compile(w), tz, instant.getTime());
}

function openAt(c: Compiled, tz: string, ms: number): boolean {
  const today = localDayNo(tz, ms);
  if (runOf(c, today)) return false;
  // An occurrence lasts at most a day (and a DST hour): the one holding `ms` started today or in the two days before.
  for (const d of [today, today - 1, today - 2]) {
    const o = occurrence(c, tz, d);
    if (o && o[0] <= ms && ms < o[1]) return true;
  }
  return false;
}

/**
 * The first instant at or after `from` when the window is open: `from` itself when it is open. Null when it never
 * opens again within the dates the schedule can name (validation refuses a window without weekdays, which never opens).
 */
export function nextOpening(w: RotationWindow, tz: string, from: Date): Date | null {
  const c = compile(w);
  const t = from.getTime();
  if (Number.isNaN(t)) throw new RangeError("invalid date");
  if (!c.days.size) return null;
  if (openAt(c, tz, t)) return from;
  let best: number | undefined;
  let day = localDayNo(tz, t) - 2;
  for (let scanned = 0; scanned < MAX_DAYS_SCANNED; scanned++, day++) {
    if (fromDayNumber(day + 1).year > 9999) break;
    // Occurrences start in day order: once one has an open instant, one starting a day later cannot open earlier
    // than its start, which is past that instant (a day later) — but check the next one too (DST hours).
    if (best !== undefined && at(tz, day, c.start) > best) break;
    const run = runOf(c, day);
    if (run && run[1] > day) {
      // Every day of the run up to its last is closed all day: only the last day's occurrence can reach past it.
      day = run[1] - 1;
      continue;
    }
    const o = occurrence(c, tz, day);
    if (!o) continue;
    let candidate = Math.max(o[0], t);
    // Inside a blackout: the earliest instant after it (the midnight after its last day) if the occurrence lasts that long.
    const blocked = runOf(c, localDayNo(tz, candidate));
    if (blocked) candidate = at(tz, blocked[1] + 1, 0);
    if (candidate < o[1] && !runOf(c, localDayNo(tz, candidate)) && (best === undefined || candidate < best)) best = candidate;
  }
  return best === undefined ? null : new Date(best);
}

/** A next rotation time moved into the window (unchanged without one, or when it is null). */
export function windowed(time: Date | null, w: RotationWindow | null | undefined, tz: string): Date | null {
  if (!time || !w) return time;
  return nextOpening(w, tz, time);
}

/** "Mon–Fri 22:00–05:00 (Europe/Berlin)" and blackouts, for people (CLI, logs, messages). */
export function describeWindow(w: RotationWindow, tz: string): string {
  const order = WEEKDAYS.filter((d) => w.weekdays.includes(d));
  const days = order.length === 7 ? "every day" : order.join(",");
  const crosses = (parseTimeOfDay(w.endTime) ?? 0) <= (parseTimeOfDay(w.startTime) ?? 0);
  const blackouts = w.blackouts.length ? `; blackouts ${w.blackouts.map((b) => `${b.from}..${b.to}${b.reason ? ` (${b.reason})` : ""}`).join(", ")}` : "";
  return `${days} ${w.startTime}–${w.endTime}${crosses ? " (ends the next day)" : ""} ${tz}${blackouts}`;
}
