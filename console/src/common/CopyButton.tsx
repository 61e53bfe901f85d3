import { useEffect, useState } from "react";
import { copyText } from "./copy";

/** Copies a value; says "Copied" (or why not) in words for a moment. `hiddenSuffix` ends its name for screen readers only. */
export function CopyButton(props: { value: string; label: string; hiddenSuffix?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const t = setTimeout(() => setState("idle"), 2500);
    return () => clearTimeout(t);
  }, [state]);
  const copy = () => {
    copyText(props.value).then(
      () => setState("copied"),
      () => setState("failed"),
    );
  };
  return (
    <>
      <button type="button" className="button-small" onClick={copy}>
        {props.label}
        {props.hiddenSuffix && <span className="visually-hidden">{props.hiddenSuffix}</span>}
      </button>
      <span role="status" className="copy-status">
        {state === "copied" ? "Copied" : state === "failed" ? "Could not copy" : ""}
      </span>
    </>
  );
}
