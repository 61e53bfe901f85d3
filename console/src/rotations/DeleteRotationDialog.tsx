import { useMutation, useQueryClient } from "@tanstack/react-query";
import { FormProvider, useWatch } from "react-hook-form";
import type { z } from "zod";
import type { ApiRotation } from "../../../provider/client";
import { deleteRotationQuerySchema } from "../../../runner/schemas";
import { api } from "../api";
import { keys } from "../queries";
import { Dialog } from "../common/Dialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { bodySchema, useSchemaForm } from "../common/form";
import { FormField, SwitchField } from "../common/FormField";
import { notify } from "../common/notices";
import { refreshRotations } from "./queries";

interface Values {
  revokeGeneratedCredentials: boolean;
  deleteSecrets: boolean;
  /** The rotation's name, typed to confirm. */
  confirm: string;
}

/** The choices as the runner's delete query reads them. */
const schema = bodySchema(deleteRotationQuerySchema, (v: Values) => ({ revokeGeneratedCredentials: String(v.revokeGeneratedCredentials), deleteSecrets: String(v.deleteSecrets) }));

/** Delete: type the name to confirm; revoking the credentials and deleting the secrets are choices, both off. */
export function DeleteRotationDialog(props: { rotation: ApiRotation; onClose: () => void; onDeleted?: () => void }) {
  const r = props.rotation;
  const client = useQueryClient();
  const { form, submit } = useSchemaForm(schema, { revokeGeneratedCredentials: false, deleteSecrets: false, confirm: "" });
  const typed = useWatch({ control: form.control, name: "confirm" });
  const del = useMutation({
    mutationFn: (choices: z.output<typeof schema>) => api.deleteRotation(r.id, choices),
    onSuccess: (_, choices) => {
      client.removeQueries({ queryKey: keys.rotation(r.id) });
      refreshRotations(client);
      props.onClose();
      // First to the page it leads to (the list, from the rotation's page): the confirmation is said there.
      props.onDeleted?.();
      notify(`Deleted secret rotation ${r.name}${choices.revokeGeneratedCredentials ? "; both users' credentials were revoked" : ""}`);
    },
  });
  return (
    <Dialog title="Delete Secret Rotation" onClose={props.onClose}>
      <FormProvider {...form}>
        <form
          onSubmit={(e) => {
            void submit((choices) => {
              if (typed === r.name) del.mutate(choices);
            })(e);
          }}
        >
          <p>
            Scheduling of <strong>{r.name}</strong> stops. The database users keep their current passwords unless you revoke them.
          </p>
          <SwitchField
            name="revokeGeneratedCredentials"
            label="Revoke Credentials"
            hint={`Set unknown passwords on ${r.parameters.username1} and ${r.parameters.username2}: anything still using them loses access.`}
          />
          <SwitchField
            name="deleteSecrets"
            label="Delete Secrets"
            hint={`Remove ${r.secretsMapping.username} and ${r.secretsMapping.password}; otherwise they stay readable with their last values.`}
          />
          <FormField name="confirm" label={`Type ${r.name} to confirm`}>
            <input type="text" autoComplete="off" spellCheck={false} />
          </FormField>
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
      </FormProvider>
    </Dialog>
  );
}
