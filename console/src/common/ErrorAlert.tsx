import { RunnerApiError } from "../../../provider/client";
import { errorText, isUnreachable } from "../api";

/** A failed request, in words (role=alert: announced when it appears). */
export function ErrorAlert(props: { error: unknown; what?: string }) {
  // An ended session is said once, by the sign-in dialog over the page.
  if (!props.error || (props.error instanceof RunnerApiError && props.error.status === 401)) return null;
  const text = isUnreachable(props.error) ? `${errorText(props.error)}. Check that the runner is running; retrying.` : errorText(props.error);
  return (
    <div role="alert" className="alert alert-error">
      {props.what && <strong>{props.what}: </strong>}
      {text}
    </div>
  );
}
