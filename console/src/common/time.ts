/** Dates as a person reads them, absolute in the browser's time zone (relative: provider/status-words.ts). */
const MINUTE = 60_000;

const absoluteFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });

/** The browser's IANA time zone (what "Rotate At" means by default). */
export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

export const absolute = (when: Date): string => absoluteFormat.format(when);

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
