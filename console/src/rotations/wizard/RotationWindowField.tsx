/**
 * The wizard's optional Rotation Window (Configuration step): weekdays, the local time range in the rotation's
 * time zone, and blackout date ranges. Self-contained: it edits one field of the form around it (the API's
 * `rotationWindow`, null = any time) and shows the errors whose path starts with `rotationWindow`.
 */
import { get, useFormContext, useFormState, useWatch } from "react-hook-form";
import type { RotationWindowBody } from "../../../../provider/client";
import { WEEKDAYS } from "../../../../runner/rotation/window";
import { Field } from "../../common/Field";
import { inWords } from "../../common/form";
import { Switch } from "../../common/Switch";

const DAY_LABELS: Record<(typeof WEEKDAYS)[number], string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };
/** What switching the window on starts from: weekday nights. */
export const DEFAULT_WINDOW: RotationWindowBody = { weekdays: ["mon", "tue", "wed", "thu", "fri"], startTime: "22:00", endTime: "05:00", blackouts: [] };

export function RotationWindowField(props: { timeZone: string }) {
  // Watched and set as one value; its errors are its parts' (the step validates them by name: model.ts).
  const { setValue } = useFormContext();
  const { errors } = useFormState({ name: "rotationWindow" });
  const w = useWatch({ name: "rotationWindow" }) as RotationWindowBody | null;
  /** The error of `rotationWindow.<path>`, said with the field's label (inWords). */
  const e = (path: string, label: string): string | undefined => {
    const found: { message?: unknown } | undefined = get(errors, `rotationWindow.${path}`);
    const message = found?.message;
    return typeof message === "string" && message ? inWords(`rotationWindow.${path}`, label, message) : undefined;
  };
  const onChange = (next: RotationWindowBody | null) => setValue("rotationWindow", next, { shouldDirty: true });
  const set = (patch: Partial<RotationWindowBody>) => w && onChange({ ...w, ...patch });
  const setBlackout = (i: number, patch: Partial<RotationWindowBody["blackouts"][number]>) =>
    w && set({ blackouts: w.blackouts.map((b, k) => (k === i ? { ...b, ...patch } : b)) });
  return (
    <div className="rotation-window">
      <Switch
        label="Rotation Window"
        checked={w !== null}
        onChange={(on) => onChange(on ? DEFAULT_WINDOW : null)}
        hint="On: rotate only on these days and hours, outside these dates; a rotation due outside it waits for the next opening."
      />
      {w && (
        <>
          <fieldset className="weekdays" aria-describedby={e("weekdays", "Window Days") ? "window-weekdays-error" : undefined}>
            <legend>Window Days</legend>
            {WEEKDAYS.map((d) => (
              <label key={d} className="checkbox">
                <input
                  type="checkbox"
                  checked={w.weekdays.includes(d)}
                  onChange={(ev) => set({ weekdays: WEEKDAYS.filter((x) => (x === d ? ev.target.checked : w.weekdays.includes(x))) })}
                />
                {DAY_LABELS[d]}
              </label>
            ))}
            {e("weekdays", "Window Days") && (
              <p id="window-weekdays-error" className="field-error" role="alert">
                {e("weekdays", "Window Days")}
              </p>
            )}
          </fieldset>
          <div className="field-row">
            <Field label="Window Opens" error={e("startTime", "Window Opens")} hint={`Local time in ${props.timeZone}.`}>
              <input type="time" value={w.startTime} onChange={(ev) => set({ startTime: ev.target.value })} />
            </Field>
            <Field label="Window Closes" error={e("endTime", "Window Closes")} hint="Not after the opening time: the next day.">
              <input type="time" value={w.endTime} onChange={(ev) => set({ endTime: ev.target.value })} />
            </Field>
          </div>
          {w.blackouts.map((b, i) => (
            <div className="field-row" key={i} role="group" aria-label={`Blackout ${i + 1}`}>
              <Field label={`Blackout ${i + 1} From`} error={e(`blackouts.${i}.from`, `Blackout ${i + 1} From`)}>
                <input type="date" value={b.from} onChange={(ev) => setBlackout(i, { from: ev.target.value })} />
              </Field>
              <Field label={`Blackout ${i + 1} To`} error={e(`blackouts.${i}.to`, `Blackout ${i + 1} To`)}>
                <input type="date" value={b.to} onChange={(ev) => setBlackout(i, { to: ev.target.value })} />
              </Field>
              <Field label={`Blackout ${i + 1} Reason`} error={e(`blackouts.${i}.reason`, `Blackout ${i + 1} Reason`)}>
                <input type="text" value={b.reason ?? ""} onChange={(ev) => setBlackout(i, { reason: ev.target.value || null })} />
              </Field>
              <button type="button" className="link-button" onClick={() => set({ blackouts: w.blackouts.filter((_, k) => k !== i) })}>
                Remove Blackout {i + 1}
              </button>
            </div>
          ))}
          <button type="button" className="link-button" onClick={() => set({ blackouts: [...w.blackouts, { from: "", to: "", reason: null }] })}>
            Add Blackout
          </button>
        </>
      )}
    </div>
  );
}

/** Two windows are the same (so an edit sends the window only when it changed). */
export function sameWindow(a: RotationWindowBody | null, b: RotationWindowBody | null | undefined): boolean {
  const canonical = (w: RotationWindowBody | null | undefined) =>
    w ? JSON.stringify([w.weekdays, w.startTime, w.endTime, w.blackouts.map((x) => [x.from, x.to, x.reason || null])]) : null;
  return canonical(a) === canonical(b);
}
