import type { ReactNode } from "react";

/** An on/off switch: a checkbox with role=switch and its visible label (state shown as words, not only colour). */
export function Switch(props: { label: string; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean; hint?: ReactNode }) {
  return (
    <div className="switch-field">
      <label className="switch">
        <input type="checkbox" role="switch" checked={props.checked} disabled={props.disabled} onChange={(e) => props.onChange(e.target.checked)} />
        <span className="switch-track" aria-hidden="true" />
        <span>{props.label}</span>
        <span className="switch-state" aria-hidden="true">
          {props.checked ? "On" : "Off"}
        </span>
      </label>
      {props.hint && <p className="hint">{props.hint}</p>}
    </div>
  );
}
