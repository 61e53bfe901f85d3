import { cloneElement, type ReactElement, type ReactNode, useId } from "react";

interface ControlProps {
  id?: string;
  "aria-invalid"?: boolean;
  "aria-describedby"?: string;
}

/**
 * A visible label, the control, an optional hint and the field's error: announced when it appears (role=alert),
 * marked on the control (aria-invalid) and linked to it (aria-describedby).
 */
export function Field(props: { label: string; hint?: ReactNode; error?: string; children: ReactElement<ControlProps>; className?: string }) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.hint ? hintId : "", props.error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${props.error ? " field-invalid" : ""}${props.className ? ` ${props.className}` : ""}`}>
      <label htmlFor={id}>{props.label}</label>
      {cloneElement(props.children, { id, "aria-invalid": props.error ? true : undefined, "aria-describedby": describedBy })}
      {props.hint && (
        <p id={hintId} className="hint">
          {props.hint}
        </p>
      )}
      {props.error && (
        <p id={errorId} className="field-error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
