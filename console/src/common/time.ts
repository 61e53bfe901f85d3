/** Dates as a person reads them: relative ("in 30 days") and absolute in the browser's time zone. */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const absoluteFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });

/** The browser's IANA time zone (what "Rotate At" means by default). */
export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

export function relative(when: Date, now: Date = new Date()): string {
  const ms = when.getTime() - now.getTime();
  const abs = Math.abs(ms);
  if (abs < MINUTE) return ms >= 0 ? "in less than a minute" : "just now";
  if (abs < HOUR) return relativeFormat.format(Math.trunc(ms / MINUTE), "minute");
  if (abs < DAY) return relativeFormat.format(Math.trunc(ms / HOUR), "hour");
  return relativeFormat.format(Math.trunc(ms / DAY), "day");
}

export const absolute = (when: Date): string => absoluteFormat.format(when);

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** "30 days", "5 hours", "12 minutes": whole units left until `when` (at least a minute). */
export function timeLeft(when: Date, now: Date = new Date()): string {
  const ms = Math.max(0, when.getTime() - now.getTime());
  if (ms >= DAY) return plural(Math.floor(ms / DAY), "day");
  if (ms >= HOUR) return plural(Math.floor(ms / HOUR), "hour");
  return plural(Math.max(1, Math.ceil(ms / MINUTE)), "minute");
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < MINUTE) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / MINUTE)} min ${Math.round((ms % MINUTE) / 1000)} s`;
}

/** "03:00" from { hours, minutes }, and back (undefined when it is not a time of day). */
export const formatTimeOfDay = (t: { hours: number; minutes: number }): string =>
  `${String(t.hours).padStart(2, "0")}:${String(t.minutes).padStart(2, "0")}`;

export function parseTimeOfDay(s: string): { hours: number; minutes: number } | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(s.trim());
  return m ? { hours: Number(m[1]), minutes: Number(m[2]) } : undefined;
}
