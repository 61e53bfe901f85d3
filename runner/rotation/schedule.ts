/**
 * Pure schedule math for rotations (DESIGN.md, "Rotation semantics" → "Schedule").
 *
 * No date library: time-zone offsets come from `Intl.DateTimeFormat` (ICU's tz database shipped with Node).
 * Every function here is pure apart from a small cache of formatters.
 */

export interface TimeOfDay {
  /** 0-23 */
  hours: number;
  /** 0-59 */
  minutes: number;
}

export interface ScheduleSpec {
  /** Whole days >= 1. */
  rotationInterval: number;
  /** Local time of day in `timeZone`. */
  rotateAt: TimeOfDay;
  /** IANA name; "UTC" when the rotation uses `rotateAtUtc`. */
  timeZone: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Formatters are costly to build; keep one per zone name (bounded, names come from user input). */
const FORMATTER_CACHE_LIMIT = 512;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    // Throws RangeError for an unknown zone.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      calendar: "gregory",
      numberingSystem: "latn",
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    if (formatters.size >= FORMATTER_CACHE_LIMIT) formatters.clear();
    formatters.set(tz, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Local wall-clock fields (to the second) of the instant `ms` in `tz`. */
function localParts(tz: string, ms: number): LocalParts {
  const out: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of formatterFor(tz).formatToParts(ms)) {
    switch (p.type) {
      case "year":
        out.year = Number(p.value);
        break;
      case "month":
        out.month = Number(p.value);
        break;
      case "day":
        out.day = Number(p.value);
        break;
      case "hour":
        // Some ICU versions print midnight as "24" even with h23; normalise.
        out.hour = Number(p.value) % 24;
        break;
      case "minute":
        out.minute = Number(p.value);
        break;
      case "second":
        out.second = Number(p.value);
        break;
      default:
        break;
    }
  }
  return out;
}

/** Milliseconds since the epoch of the given fields read as UTC (years 0-99 are not shifted to 19xx). */
function fieldsAsUtcMs(year: number, month: number, day: number, hours: number, minutes: number, seconds = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hours, minutes, seconds, 0);
  return d.getTime();
}

/** UTC offset (local minus UTC, in ms) of `tz` at the instant `ms`. */
function offsetMs(tz: string, ms: number): number {
  const p = localParts(tz, ms);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return fieldsAsUtcMs(p.year, p.month, p.day, p.hour, p.minute, p.second) - wholeSecond;
}

function assertInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

function assertTimeZone(tz: string): void {
  if (!isValidTimeZone(tz)) throw new RangeError(`invalid time zone: ${JSON.stringify(tz)}`);
}

/**
 * Whether the IANA zone name is valid for Intl.
 * Intl also resolves links and is case-insensitive ("utc", "US/Eastern" are accepted). Offset strings such as
 * "+01:00" are rejected even on Node versions whose Intl accepts them: they are not IANA names.
 */
export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== "string" || tz.length === 0 || tz.length > 64 || /^[+\-\u2212]/.test(tz)) return false;
  try {
    formatterFor(tz);
    return true;
  } catch {
    return false;
  }
}

/**
 * UTC instant of local wall time (y, m 1-12, d, hh:mm) in tz.
 * DST gap: a missing local time moves forward by the gap (02:30 on a spring-forward day in New York -> 03:30 EDT;
 * 02:15 on a Lord Howe spring-forward day, a 30-minute gap -> 02:45). Ambiguous (fall back): the FIRST (earlier) instant.
 * Throws RangeError for an unknown zone or a date/time that does not exist on the calendar (e.g. Feb 30).
 */
export function zonedTimeToUtc(tz: string, year: number, month: number, day: number, hours: number, minutes: number): Date {
  assertTimeZone(tz);
  assertInt("year", year, 1, 9999);
  assertInt("month", month, 1, 12);
  assertInt("day", day, 1, 31);
  assertInt("hours", hours, 0, 23);
  assertInt("minutes", minutes, 0, 59);
  const wall = fieldsAsUtcMs(year, month, day, hours, minutes);
  const check = new Date(wall);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new RangeError(`no such calendar date: ${year}-${month}-${day}`);
  }

  // Offsets a day either side of the wall time bracket any transition that affects it
  // (real zones never change offset twice within ~2 days).
  const before = offsetMs(tz, wall - DAY_MS);
  const after = offsetMs(tz, wall + DAY_MS);
  let best: number | undefined;
  for (const o of before === after ? [before] : [before, after]) {
    const t = wall - o;
    if (offsetMs(tz, t) === o && (best === undefined || t < best)) best = t;
  }
  if (best !== undefined) return new Date(best); // the only instant, or the first of two (fall back)

  // Gap (spring forward): no instant shows this wall time. Reading it with the offset in force before the
  // transition lands after the transition, at wall + (after - before) in the new offset: moved forward by the gap,
  // whatever its size (1 h, 30 min at Lord Howe, a whole day in Samoa 2011).
  return new Date(wall - before);
}

/** Local calendar date (y, m, d) of an instant in tz. */
export function localDate(tz: string, at: Date): { year: number; month: number; day: number } {
  assertTimeZone(tz);
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError("invalid date");
  const p = localParts(tz, ms);
  return { year: p.year, month: p.month, day: p.day };
}

/** Calendar addition of whole days (proleptic Gregorian): Jan 31 + 1 = Feb 1, 2024-02-29 + 365 = 2025-02-28. */
function addDays(year: number, month: number, day: number, days: number): { year: number; month: number; day: number } {
  const d = new Date(fieldsAsUtcMs(year, month, day, 0, 0) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * Next rotation: the local date (in spec.timeZone) of `lastRotationAt` + rotationInterval days, at rotateAt.
 * If `manual` and lastRotationAt's local time of day is already past rotateAt, add one more day
 * (a full interval always passes). "Past" is strict: a manual rotation at exactly rotateAt (to the millisecond)
 * gets no extra day — the next one is then exactly one interval of calendar days later.
 * Day arithmetic is on the calendar (Jan 31 + 1 = Feb 1; Feb 28 2024 + 1 = Feb 29; Feb 29 + 365 = Feb 28 next year,
 * handled by calendar addition, not "same date next year").
 * The resulting wall time goes through {@link zonedTimeToUtc}: a missing local time moves forward by the gap, an
 * ambiguous one takes the first instant.
 *
 * **Creation counts as a manual rotation**: compute the first schedule with
 * `nextRotationAt(spec, createdAt, { manual: true })`. This reproduces Infisical's documented behaviour: created
 * at 15:30Z with interval 30 and rotateAtUtc 00:00 → the date 31 days later at 00:00Z (15:30 is past 00:00, so
 * the extra day keeps a full 30 days between creation and the first rotation).
 *
 * A scheduled rotation that ran at (or shortly after) its due time passes `manual: false` (the default): its
 * local date + interval at rotateAt (due 00:00, ran 00:00:03 → next = date + interval at 00:00).
 *
 * Note: days are calendar days, so across a DST change the elapsed time can be an hour (30 min at Lord Howe)
 * more or less than interval × 24 h.
 */
export function nextRotationAt(spec: ScheduleSpec, lastRotationAt: Date, opts?: { manual?: boolean }): Date {
  const { rotationInterval, rotateAt, timeZone } = spec;
  assertTimeZone(timeZone);
  assertInt("rotationInterval", rotationInterval, 1, 36_500);
  assertInt("rotateAt.hours", rotateAt.hours, 0, 23);
  assertInt("rotateAt.minutes", rotateAt.minutes, 0, 59);
  const ms = lastRotationAt.getTime();
  if (Number.isNaN(ms)) throw new RangeError("invalid lastRotationAt");

  const p = localParts(timeZone, ms);
  let days = rotationInterval;
  if (opts?.manual === true) {
    const subSecond = ((ms % 1000) + 1000) % 1000;
    const localTimeOfDayMs = ((p.hour * 60 + p.minute) * 60 + p.second) * 1000 + subSecond;
    const rotateAtMs = (rotateAt.hours * 60 + rotateAt.minutes) * MINUTE_MS;
    if (localTimeOfDayMs > rotateAtMs) days += 1;
  }
  const d = addDays(p.year, p.month, p.day, days);
  return zonedTimeToUtc(timeZone, d.year, d.month, d.day, rotateAt.hours, rotateAt.minutes);
}
