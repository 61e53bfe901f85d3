import type { ApiConsoleSession } from "../../../provider/client";
import { Dialog } from "../common/Dialog";
import { SignInForm } from "./SignInForm";

/** Shown over the page when the session ends: the page (and anything typed in it) stays as it was. */
export function SignInDialog(props: { onSignedIn: (s: ApiConsoleSession) => void }) {
  return (
    <Dialog title="Session expired" onClose={() => undefined} closable={false} description="Your session has ended. Sign in again to continue; nothing you typed on this page is lost.">
      <SignInForm onSignedIn={props.onSignedIn} />
    </Dialog>
  );
}
