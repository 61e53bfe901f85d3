import { errorText, isUnreachable } from "../api";

/** A failed request, in words (role=alert: announced when it appears). */
export function ErrorAlert(props: { error: unknown; what?: string }) {
  if (!props.error) return null;
  const text = isUnreachable(props.error) ? `${errorText(props.error)}. Check that the runner is running; retrying.` : errorText(props.error);
  return (
    <div role="alert" className="alert alert-error">
      {props.what && <strong>{props.what}: </strong>}
      {text}
    </div>
  );
}
