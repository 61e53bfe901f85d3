import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ApiRotation } from "../../../provider/client";
import { api } from "../api";
import { keys } from "../queries";
import { Dialog } from "../common/Dialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { Field } from "../common/Field";
import { notify } from "../common/notices";
import { Switch } from "../common/Switch";
import { refreshRotations } from "./queries";

/** Delete: type the name to confirm; revoking the credentials and deleting the secrets are choices, both off. */
export function DeleteRotationDialog(props: { rotation: ApiRotation; onClose: () => void; onDeleted?: () => void }) {
  const r = props.rotation;
  const client = useQueryClient();
  const [typed, setTyped] = useState("");
  const [revoke, setRevoke] = useState(false);
  const [deleteSecrets, setDeleteSecrets] = useState(false);
  const del = useMutation({
    mutationFn: () => api.deleteRotation(r.id, { revokeGeneratedCredentials: revoke, deleteSecrets }),
    onSuccess: () => {
      client.removeQueries({ queryKey: keys.rotation(r.id) });
      refreshRotations(client);
      props.onClose();
      // First to the page it leads to (the list, from the rotation's page): the confirmation is said there.
      props.onDeleted?.();
      notify(`Deleted secret rotation ${r.name}${revoke ? "; both users' credentials were revoked" : ""}`);
    },
  });
  return (
    <Dialog title="Delete Secret Rotation" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === r.name) del.mutate();
        }}
      >
        <p>
          Scheduling of <strong>{r.name}</strong> stops. The database users keep their current passwords unless you revoke them.
        </p>
        <Switch
          label="Revoke Credentials"
          checked={revoke}
          onChange={setRevoke}
          hint={`Set unknown passwords on ${r.parameters.username1} and ${r.parameters.username2}: anything still using them loses access.`}
        />
        <Switch label="Delete Secrets" checked={deleteSecrets} onChange={setDeleteSecrets} hint={`Remove ${r.secretsMapping.username} and ${r.secretsMapping.password}; otherwise they stay readable with their last values.`} />
        <Field label={`Type ${r.name} to confirm`}>
          <input type="text" autoComplete="off" spellCheck={false} value={typed} onChange={(e) => setTyped(e.target.value)} />
        </Field>
        <ErrorAlert error={del.error} what="Could not delete" />
        <div className="dialog-actions">
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="button-danger" disabled={typed !== r.name || del.isPending}>
            {del.isPending ? "Deleting…" : "Delete"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
