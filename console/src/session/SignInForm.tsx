import { type FormEvent, type KeyboardEvent, useId, useRef, useState } from "react";
import type { ApiConsoleSession } from "../../../provider/client";
import { consoleSignInSchema } from "../../../runner/schemas";
import { api, errorText } from "../api";
import { Field } from "../common/Field";
import { fieldErrors } from "../common/issues";
import { useFocusFirstError } from "../common/useFocusFirstError";

type Tab = "token" | "identity";
const TABS: Array<{ id: Tab; label: string }> = [
  { id: "token", label: "Token" },
  { id: "identity", label: "Machine Identity" },
];

/**
 * Sign-in with the admin token or a scoped token, or (second tab) a machine identity's Client ID and Client
 * Secret. The runner answers with an HttpOnly session cookie: nothing typed here is kept after sign-in.
 */
export function SignInForm(props: { onSignedIn: (s: ApiConsoleSession) => void }) {
  const [tab, setTab] = useState<Tab>("token");
  const [token, setToken] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const tabRefs = useRef<Array<HTMLButtonElement | null>>([]);
  const base = useId();
  const [errorFocusRef, focusFirstError] = useFocusFirstError<HTMLFormElement>();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const optional = (v: string) => (v ? v : undefined);
    const body = tab === "token" ? { token: optional(token.trim()) } : { clientId: optional(clientId.trim()), clientSecret: optional(clientSecret) };
    const parsed = consoleSignInSchema.safeParse(body);
    if (!parsed.success) {
      setErrors(fieldErrors(parsed.error.issues));
      focusFirstError();
      return;
    }
    setErrors({});
    setFailure(undefined);
    setBusy(true);
    api.signIn(parsed.data).then(
      (s) => {
        setToken("");
        setClientSecret("");
        props.onSignedIn(s);
      },
      (err: unknown) => {
        setFailure(errorText(err));
        setBusy(false);
      },
    );
  };

  const onTabKey = (e: KeyboardEvent, i: number) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    e.preventDefault();
    const next = (i + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length;
    setTab(TABS[next].id);
    tabRefs.current[next]?.focus();
  };

  return (
    <form ref={errorFocusRef} className="sign-in-form" onSubmit={submit} noValidate>
      <div role="tablist" aria-label="Sign in with" className="tabs">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`${base}-${t.id}-tab`}
            aria-selected={tab === t.id}
            aria-controls={`${base}-${t.id}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-${tab}-panel`} className="tab-panel">
        {tab === "token" ? (
          <Field label="Token" error={errors.token} hint="The admin token (in .pgrotate/admin.token) or a scoped token. It is exchanged for a session cookie and never stored in the browser.">
            <input type="password" autoComplete="off" spellCheck={false} value={token} onChange={(e) => setToken(e.target.value)} />
          </Field>
        ) : (
          <>
            <Field label="Client ID" error={errors.clientId}>
              <input type="text" autoComplete="off" spellCheck={false} value={clientId} onChange={(e) => setClientId(e.target.value)} />
            </Field>
            <Field label="Client Secret" error={errors.clientSecret}>
              <input type="password" autoComplete="off" spellCheck={false} value={clientSecret} onChange={(e) => setClientSecret(e.target.value)} />
            </Field>
          </>
        )}
      </div>
      {failure && (
        <div role="alert" className="alert alert-error">
          {failure}
        </div>
      )}
      <button type="submit" className="button-primary" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
