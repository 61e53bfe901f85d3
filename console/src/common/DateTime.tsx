import { relativeTime } from "../../../provider/status-words";
import { absolute } from "./time";

/** A moment, relative and absolute (the browser's zone); "Never" / a fallback when there is none. */
export function DateTime(props: { value: string | null; fallback?: string }) {
  if (!props.value) return <span className="muted">{props.fallback ?? "Never"}</span>;
  const d = new Date(props.value);
  return (
    <time dateTime={props.value} className="datetime">
      <span>{relativeTime(d)}</span> <span className="muted">{absolute(d)}</span>
    </time>
  );
}
