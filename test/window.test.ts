/**
 * Pure window math (runner/rotation/window.ts). No database needed. The zones' transitions are the ones
 * test/schedule.test.ts lists:
 * - America/New_York 2026: spring forward Sun 2026-03-08 02:00 EST -> 03:00 EDT (07:00Z); fall back Sun 2026-11-01
 *   02:00 EDT -> 01:00 EST (06:00Z).
 * - Europe/Berlin 2026: Sun 2026-03-29 02:00 CET -> 03:00 CEST (01:00Z).
 * Weekdays: 2026-01-05 and 2027-01-04 are Mondays, 2026-01-09 a Friday, 2026-12-19 a Saturday.
 */
import fc from "fast-check";
import { describeWindow, isOpen, nextOpening, type RotationWindow, WEEKDAYS, type Weekday } from "../runner/rotation/window";

const MON_FRI: Weekday[] = ["mon", "tue", "wed", "thu", "fri"];
const EVERY_DAY: Weekday[] = [...WEEKDAYS];
const win = (weekdays: Weekday[], startTime: string, endTime: string, blackouts: RotationWindow["blackouts"] = []): RotationWindow => ({ weekdays, startTime, endTime, blackouts });

const OFFICE = win(MON_FRI, "09:00", "17:00");
const BERLIN_NIGHTS = win(MON_FRI, "22:00", "05:00");
const NY_EARLY = win(EVERY_DAY, "02:30", "04:00");
const NY_IN_GAP = win(EVERY_DAY, "02:10", "02:50");
const NY_REPEATED = win(EVERY_DAY, "01:00", "01:30");
const NY_ACROSS_FALL_BACK = win(EVERY_DAY, "01:30", "02:30");
const BERLIN_LATE = win(["sat"], "23:00", "03:00");
const HOLIDAY_NIGHTS = win(EVERY_DAY, "22:00", "05:00", [{ from: "2026-12-20", to: "2027-01-04", reason: "release freeze" }]);
const SUNDAYS = win(["sun"], "00:00", "00:00");

// [why, window, zone, instant, open?]
const OPEN_TABLE: Array<[string, RotationWindow, string, string, boolean]> = [
  ["a weekday inside the range is open", OFFICE, "UTC", "2026-01-05T09:00:00Z", true],
  ["the minute before the start is closed", OFFICE, "UTC", "2026-01-05T08:59:59.999Z", false],
  ["the last millisecond before the end is open", OFFICE, "UTC", "2026-01-09T16:59:59.999Z", true],
  ["the end is exclusive", OFFICE, "UTC", "2026-01-09T17:00:00Z", false],
  ["a Saturday is closed in a Monday-to-Friday window", OFFICE, "UTC", "2026-01-10T12:00:00Z", false],
  ["a night window is open on the evening it starts (Fri 23:00 CET)", BERLIN_NIGHTS, "Europe/Berlin", "2026-01-09T22:00:00Z", true],
  ["a night window stays open after midnight on the next day, a Saturday (Sat 03:00 CET)", BERLIN_NIGHTS, "Europe/Berlin", "2026-01-10T02:00:00Z", true],
  ["a night window's end is its end on the next day (Sat 05:00 CET)", BERLIN_NIGHTS, "Europe/Berlin", "2026-01-10T04:00:00Z", false],
  ["Saturday evening opens no night in a Monday-to-Friday window", BERLIN_NIGHTS, "Europe/Berlin", "2026-01-10T21:30:00Z", false],
  ["Monday 04:00 belongs to Sunday's night, which is not allowed", BERLIN_NIGHTS, "Europe/Berlin", "2026-01-12T03:00:00Z", false],
  ["the times are local: 22:00 in Berlin is 21:00Z in winter", BERLIN_NIGHTS, "Europe/Berlin", "2026-01-12T21:00:00Z", true],
  ["spring forward: a start that does not exist (02:30) moves forward by the gap, so 03:15 EDT is still closed", NY_EARLY, "America/New_York", "2026-03-08T07:15:00Z", false],
  ["spring forward: it opens at 03:30 EDT, as the schedule reads 02:30", NY_EARLY, "America/New_York", "2026-03-08T07:30:00Z", true],
  ["spring forward: a window wholly inside the gap moves forward with it (02:50 -> 03:50 EDT is still open at 03:45)", NY_IN_GAP, "America/New_York", "2026-03-08T07:45:00Z", true],
  ["fall back: a range that exists twice is open the first time (01:15 EDT)", NY_REPEATED, "America/New_York", "2026-11-01T05:15:00Z", true],
  ["fall back: and closed the second time (01:15 EST)", NY_REPEATED, "America/New_York", "2026-11-01T06:15:00Z", false],
  ["fall back: a range across the repeated hour lasts two hours (01:45 EST is inside 01:30 EDT–02:30 EST)", NY_ACROSS_FALL_BACK, "America/New_York", "2026-11-01T06:45:00Z", true],
  ["a night across the spring-forward hour ends at 03:00 CEST (Sun 02:30Z is after it)", BERLIN_LATE, "Europe/Berlin", "2026-03-29T01:30:00Z", false],
  ["a night across the spring-forward hour is open before it (Sun 01:30 CET)", BERLIN_LATE, "Europe/Berlin", "2026-03-29T00:30:00Z", true],
  ["blackout: the night before it is open until midnight (Sat Dec 19 23:00)", HOLIDAY_NIGHTS, "UTC", "2026-12-19T23:00:00Z", true],
  ["blackout: that night closes at midnight, on the first blackout day, though it started the day before", HOLIDAY_NIGHTS, "UTC", "2026-12-20T01:00:00Z", false],
  ["blackout: the night that starts on its last day is closed until midnight", HOLIDAY_NIGHTS, "UTC", "2027-01-04T23:00:00Z", false],
  ["blackout: and opens at the midnight after it, though it started on a blackout day", HOLIDAY_NIGHTS, "UTC", "2027-01-05T01:00:00Z", true],
  ["a whole-day window (00:00–00:00) is open all Sunday", SUNDAYS, "UTC", "2026-01-11T23:59:59Z", true],
  ["and closed from Monday 00:00", SUNDAYS, "UTC", "2026-01-12T00:00:00Z", false],
];

describe("isOpen", () => {
  test.each(OPEN_TABLE)("When %s, then isOpen is as the table says", (_why, w, tz, instant, expected) => {
    expect(isOpen(w, tz, new Date(instant))).toBe(expected);
  });
});

// [why, window, zone, from, next opening]
const NEXT_TABLE: Array<[string, RotationWindow, string, string, string | null]> = [
  ["an open instant is its own opening", OFFICE, "UTC", "2026-01-05T10:11:12.345Z", "2026-01-05T10:11:12.345Z"],
  ["Friday after hours waits for Monday's start", OFFICE, "UTC", "2026-01-09T17:00:00Z", "2026-01-12T09:00:00.000Z"],
  ["Saturday waits for Monday", OFFICE, "UTC", "2026-01-10T08:00:00Z", "2026-01-12T09:00:00.000Z"],
  ["before the start on a weekday waits for that day's start", OFFICE, "UTC", "2026-01-07T03:00:00Z", "2026-01-07T09:00:00.000Z"],
  ["a Saturday afternoon waits for Monday 22:00 CET in a night window", BERLIN_NIGHTS, "Europe/Berlin", "2026-01-10T14:00:00Z", "2026-01-12T21:00:00.000Z"],
  ["spring forward: 01:00 EST waits for 03:30 EDT (the start moved forward by the gap)", NY_EARLY, "America/New_York", "2026-03-08T06:00:00Z", "2026-03-08T07:30:00.000Z"],
  ["fall back: the second 01:15 waits for the next day's first 01:00 (EST)", NY_REPEATED, "America/New_York", "2026-11-01T06:15:00Z", "2026-11-02T06:00:00.000Z"],
  ["blackout: the day before it opens at its start time", HOLIDAY_NIGHTS, "UTC", "2026-12-19T12:00:00Z", "2026-12-19T22:00:00.000Z"],
  ["blackout: inside it, the opening is the midnight after its last day (in the night that started on that day)", HOLIDAY_NIGHTS, "UTC", "2026-12-20T00:00:00Z", "2027-01-05T00:00:00.000Z"],
  ["a whole-day Sunday window waits from Monday to Sunday 00:00", SUNDAYS, "UTC", "2026-01-05T00:00:00Z", "2026-01-11T00:00:00.000Z"],
  ["a window without weekdays never opens", win([], "01:00", "02:00"), "UTC", "2026-01-05T00:00:00Z", null],
];

describe("nextOpening", () => {
  test.each(NEXT_TABLE)("When %s, then the next opening is as the table says", (_why, w, tz, from, expected) => {
    expect(nextOpening(w, tz, new Date(from))?.toISOString() ?? null).toBe(expected);
  });

  test("When forty years of blackouts follow each other, then the opening is the day after them: runs of blackouts are skipped whole, not scanned day by day (that stops at 5,000 days)", () => {
    const blackouts = Array.from({ length: 40 }, (_, i) => ({ from: `${2027 + i}-01-01`, to: `${2027 + i}-12-31` }));
    expect(nextOpening(win(EVERY_DAY, "00:00", "00:00", blackouts), "Europe/Berlin", new Date("2027-03-01T12:00:00Z"))?.toISOString()).toBe("2066-12-31T23:00:00.000Z");
  });

  test("When every Monday of four years is a blackout day of its own, then a Monday-only window opens on the Monday after them", () => {
    const mondays = Array.from({ length: 209 }, (_, i) => new Date(Date.UTC(2027, 0, 4) + i * 7 * 86_400_000).toISOString().slice(0, 10));
    const w = win(["mon"], "10:00", "11:00", mondays.map((d) => ({ from: d, to: d })));
    const after = new Date(Date.UTC(2027, 0, 4) + 209 * 7 * 86_400_000 + 10 * 3_600_000);
    expect(nextOpening(w, "UTC", new Date("2027-01-01T00:00:00Z"))?.toISOString()).toBe(after.toISOString());
  });
});

describe("describeWindow", () => {
  test("When a night window with a blackout is described, then it names the days, the times, the zone and the blackout", () => {
    expect(describeWindow({ ...BERLIN_NIGHTS, blackouts: [{ from: "2026-12-20", to: "2027-01-04", reason: "freeze" }] }, "Europe/Berlin")).toBe(
      "mon,tue,wed,thu,fri 22:00–05:00 (ends the next day) Europe/Berlin; blackouts 2026-12-20..2027-01-04 (freeze)",
    );
  });
});

describe("nextOpening (property)", () => {
  const ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu"];
  const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45, 59)).map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
  const day2026 = fc.integer({ min: 0, max: 364 }).map((d) => new Date(Date.UTC(2026, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
  const blackout = fc.tuple(day2026, fc.integer({ min: 0, max: 20 })).map(([from, len]) => ({
    from,
    to: new Date(Date.parse(`${from}T00:00:00Z`) + len * 86_400_000).toISOString().slice(0, 10),
  }));
  const windowArb = fc.record({
    weekdays: fc.subarray([...WEEKDAYS], { minLength: 1 }),
    startTime: hhmm,
    endTime: hhmm,
    blackouts: fc.array(blackout, { maxLength: 3 }),
  });
  const instant = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }).map((ms) => new Date(ms));

  test("When any window is asked for its next opening, then that instant is open, not before the start, and no earlier instant since the start is", () => {
    fc.assert(
      fc.property(windowArb, fc.constantFrom(...ZONES), instant, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }), (w, tz, from, samples) => {
        const next = nextOpening(w, tz, from);
        expect(next).not.toBeNull();
        const n = next!.getTime();
        expect(n).toBeGreaterThanOrEqual(from.getTime());
        expect(isOpen(w, tz, next!)).toBe(true);
        if (n > from.getTime()) {
          expect(isOpen(w, tz, new Date(n - 1))).toBe(false);
          for (const s of samples) expect(isOpen(w, tz, new Date(from.getTime() + Math.floor(s * (n - 1 - from.getTime()))))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
