import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type KeyboardEvent, type ReactNode, useId, useMemo } from "react";
import { FormProvider, useWatch } from "react-hook-form";
import type { ApiConnection, CreateConnectionBody, UpdateConnectionBody } from "../../../provider/client";
import { RunnerApiError } from "../../../provider/client";
import type { ZodType } from "zod";
import { createConnectionSchema, updateConnectionSchema } from "../../../runner/schemas";
import { api, errorText } from "../api";
import { bodySchema, namesFields, type Place, setServerErrors, useSchemaForm } from "../common/form";
import { FormField, SwitchField } from "../common/FormField";
import { ManagedByWarning } from "../common/ManagedByNotice";
import { keys } from "../queries";
import { AllowedScopesField } from "./AllowedScopesField";
import { rowsOf, type ScopeRow, scopesOf } from "./scopes";

/** The form's values, named as in the request body (an error's path is the field it is shown on). */
interface Values {
  name: string;
  description: string;
  credentials: {
    host: string;
    /** NaN when empty (the schema then says so). */
    port: number;
    database: string;
    username: string;
    password: string;
    sslEnabled: boolean;
    sslCertificate: string;
    sslRejectUnauthorized: boolean;
  };
  allowedScopes: ScopeRow[];
}

function valuesOf(c?: ApiConnection): Values {
  return {
    name: c?.name ?? "",
    description: c?.description ?? "",
    credentials: {
      host: c?.credentials.host ?? "",
      port: c?.credentials.port ?? 5432,
      database: c?.credentials.database ?? "",
      username: c?.credentials.username ?? "",
      password: "",
      sslEnabled: c?.credentials.sslEnabled ?? false,
      sslCertificate: c?.credentials.sslCertificate ?? "",
      sslRejectUnauthorized: c?.credentials.sslRejectUnauthorized ?? true,
    },
    allowedScopes: rowsOf(c?.allowedScopes ?? []),
  };
}

const credentials = ({ credentials: v }: Values) => ({
  host: v.host.trim(),
  port: v.port,
  database: v.database.trim(),
  username: v.username,
  sslEnabled: v.sslEnabled,
  sslRejectUnauthorized: v.sslRejectUnauthorized,
});

function createBody(v: Values): CreateConnectionBody {
  const c = v.credentials;
  return {
    name: v.name.trim(),
    description: v.description.trim() || undefined,
    method: "username-and-password",
    credentials: { ...credentials(v), password: c.password, ...(c.sslEnabled && c.sslCertificate.trim() ? { sslCertificate: c.sslCertificate } : {}) },
    ...(v.allowedScopes.length ? { allowedScopes: scopesOf(v.allowedScopes) } : {}),
  };
}

/** An edit sends what changed (a credential change makes the runner log in again); an empty password keeps the stored one. */
function updateBody(v: Values, c: ApiConnection): UpdateConnectionBody {
  const now = credentials(v);
  const was = c.credentials;
  const cert = v.credentials.sslEnabled && v.credentials.sslCertificate.trim() ? v.credentials.sslCertificate : null;
  const changed: NonNullable<UpdateConnectionBody["credentials"]> = {};
  if (now.host !== was.host) changed.host = now.host;
  if (now.port !== was.port) changed.port = now.port;
  if (now.database !== was.database) changed.database = now.database;
  if (now.username !== was.username) changed.username = now.username;
  if (now.sslEnabled !== was.sslEnabled) changed.sslEnabled = now.sslEnabled;
  if (now.sslRejectUnauthorized !== was.sslRejectUnauthorized) changed.sslRejectUnauthorized = now.sslRejectUnauthorized;
  if (cert !== (was.sslCertificate ?? null)) changed.sslCertificate = cert;
  if (v.credentials.password) changed.password = v.credentials.password;
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

/** "allowedScopes[1] repeats allowedScopes[0]" in the words on the screen. */
const place: Place = (i) => ({ path: i.path, message: i.message.replace(/allowedScopes\[(\d+)\]/g, (_, n: string) => `Allowed Scope ${Number(n) + 1}`) });

/**
 * Add Connection / edit: Name, Description, Host, Port, Database Name, Username, Password, Enable SSL, SSL
 * Certificate, Reject Unauthorized, Allowed Scopes (not inline), then Connect to Database. The runner logs in (SELECT 1) before it stores
 * anything; its refusal (wrong password, unreachable host, TLS) is shown in its words. Inline (inside the
 * wizard's form) it is a group whose Enter key connects rather than submitting the wizard.
 */
export function ConnectionForm(props: { connection?: ApiConnection; inline?: boolean; onSaved: (c: ApiConnection) => void; onCancel: () => void }) {
  const editing = props.connection;
  const client = useQueryClient();
  const schema = useMemo(
    (): ZodType<CreateConnectionBody | UpdateConnectionBody, Values> =>
      editing ? bodySchema(updateConnectionSchema, (v: Values) => updateBody(v, editing), place) : bodySchema(createConnectionSchema, createBody, place),
    [editing],
  );
  const { form, focusRef, focusFirstError, submit } = useSchemaForm<Values, CreateConnectionBody | UpdateConnectionBody, HTMLDivElement>(schema, valuesOf(editing));
  const headingId = useId();
  const sslEnabled = useWatch({ control: form.control, name: "credentials.sslEnabled" });
  const save = useMutation({
    mutationFn: (body: CreateConnectionBody | UpdateConnectionBody) => (editing ? api.updateConnection(editing.id, body) : api.createConnection(body as CreateConnectionBody)),
    onSuccess: (c) => {
      client.setQueryData<ApiConnection[]>(keys.connections(), (list) => list && (list.some((x) => x.id === c.id) ? list.map((x) => (x.id === c.id ? c : x)) : [...list, c]));
      void client.invalidateQueries({ queryKey: keys.connections() });
      props.onSaved(c);
    },
    onError: (err) => {
      if (isTaken(err)) form.setError("name", { type: "server", message: errorText(err) });
      else if (!setServerErrors(form.setError, err, place)) return;
      focusFirstError();
    },
  });
  const failure = save.error && !isTaken(save.error) && !namesFields(save.error) ? errorText(save.error) : undefined;
  const connect = submit((body) => {
    if (!save.isPending) save.mutate(body);
  });

  const fields: ReactNode = (
    <div ref={focusRef}>
      {editing && <ManagedByWarning managedBy={editing.managedBy} what="connection" />}
      <FormField name="name" label="Name" hint="Lowercase letters, digits and single hyphens.">
        <input type="text" spellCheck={false} autoComplete="off" />
      </FormField>
      <FormField name="description" label="Description">
        <input type="text" />
      </FormField>
      <div className="field-row">
        <FormField name="credentials.host" label="Host" className="grow">
          <input type="text" spellCheck={false} autoComplete="off" />
        </FormField>
        <FormField name="credentials.port" label="Port" number>
          <input type="number" min={1} max={65535} />
        </FormField>
      </div>
      <FormField name="credentials.database" label="Database Name">
        <input type="text" spellCheck={false} autoComplete="off" />
      </FormField>
      <FormField name="credentials.username" label="Username" hint="The connection role that changes the two users' passwords.">
        <input type="text" spellCheck={false} autoComplete="off" />
      </FormField>
      <FormField name="credentials.password" label="Password" hint={editing ? "Leave empty to keep the current password." : undefined}>
        <input type="password" autoComplete="new-password" />
      </FormField>
      <SwitchField name="credentials.sslEnabled" label="Enable SSL" hint="TLS that verifies the server; never a fallback to plain text." />
      {sslEnabled && (
        <>
          <FormField name="credentials.sslCertificate" label="SSL Certificate" hint="PEM CA certificate(s); empty: the system's trusted CAs.">
            <textarea rows={4} spellCheck={false} />
          </FormField>
          <SwitchField name="credentials.sslRejectUnauthorized" label="Reject Unauthorized" />
        </>
      )}
      {/* Inline (in the wizard) the connection is for the unscoped admin creating a rotation: granting it is done here, on App Connections. */}
      {!props.inline && <AllowedScopesField />}
      {failure && (
        <div role="alert" className="alert alert-error">
          {failure}
        </div>
      )}
    </div>
  );
  const buttons = (type: "submit" | "button") => (
    <div className="dialog-actions">
      <button type="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button type={type} className="button-primary" disabled={save.isPending} onClick={type === "button" ? () => void connect() : undefined}>
        {save.isPending ? "Connecting…" : "Connect to Database"}
      </button>
    </div>
  );

  if (props.inline) {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Enter" && e.target instanceof HTMLInputElement) {
        e.preventDefault();
        void connect();
      }
    };
    return (
      <FormProvider {...form}>
        <div role="group" aria-labelledby={headingId} className="inline-form" onKeyDown={onKey}>
          <h4 id={headingId}>Add Connection</h4>
          {fields}
          {buttons("button")}
        </div>
      </FormProvider>
    );
  }
  return (
    <FormProvider {...form}>
      <form onSubmit={(e) => void connect(e)} noValidate>
        {fields}
        {buttons("submit")}
      </form>
    </FormProvider>
  );
}

/** The runner's 409 for a connection: its name is taken (shown on Name). */
const isTaken = (err: unknown): boolean => err instanceof RunnerApiError && err.code === "Conflict";
