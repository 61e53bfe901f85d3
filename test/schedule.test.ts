/**
 * Pure schedule math (runner/rotation/schedule.ts). No database needed.
 * Every expected instant was computed by hand and checked against Node's Intl (ICU tz data):
 * - America/New_York 2026: spring forward 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); fall back 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z).
 * - Europe/Berlin 2026: 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z); 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z).
 * - Australia/Lord_Howe 2026 (30-minute DST): 2026-04-05 02:00 +11 -> 01:30 +10:30 (04-04 15:00Z);
 *   2026-10-04 02:00 +10:30 -> 02:30 +11 (10-03 15:30Z).
 */
import fc from "fast-check";
import {
  isValidTimeZone,
  localDate,
  nextRotationAt,
  zonedTimeToUtc,
  type ScheduleSpec,
} from "../runner/rotation/schedule";

const spec = (timeZone: string, rotationInterval: number, hours: number, minutes: number): ScheduleSpec => ({
  timeZone,
  rotationInterval,
  rotateAt: { hours, minutes },
});
const iso = (s: string): Date => new Date(s);

describe("isValidTimeZone", () => {
  test.each<[string, boolean]>([
    ["UTC", true],
    ["America/New_York", true],
    ["Europe/Berlin", true],
    ["Australia/Lord_Howe", true],
    ["Asia/Kathmandu", true],
    ["Mars/Olympus_Mons", false],
    ["", false],
    ["+01:00", false],
    ["-05:00", false],
  ])("When the zone is %j, then validity is %s", (tz, expected) => {
    expect(isValidTimeZone(tz)).toBe(expected);
  });
});

describe("zonedTimeToUtc", () => {
  // [why, tz, y, m, d, hh, mm, expected ISO]
  test.each<[string, string, number, number, number, number, number, string]>([
    ["a plain UTC wall time is itself", "UTC", 2026, 1, 10, 15, 30, "2026-01-10T15:30:00.000Z"],
    ["a non-DST zone with a 45-minute offset applies it", "Asia/Kathmandu", 2026, 1, 1, 0, 0, "2025-12-31T18:15:00.000Z"],
    ["the last minute before New York springs forward is EST", "America/New_York", 2026, 3, 8, 1, 59, "2026-03-08T06:59:00.000Z"],
    ["02:00 in the New York gap moves forward one hour to 03:00 EDT", "America/New_York", 2026, 3, 8, 2, 0, "2026-03-08T07:00:00.000Z"],
    ["02:30 in the New York gap moves forward one hour to 03:30 EDT", "America/New_York", 2026, 3, 8, 2, 30, "2026-03-08T07:30:00.000Z"],
    ["03:00 just after the New York gap is EDT", "America/New_York", 2026, 3, 8, 3, 0, "2026-03-08T07:00:00.000Z"],
    ["01:00 ambiguous in New York takes the first (EDT)", "America/New_York", 2026, 11, 1, 1, 0, "2026-11-01T05:00:00.000Z"],
    ["01:30 ambiguous in New York takes the first (EDT)", "America/New_York", 2026, 11, 1, 1, 30, "2026-11-01T05:30:00.000Z"],
    ["02:00 after New York falls back is EST (not ambiguous)", "America/New_York", 2026, 11, 1, 2, 0, "2026-11-01T07:00:00.000Z"],
    ["02:30 in the Berlin gap moves forward to 03:30 CEST", "Europe/Berlin", 2026, 3, 29, 2, 30, "2026-03-29T01:30:00.000Z"],
    ["02:30 ambiguous in Berlin takes the first (CEST)", "Europe/Berlin", 2026, 10, 25, 2, 30, "2026-10-25T00:30:00.000Z"],
    ["02:00 in the 30-minute Lord Howe gap moves forward 30 minutes", "Australia/Lord_Howe", 2026, 10, 4, 2, 0, "2026-10-03T15:30:00.000Z"],
    ["02:15 in the 30-minute Lord Howe gap moves forward 30 minutes to 02:45 +11", "Australia/Lord_Howe", 2026, 10, 4, 2, 15, "2026-10-03T15:45:00.000Z"],
    ["02:30 just after the Lord Howe gap is +11", "Australia/Lord_Howe", 2026, 10, 4, 2, 30, "2026-10-03T15:30:00.000Z"],
    ["01:30 ambiguous at Lord Howe takes the first (+11)", "Australia/Lord_Howe", 2026, 4, 5, 1, 30, "2026-04-04T14:30:00.000Z"],
    ["01:45 ambiguous at Lord Howe takes the first (+11)", "Australia/Lord_Howe", 2026, 4, 5, 1, 45, "2026-04-04T14:45:00.000Z"],
    ["02:00 after Lord Howe falls back is +10:30", "Australia/Lord_Howe", 2026, 4, 5, 2, 0, "2026-04-04T15:30:00.000Z"],
    ["a whole missing day (Samoa 2011-12-30) moves forward by the 24-hour gap", "Pacific/Apia", 2011, 12, 30, 12, 0, "2011-12-30T22:00:00.000Z"],
  ])("When %s, then the instant is as expected", (_why, tz, y, m, d, hh, mm, expected) => {
    expect(zonedTimeToUtc(tz, y, m, d, hh, mm).toISOString()).toBe(expected);
  });

  test("When the date does not exist on the calendar or the zone is unknown, then it throws RangeError", () => {
    expect(() => zonedTimeToUtc("UTC", 2026, 2, 29, 0, 0)).toThrow(RangeError);
    expect(() => zonedTimeToUtc("UTC", 2026, 13, 1, 0, 0)).toThrow(RangeError);
    expect(() => zonedTimeToUtc("UTC", 2026, 1, 1, 24, 0)).toThrow(RangeError);
    expect(() => zonedTimeToUtc("Mars/Olympus_Mons", 2026, 1, 1, 0, 0)).toThrow(RangeError);
  });
});

describe("localDate", () => {
  test.each<[string, string, [number, number, number]]>([
    ["UTC", "2024-02-29T23:59:59.999Z", [2024, 2, 29]],
    ["America/New_York", "2026-06-02T02:00:00Z", [2026, 6, 1]],
    ["Asia/Tokyo", "2026-06-01T15:00:00Z", [2026, 6, 2]],
    ["Australia/Lord_Howe", "2026-10-03T15:30:00Z", [2026, 10, 4]],
  ])("When the instant is read in %s, then the local date is that zone's calendar date", (tz, at, [year, month, day]) => {
    expect(localDate(tz, iso(at))).toEqual({ year, month, day });
  });
});

describe("nextRotationAt", () => {
  // [why, spec, lastRotationAt, manual, expected ISO]
  test.each<[string, ScheduleSpec, string, boolean, string]>([
    // UTC calendar arithmetic (scheduled rotations)
    ["UTC, interval 1", spec("UTC", 1, 0, 0), "2026-01-10T00:00:00Z", false, "2026-01-11T00:00:00.000Z"],
    ["UTC, interval 30, ran 3 s after due", spec("UTC", 30, 0, 0), "2026-01-10T00:00:03Z", false, "2026-02-09T00:00:00.000Z"],
    ["UTC, interval 365 in a common year", spec("UTC", 365, 0, 0), "2026-01-10T00:00:00Z", false, "2027-01-10T00:00:00.000Z"],
    ["UTC, interval 7 at 12:45", spec("UTC", 7, 12, 45), "2026-03-01T12:45:00Z", false, "2026-03-08T12:45:00.000Z"],
    ["UTC, Feb 28 2024 + 1 is the leap day", spec("UTC", 1, 0, 0), "2024-02-28T00:00:00Z", false, "2024-02-29T00:00:00.000Z"],
    ["UTC, Feb 29 2024 + 1 is Mar 1", spec("UTC", 1, 0, 0), "2024-02-29T00:00:00Z", false, "2024-03-01T00:00:00.000Z"],
    ["UTC, Feb 29 2024 + 365 is Feb 28 2025 (calendar addition)", spec("UTC", 365, 0, 0), "2024-02-29T00:00:00Z", false, "2025-02-28T00:00:00.000Z"],
    ["UTC, Jan 31 + 1 is Feb 1", spec("UTC", 1, 0, 0), "2026-01-31T00:00:00Z", false, "2026-02-01T00:00:00.000Z"],
    ["UTC, Jan 31 2024 + 30 crosses the leap February", spec("UTC", 30, 0, 0), "2024-01-31T00:00:00Z", false, "2024-03-01T00:00:00.000Z"],
    ["UTC, Dec 31 + 1 is Jan 1 of the next year", spec("UTC", 1, 0, 0), "2025-12-31T00:00:00Z", false, "2026-01-01T00:00:00.000Z"],
    // Zones: the local date, not the UTC date, is the base
    ["New York 22:00 EDT is already the next UTC day", spec("America/New_York", 1, 22, 0), "2026-06-02T02:00:00Z", false, "2026-06-03T02:00:00.000Z"],
    // DST gaps and overlaps
    ["New York 02:30 lands in the 2026-03-08 gap", spec("America/New_York", 1, 2, 30), "2026-03-07T07:30:00Z", false, "2026-03-08T07:30:00.000Z"],
    ["New York, the day after the gap is back at 02:30 EDT", spec("America/New_York", 1, 2, 30), "2026-03-08T07:30:00Z", false, "2026-03-09T06:30:00.000Z"],
    ["New York 01:30 lands in the 2026-11-01 overlap", spec("America/New_York", 1, 1, 30), "2026-10-31T05:30:00Z", false, "2026-11-01T05:30:00.000Z"],
    ["New York, the day after the overlap is 01:30 EST", spec("America/New_York", 1, 1, 30), "2026-11-01T05:30:00Z", false, "2026-11-02T06:30:00.000Z"],
    ["Berlin 02:30 lands in the 2026-03-29 gap", spec("Europe/Berlin", 1, 2, 30), "2026-03-28T01:30:00Z", false, "2026-03-29T01:30:00.000Z"],
    ["Berlin 02:30 lands in the 2026-10-25 overlap", spec("Europe/Berlin", 1, 2, 30), "2026-10-24T00:30:00Z", false, "2026-10-25T00:30:00.000Z"],
    ["Lord Howe 02:15 lands in the 30-minute gap of 2026-10-04", spec("Australia/Lord_Howe", 1, 2, 15), "2026-10-02T15:45:00Z", false, "2026-10-03T15:45:00.000Z"],
    ["Lord Howe 01:45 lands in the 30-minute overlap of 2026-04-05", spec("Australia/Lord_Howe", 1, 1, 45), "2026-04-03T14:45:00Z", false, "2026-04-04T14:45:00.000Z"],
    // Manual rotations
    ["UTC manual before the time of day: no extra day", spec("UTC", 1, 12, 0), "2026-01-10T10:00:00Z", true, "2026-01-11T12:00:00.000Z"],
    ["UTC manual exactly at the time of day: no extra day", spec("UTC", 1, 12, 0), "2026-01-10T12:00:00.000Z", true, "2026-01-11T12:00:00.000Z"],
    ["UTC manual 1 ms past the time of day: one more day", spec("UTC", 1, 12, 0), "2026-01-10T12:00:00.001Z", true, "2026-01-12T12:00:00.000Z"],
    ["UTC manual after the time of day: one more day", spec("UTC", 1, 12, 0), "2026-01-10T13:00:00Z", true, "2026-01-12T12:00:00.000Z"],
    ["UTC scheduled after the time of day: no extra day", spec("UTC", 1, 12, 0), "2026-01-10T13:00:00Z", false, "2026-01-11T12:00:00.000Z"],
    ["New York manual at 08:00 EDT before 09:00: no extra day", spec("America/New_York", 7, 9, 0), "2026-06-01T12:00:00Z", true, "2026-06-08T13:00:00.000Z"],
    ["New York manual at 10:00 EDT after 09:00: one more day", spec("America/New_York", 7, 9, 0), "2026-06-01T14:00:00Z", true, "2026-06-09T13:00:00.000Z"],
    ["Tokyo manual at 01:00 JST (previous UTC day) before 03:00: no extra day", spec("Asia/Tokyo", 1, 3, 0), "2026-06-01T16:00:00Z", true, "2026-06-02T18:00:00.000Z"],
    ["Tokyo manual at 05:00 JST after 03:00: one more day", spec("Asia/Tokyo", 1, 3, 0), "2026-06-01T20:00:00Z", true, "2026-06-03T18:00:00.000Z"],
    // Creation counts as a manual rotation (Infisical's documented example)
    ["creation at 15:30Z, interval 30, rotateAtUtc 00:00 (Infisical example): 31 days later", spec("UTC", 30, 0, 0), "2026-01-10T15:30:00Z", true, "2026-02-10T00:00:00.000Z"],
    ["creation exactly at 00:00Z, interval 30: 30 days later", spec("UTC", 30, 0, 0), "2026-01-10T00:00:00Z", true, "2026-02-09T00:00:00.000Z"],
  ])("When %s, then the next rotation is as expected", (_why, s, last, manual, expected) => {
    expect(nextRotationAt(s, iso(last), { manual }).toISOString()).toBe(expected);
  });

  test("When no options are given, then the rotation is treated as scheduled", () => {
    expect(nextRotationAt(spec("UTC", 1, 12, 0), iso("2026-01-10T13:00:00Z")).toISOString()).toBe("2026-01-11T12:00:00.000Z");
  });

  test("When a rotation is created as in Infisical's example, then at least a full interval passes before the first rotation", () => {
    const created = iso("2026-01-10T15:30:00Z");
    const next = nextRotationAt(spec("UTC", 30, 0, 0), created, { manual: true });
    expect(next.getTime() - created.getTime()).toBe(30 * 86_400_000 + 8.5 * 3_600_000);
  });

  test("When the spec is invalid, then it throws RangeError", () => {
    const at = iso("2026-01-10T00:00:00Z");
    expect(() => nextRotationAt(spec("UTC", 0, 0, 0), at)).toThrow(RangeError);
    expect(() => nextRotationAt(spec("UTC", 1.5, 0, 0), at)).toThrow(RangeError);
    expect(() => nextRotationAt(spec("UTC", 1, 24, 0), at)).toThrow(RangeError);
    expect(() => nextRotationAt(spec("UTC", 1, 0, 60), at)).toThrow(RangeError);
    expect(() => nextRotationAt(spec("Nowhere/Land", 1, 0, 0), at)).toThrow(RangeError);
    expect(() => nextRotationAt(spec("UTC", 1, 0, 0), new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe("properties", () => {
  // Zones with 1 h, 30 min and 2 h shifts, midnight transitions, southern-hemisphere DST and odd offsets.
  // All have whole-minute offsets in the sampled range, so "truncated to the minute" is the same locally and in UTC.
  const zones = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Antarctica/Troll",
  ];
  const zoneArb = fc.constantFrom(...zones);
  const instantArb = fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2040-01-01T00:00:00Z"), noInvalidDate: true });

  // Independent reading of the local wall clock (not the module's helper).
  const wallFormatters = new Map<string, Intl.DateTimeFormat>();
  const wall = (tz: string, at: Date) => {
    let f = wallFormatters.get(tz);
    if (!f) {
      f = new Intl.DateTimeFormat("en-US", {
        timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric",
      });
      wallFormatters.set(tz, f);
    }
    const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, Number(x.value)]));
    return { year: p.year, month: p.month, day: p.day, hours: p.hour % 24, minutes: p.minute };
  };

  test("When an instant's local date and time are converted back, then the result is the instant truncated to the minute, or an earlier instant with the same wall time when that time is ambiguous", () => {
    fc.assert(
      fc.property(zoneArb, instantArb, (tz, t) => {
        const d = localDate(tz, t);
        const w = wall(tz, t);
        expect(d).toEqual({ year: w.year, month: w.month, day: w.day });
        const back = zonedTimeToUtc(tz, d.year, d.month, d.day, w.hours, w.minutes);
        const truncated = Math.floor(t.getTime() / 60_000) * 60_000;
        if (back.getTime() !== truncated) {
          // Ambiguous: the first of the two instants showing this wall time, at most a DST shift earlier.
          expect(back.getTime()).toBeLessThan(truncated);
          expect(truncated - back.getTime()).toBeLessThanOrEqual(2 * 3_600_000);
          expect(wall(tz, back)).toEqual(w);
        }
      }),
      { numRuns: 2000 },
    );
  });

  // Verified transition instants (Intl): instants within 3 h of them hit gaps and overlaps often.
  const transitions: [string, string][] = [
    ["America/New_York", "2026-03-08T07:00:00Z"],
    ["America/New_York", "2026-11-01T06:00:00Z"],
    ["Europe/Berlin", "2026-03-29T01:00:00Z"],
    ["Europe/Berlin", "2026-10-25T01:00:00Z"],
    ["Australia/Lord_Howe", "2026-04-04T15:00:00Z"],
    ["Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
    ["America/Sao_Paulo", "2019-02-17T02:00:00Z"],
    ["Antarctica/Troll", "2026-03-29T01:00:00Z"],
    ["Antarctica/Troll", "2026-10-25T01:00:00Z"],
  ];
  const nearTransitionArb = fc
    .tuple(fc.constantFrom(...transitions), fc.integer({ min: -3 * 3_600_000, max: 3 * 3_600_000 }))
    .map(([[tz, at], delta]) => [tz, new Date(Date.parse(at) + delta)] as const);

  test("When an instant near a DST transition is converted back, then the round trip holds (ambiguous times give the first instant)", () => {
    let ambiguous = 0;
    fc.assert(
      fc.property(nearTransitionArb, ([tz, t]) => {
        const d = localDate(tz, t);
        const w = wall(tz, t);
        const back = zonedTimeToUtc(tz, d.year, d.month, d.day, w.hours, w.minutes);
        const truncated = Math.floor(t.getTime() / 60_000) * 60_000;
        expect(back.getTime()).toBeLessThanOrEqual(truncated);
        expect(wall(tz, back)).toEqual(w);
        if (back.getTime() !== truncated) {
          ambiguous += 1;
          // The earlier instant is exactly one DST shift (1 h, 30 min or 2 h) before.
          expect([3_600_000, 1_800_000, 7_200_000]).toContain(truncated - back.getTime());
        } else {
          // Not ambiguous, or already the first occurrence: nothing earlier shows this wall time.
          for (const shift of [1_800_000, 3_600_000, 7_200_000]) {
            expect(wall(tz, new Date(truncated - shift))).not.toEqual(w);
          }
        }
      }),
      { numRuns: 3000 },
    );
    expect(ambiguous).toBeGreaterThan(0);
  });

  test("When the next rotation is computed, then it is in the future, on the expected local date, at rotateAt or later that day if rotateAt is missing", () => {
    fc.assert(
      fc.property(
        zoneArb,
        instantArb,
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.boolean(),
        (tz, last, interval, hours, minutes, manual) => {
          const next = nextRotationAt(spec(tz, interval, hours, minutes), last, { manual });
          expect(next.getTime()).toBeGreaterThan(last.getTime());
          const from = localDate(tz, last);
          const to = localDate(tz, next);
          const days = Math.round((Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / 86_400_000);
          const lw = wall(tz, last);
          const past = lw.hours * 60 + lw.minutes > hours * 60 + minutes
            || (lw.hours * 60 + lw.minutes === hours * 60 + minutes && last.getTime() % 60_000 !== 0);
          expect(days).toBe(interval + (manual && past ? 1 : 0));
          const nw = wall(tz, next);
          const got = nw.hours * 60 + nw.minutes;
          expect(got).toBeGreaterThanOrEqual(hours * 60 + minutes);
          if (got !== hours * 60 + minutes) {
            // rotateAt fell in a gap: moved forward by at most the largest shift sampled (2 h at Troll).
            expect(got - (hours * 60 + minutes)).toBeLessThanOrEqual(120);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
