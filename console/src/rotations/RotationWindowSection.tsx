/** A rotation's window on its page: the days and times in its zone, the blackouts, and when it opens next. */
import { useEffect, useState } from "react";
import type { ApiRotation } from "../../../provider/client";
import { nextOpening, parseTimeOfDay, WEEKDAYS } from "../../../runner/rotation/window";
import { DateTime } from "../common/DateTime";

const DAY_NAMES: Record<(typeof WEEKDAYS)[number], string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

/** The clock, read again every minute (whether the window is open now changes with it). */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function RotationWindowSection(props: { rotation: ApiRotation }) {
  const r = props.rotation;
  const now = useNow();
  const w = r.rotationWindow;
  if (!w) {
    return (
      <>
        <dt>Rotation Window</dt>
        <dd>Any time</dd>
      </>
    );
  }
  const days = w.weekdays.length === 7 ? "Every day" : WEEKDAYS.filter((d) => w.weekdays.includes(d)).map((d) => DAY_NAMES[d]).join(", ");
  const nextDay = (parseTimeOfDay(w.endTime) ?? 0) <= (parseTimeOfDay(w.startTime) ?? 0);
  const opens = nextOpening(w, r.timeZone, new Date(now));
  const openNow = opens !== null && opens.getTime() <= now;
  return (
    <>
      <dt>Rotation Window</dt>
      <dd>
        {days}, {w.startTime}–{w.endTime}
        {nextDay ? " (next day)" : ""} ({r.timeZone})
      </dd>
      {w.blackouts.length > 0 && (
        <>
          <dt>Blackouts</dt>
          <dd>
            <ul className="plain-list">
              {w.blackouts.map((b) => (
                <li key={`${b.from}-${b.to}`}>
                  {b.from === b.to ? b.from : `${b.from} – ${b.to}`}
                  {b.reason ? `: ${b.reason}` : ""}
                </li>
              ))}
            </ul>
          </dd>
        </>
      )}
      <dt>Window Opens</dt>
      <dd>{openNow ? "Open now" : opens ? <DateTime value={opens.toISOString()} /> : "Never again"}</dd>
    </>
  );
}
