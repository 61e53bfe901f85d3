import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId } from "react";
import type { ApiRotation } from "../../../provider/client";
import { api } from "../api";
import { keys } from "../queries";
import { CopyButton } from "../common/CopyButton";
import { Dialog } from "../common/Dialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { SecretValue } from "../common/SecretValue";

function CredentialsGroup(props: { title: string; hint: string; username: string; password: string }) {
  const id = useId();
  return (
    <section role="group" aria-labelledby={id} className="credentials">
      <h3 id={id}>{props.title}</h3>
      <p className="hint">{props.hint}</p>
      <dl>
        <dt>Username</dt>
        <dd>
          <code>{props.username}</code> <CopyButton value={props.username} label="Copy username" />
        </dd>
        <dt>Password</dt>
        <dd>
          <SecretValue value={props.password} what="Password" />
        </dd>
      </dl>
    </section>
  );
}

/**
 * View Generated Credentials: both users' current passwords, masked until shown. Read once when opened (an
 * audited secret read) and dropped from the cache when closed.
 */
export function GeneratedCredentialsDialog(props: { rotation: ApiRotation; onClose: () => void }) {
  const client = useQueryClient();
  const key = keys.generatedCredentials(props.rotation.id);
  const creds = useQuery({ queryKey: key, queryFn: () => api.generatedCredentials(props.rotation.id), staleTime: 0, gcTime: 0, refetchOnWindowFocus: false });
  useEffect(() => () => client.removeQueries({ queryKey: keys.generatedCredentials() }), [client]);
  const data = creds.data;
  const current = data?.generatedCredentials[data.activeIndex];
  const retired = data?.generatedCredentials[1 - data.activeIndex];
  return (
    <Dialog title="Generated Credentials" onClose={props.onClose} description={<p>{props.rotation.name}</p>}>
      {creds.isPending && <p role="status">Loading…</p>}
      <ErrorAlert error={creds.error} />
      {current && (
        <CredentialsGroup title="Current Credentials" hint="What applications read now (the mapped secrets hold these)." username={current.username} password={current.password} />
      )}
      {retired && (
        <CredentialsGroup
          title="Retired Credentials"
          hint="Active before the last rotation; still valid until the next rotation changes them."
          username={retired.username}
          password={retired.password}
        />
      )}
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
