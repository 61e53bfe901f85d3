import type { ApiConsoleSession } from "../../../provider/client";
import { SignInForm } from "./SignInForm";

export function SignInPage(props: { onSignedIn: (s: ApiConsoleSession) => void; message?: string }) {
  return (
    <main id="main" className="sign-in-page">
      <h1>Sign in to pgrotate</h1>
      <p className="muted">Scheduled dual-user rotation of PostgreSQL credentials.</p>
      {props.message && (
        <p role="status" className="alert alert-info">
          {props.message}
        </p>
      )}
      <SignInForm onSignedIn={props.onSignedIn} />
    </main>
  );
}
