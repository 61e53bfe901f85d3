import { type FormEvent, type KeyboardEvent, type ReactNode, useId, useState } from "react";
import type { ApiConnection, CreateConnectionBody, UpdateConnectionBody } from "../../../provider/client";
import { RunnerApiError } from "../../../provider/client";
import { createConnectionSchema, updateConnectionSchema } from "../../../runner/schemas";
import { api, errorText } from "../api";
import { Field } from "../common/Field";
import { fieldErrors, validationIssues } from "../common/issues";
import { ManagedByWarning } from "../common/ManagedByNotice";
import { Switch } from "../common/Switch";
import { useFocusFirstError } from "../common/useFocusFirstError";
import { AllowedScopesField } from "./AllowedScopesField";
import { rowsOf, type ScopeRow, scopesOf } from "./scopes";

interface Values {
  name: string;
  description: string;
  host: string;
  port: string;
  database: string;
  username: string;
  password: string;
  sslEnabled: boolean;
  sslCertificate: string;
  sslRejectUnauthorized: boolean;
  allowedScopes: ScopeRow[];
}

function valuesOf(c?: ApiConnection): Values {
  return {
    name: c?.name ?? "",
    description: c?.description ?? "",
    host: c?.credentials.host ?? "",
    port: String(c?.credentials.port ?? 5432),
    database: c?.credentials.database ?? "",
    username: c?.credentials.username ?? "",
    password: "",
    sslEnabled: c?.credentials.sslEnabled ?? false,
    sslCertificate: c?.credentials.sslCertificate ?? "",
    sslRejectUnauthorized: c?.credentials.sslRejectUnauthorized ?? true,
    allowedScopes: rowsOf(c?.allowedScopes ?? []),
  };
}

const credentials = (v: Values) => ({
  host: v.host.trim(),
  port: v.port.trim() === "" ? NaN : Number(v.port),
  database: v.database.trim(),
  username: v.username,
  sslEnabled: v.sslEnabled,
  sslRejectUnauthorized: v.sslRejectUnauthorized,
});

function createBody(v: Values): CreateConnectionBody {
  return {
    name: v.name.trim(),
    description: v.description.trim() || undefined,
    method: "username-and-password",
    credentials: { ...credentials(v), password: v.password, ...(v.sslEnabled && v.sslCertificate.trim() ? { sslCertificate: v.sslCertificate } : {}) },
    ...(v.allowedScopes.length ? { allowedScopes: scopesOf(v.allowedScopes) } : {}),
  };
}

/** An edit sends what changed (a credential change makes the runner log in again); an empty password keeps the stored one. */
function updateBody(v: Values, c: ApiConnection): UpdateConnectionBody {
  const now = credentials(v);
  const was = c.credentials;
  const cert = v.sslEnabled && v.sslCertificate.trim() ? v.sslCertificate : null;
  const changed: NonNullable<UpdateConnectionBody["credentials"]> = {};
  if (now.host !== was.host) changed.host = now.host;
  if (now.port !== was.port) changed.port = now.port;
  if (now.database !== was.database) changed.database = now.database;
  if (now.username !== was.username) changed.username = now.username;
  if (now.sslEnabled !== was.sslEnabled) changed.sslEnabled = now.sslEnabled;
  if (now.sslRejectUnauthorized !== was.sslRejectUnauthorized) changed.sslRejectUnauthorized = now.sslRejectUnauthorized;
  if (cert !== (was.sslCertificate ?? null)) changed.sslCertificate = cert;
  if (v.password) changed.password = v.password;
  const description = v.description.trim() || null;
  // The list replaces the stored one: sent whole, and only when it changed.
  const scopes = scopesOf(v.allowedScopes);
  const scopesChanged = JSON.stringify(scopes) !== JSON.stringify(scopesOf(rowsOf(c.allowedScopes)));
  return {
    ...(v.name.trim() !== c.name ? { name: v.name.trim() } : {}),
    ...(description !== (c.description ?? null) ? { description } : {}),
    ...(Object.keys(changed).length ? { credentials: changed } : {}),
    ...(scopesChanged ? { allowedScopes: scopes } : {}),
  };
}

const LABELS: Record<string, string> = {
  name: "Name",
  description: "Description",
  "credentials.host": "Host",
  "credentials.port": "Port",
  "credentials.database": "Database Name",
  "credentials.username": "Username",
  "credentials.password": "Password",
  "credentials.sslCertificate": "SSL Certificate",
};

/** The labels of an Allowed Scope's fields (allowedScopes.<i>.<field>). */
const SCOPE_LABELS: Record<string, string> = { projectId: "Project", environment: "Environment", secretPath: "Path" };

/** Field errors with the API's names replaced by the labels on the screen. */
function labelled(issues: Array<{ path: ReadonlyArray<PropertyKey> | string; message: string }>): Record<string, string> {
  const errors = fieldErrors(issues);
  return Object.fromEntries(
    Object.entries(errors).map(([path, message]) => {
      const last = path.split(".").pop() ?? path;
      const label = LABELS[path] ?? (path.startsWith("allowedScopes.") ? SCOPE_LABELS[last] : undefined);
      const text = message.replace(/allowedScopes\[(\d+)\]/g, (_, n: string) => `Allowed Scope ${Number(n) + 1}`);
      return [path, label && text.startsWith(last) ? label + text.slice(last.length) : text];
    }),
  );
}

/**
 * Add Connection / edit: Name, Description, Host, Port, Database Name, Username, Password, Enable SSL, SSL
 * Certificate, Reject Unauthorized, Allowed Scopes (not inline), then Connect to Database. The runner logs in (SELECT 1) before it stores
 * anything; its refusal (wrong password, unreachable host, TLS) is shown in its words. Inline (inside the
 * wizard's form) it is a group whose Enter key connects rather than submitting the wizard.
 */
export function ConnectionForm(props: { connection?: ApiConnection; inline?: boolean; onSaved: (c: ApiConnection) => void; onCancel: () => void }) {
  const [v, setValues] = useState(() => valuesOf(props.connection));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const headingId = useId();
  const [errorFocusRef, focusFirstError] = useFocusFirstError<HTMLDivElement>();
  const set = (patch: Partial<Values>) => setValues((x) => ({ ...x, ...patch }));
  const editing = props.connection;

  const connect = () => {
    if (busy) return;
    const update = editing && updateBody(v, editing);
    const create = editing ? undefined : createBody(v);
    const parsed = update ? updateConnectionSchema.safeParse(update) : createConnectionSchema.safeParse(create);
    if (!parsed.success) {
      setErrors(labelled(parsed.error.issues));
      focusFirstError();
      return;
    }
    setErrors({});
    setFailure(undefined);
    setBusy(true);
    const request = editing && update ? api.updateConnection(editing.id, update) : api.createConnection(create!);
    request.then(
      (c) => {
        setBusy(false);
        props.onSaved(c);
      },
      (err: unknown) => {
        setBusy(false);
        const issues = validationIssues(err);
        if (issues) setErrors(labelled(issues));
        else if (err instanceof RunnerApiError && err.code === "Conflict") setErrors({ name: errorText(err) });
        else return setFailure(errorText(err));
        focusFirstError();
      },
    );
  };

  const fields: ReactNode = (
    <div ref={errorFocusRef}>
      {editing && <ManagedByWarning managedBy={editing.managedBy} what="connection" />}
      <Field label="Name" error={errors.name} hint="Lowercase letters, digits and single hyphens.">
        <input type="text" spellCheck={false} autoComplete="off" value={v.name} onChange={(e) => set({ name: e.target.value })} />
      </Field>
      <Field label="Description" error={errors.description}>
        <input type="text" value={v.description} onChange={(e) => set({ description: e.target.value })} />
      </Field>
      <div className="field-row">
        <Field label="Host" error={errors["credentials.host"]} className="grow">
          <input type="text" spellCheck={false} autoComplete="off" value={v.host} onChange={(e) => set({ host: e.target.value })} />
        </Field>
        <Field label="Port" error={errors["credentials.port"]}>
          <input type="number" min={1} max={65535} value={v.port} onChange={(e) => set({ port: e.target.value })} />
        </Field>
      </div>
      <Field label="Database Name" error={errors["credentials.database"]}>
        <input type="text" spellCheck={false} autoComplete="off" value={v.database} onChange={(e) => set({ database: e.target.value })} />
      </Field>
      <Field label="Username" error={errors["credentials.username"]} hint="The connection role that changes the two users' passwords.">
        <input type="text" spellCheck={false} autoComplete="off" value={v.username} onChange={(e) => set({ username: e.target.value })} />
      </Field>
      <Field label="Password" error={errors["credentials.password"]} hint={editing ? "Leave empty to keep the current password." : undefined}>
        <input type="password" autoComplete="new-password" value={v.password} onChange={(e) => set({ password: e.target.value })} />
      </Field>
      <Switch label="Enable SSL" checked={v.sslEnabled} onChange={(sslEnabled) => set({ sslEnabled })} hint="TLS that verifies the server; never a fallback to plain text." />
      {v.sslEnabled && (
        <>
          <Field label="SSL Certificate" error={errors["credentials.sslCertificate"]} hint="PEM CA certificate(s); empty: the system's trusted CAs.">
            <textarea rows={4} spellCheck={false} value={v.sslCertificate} onChange={(e) => set({ sslCertificate: e.target.value })} />
          </Field>
          <Switch label="Reject Unauthorized" checked={v.sslRejectUnauthorized} onChange={(sslRejectUnauthorized) => set({ sslRejectUnauthorized })} />
        </>
      )}
      {/* Inline (in the wizard) the connection is for the unscoped admin creating a rotation: granting it is done here, on App Connections. */}
      {!props.inline && <AllowedScopesField rows={v.allowedScopes} onChange={(allowedScopes) => set({ allowedScopes })} errors={errors} />}
      {failure && (
        <div role="alert" className="alert alert-error">
          {failure}
        </div>
      )}
    </div>
  );
  const buttons = (submit: "submit" | "button") => (
    <div className="dialog-actions">
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button type={submit} className="button-primary" disabled={busy} onClick={submit === "button" ? connect : undefined}>
        {busy ? "Connecting…" : "Connect to Database"}
      </button>
    </div>
  );

  if (props.inline) {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Enter" && e.target instanceof HTMLInputElement) {
        e.preventDefault();
        connect();
      }
    };
    return (
      <div role="group" aria-labelledby={headingId} className="inline-form" onKeyDown={onKey}>
        <h4 id={headingId}>Add Connection</h4>
        {fields}
        {buttons("button")}
      </div>
    );
  }
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        connect();
      }}
      noValidate
    >
      {fields}
      {buttons("submit")}
    </form>
  );
}
