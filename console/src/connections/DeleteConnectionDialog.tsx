import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ApiConnection } from "../../../provider/client";
import { api } from "../api";
import { Dialog } from "../common/Dialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { notify } from "../common/notices";
import { keys } from "../queries";

/** Delete a connection (the runner refuses with 409 while a rotation uses it, and says which). */
export function DeleteConnectionDialog(props: { connection: ApiConnection; onClose: () => void }) {
  const client = useQueryClient();
  const del = useMutation({
    mutationFn: () => api.deleteConnection(props.connection.id),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.connections() });
      notify(`Deleted connection ${props.connection.name}`);
      props.onClose();
    },
  });
  return (
    <Dialog title="Delete Connection" onClose={props.onClose}>
      <p>
        Delete the connection <strong>{props.connection.name}</strong>? Its stored password is deleted with it.
      </p>
      <ErrorAlert error={del.error} what="Could not delete" />
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" className="button-danger" disabled={del.isPending} onClick={() => del.mutate()}>
          {del.isPending ? "Deleting…" : "Delete"}
        </button>
      </div>
    </Dialog>
  );
}
