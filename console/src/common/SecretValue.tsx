import { useState } from "react";
import { CopyButton } from "./CopyButton";

const MASK = "••••••••••••••••";

/**
 * A secret shown masked until asked; the value is in the page only while shown. `of` (a secret's key) ends the
 * buttons' names for screen readers, so the rows' buttons are told apart.
 */
export function SecretValue(props: { value: string; what: string; of?: string }) {
  const of = props.of ? ` of ${props.of}` : "";
  const [shown, setShown] = useState(false);
  return (
    <span className="secret-value">
      <code className="secret-text" aria-label={shown ? undefined : `${props.what} (hidden)`}>
        {shown ? props.value : MASK}
      </code>
      <button type="button" className="button-small" aria-pressed={shown} onClick={() => setShown(!shown)}>
        {shown ? `Hide ${props.what.toLowerCase()}` : `Show ${props.what.toLowerCase()}`}
        {of && <span className="visually-hidden">{of}</span>}
      </button>
      <CopyButton value={props.value} label={`Copy ${props.what.toLowerCase()}`} hiddenSuffix={of} />
    </span>
  );
}
