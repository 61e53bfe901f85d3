import { useMutation } from "@tanstack/react-query";
import { type KeyboardEvent, useId, useRef } from "react";
import { FormProvider, useWatch } from "react-hook-form";
import type { ApiConsoleSession } from "../../../provider/client";
import type { z } from "zod";
import { consoleSignInSchema } from "../../../runner/schemas";
import { api, errorText } from "../api";
import { bodySchema, useSchemaForm } from "../common/form";
import { FormField } from "../common/FormField";

type Tab = "token" | "identity";
const TABS: Array<{ id: Tab; label: string }> = [
  { id: "token", label: "Token" },
  { id: "identity", label: "Machine Identity" },
];

interface Values {
  /** The tab shown: what is sent. */
  tab: Tab;
  token: string;
  clientId: string;
  clientSecret: string;
}

const optional = (v: string) => (v ? v : undefined);
const schema = bodySchema(consoleSignInSchema, (v: Values) =>
  v.tab === "token" ? { token: optional(v.token.trim()) } : { clientId: optional(v.clientId.trim()), clientSecret: optional(v.clientSecret) },
);

/**
 * Sign-in with the admin token or a scoped token, or (second tab) a machine identity's Client ID and Client
 * Secret. The runner answers with an HttpOnly session cookie: nothing typed here is kept after sign-in.
 */
export function SignInForm(props: { onSignedIn: (s: ApiConsoleSession) => void }) {
  const { form, focusRef, submit } = useSchemaForm(schema, { tab: "token", token: "", clientId: "", clientSecret: "" });
  const tab = useWatch({ control: form.control, name: "tab" });
  const setTab = (t: Tab) => form.setValue("tab", t);
  const tabRefs = useRef<Array<HTMLButtonElement | null>>([]);
  const base = useId();
  const signIn = useMutation({
    mutationFn: (body: z.output<typeof schema>) => api.signIn(body),
    onSuccess: (s) => {
      form.resetField("token");
      form.resetField("clientSecret");
      props.onSignedIn(s);
    },
  });

  const onTabKey = (e: KeyboardEvent, i: number) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    e.preventDefault();
    const next = (i + (e.key === "ArrowRight" ? 1 : TABS.length - 1)) % TABS.length;
    setTab(TABS[next].id);
    tabRefs.current[next]?.focus();
  };

  return (
    <FormProvider {...form}>
      <form ref={focusRef} className="sign-in-form" onSubmit={(e) => void submit((body) => signIn.mutate(body))(e)} noValidate>
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
            <FormField name="token" label="Token" hint="The admin token (in .pgrotate/admin.token) or a scoped token. It is exchanged for a session cookie and never stored in the browser.">
              <input type="password" autoComplete="off" spellCheck={false} />
            </FormField>
          ) : (
            <>
              <FormField name="clientId" label="Client ID">
                <input type="text" autoComplete="off" spellCheck={false} />
              </FormField>
              <FormField name="clientSecret" label="Client Secret">
                <input type="password" autoComplete="off" spellCheck={false} />
              </FormField>
            </>
          )}
        </div>
        {signIn.error && (
          <div role="alert" className="alert alert-error">
            {errorText(signIn.error)}
          </div>
        )}
        <button type="submit" className="button-primary" disabled={signIn.isPending}>
          {signIn.isPending ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </FormProvider>
  );
}
