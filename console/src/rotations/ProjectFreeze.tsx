/**
 * A project's freeze on the console: the "Frozen" banner (Secret Rotations and each rotation's page), and the
 * Freeze / Unfreeze control of the Secret Rotations page header, with the reason asked in a dialog.
 */
import { useState } from "react";
import { projectFreezeSchema } from "../../../runner/schemas";
import { absolute } from "../common/time";
import { Dialog } from "../common/Dialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { Field } from "../common/Field";
import { notify } from "../common/notices";
import { useCanFreeze, useProjectFreeze, useSetProjectFreeze } from "./freeze";

/** "Frozen" with the reason, when the project is frozen; nothing otherwise. */
export function ProjectFrozenBanner(props: { projectId: string }) {
  const freeze = useProjectFreeze(props.projectId);
  const f = freeze.data;
  if (!f?.frozen) return null;
  return (
    <div role="status" className="alert alert-warning frozen-banner">
      <p>
        <strong>Frozen:</strong> project {f.projectId} is frozen since {f.frozenAt ? absolute(new Date(f.frozenAt)) : "?"} by {f.frozenBy}: {f.frozenReason}
      </p>
      <p>No scheduled rotation of it runs until it is unfrozen; Rotate Secrets needs Force.</p>
    </div>
  );
}

/** Freeze Project / Unfreeze Project, for a principal that may manage the whole project. */
export function ProjectFreezeControl(props: { projectId: string }) {
  const canFreeze = useCanFreeze(props.projectId);
  const freeze = useProjectFreeze(props.projectId);
  const [asking, setAsking] = useState(false);
  const unfreeze = useSetProjectFreeze(props.projectId, () => notify(`Unfroze project ${props.projectId}: its overdue rotations run now`));
  if (!canFreeze || !freeze.data) return null;
  return (
    <>
      {freeze.data.frozen ? (
        <button type="button" disabled={unfreeze.isPending} onClick={() => unfreeze.mutate(null)}>
          {unfreeze.isPending ? "Unfreezing…" : "Unfreeze Project"}
        </button>
      ) : (
        <button type="button" onClick={() => setAsking(true)}>
          Freeze Project
        </button>
      )}
      <ErrorAlert error={unfreeze.error} what="Cannot unfreeze the project" />
      {asking && <FreezeDialog projectId={props.projectId} onClose={() => setAsking(false)} />}
    </>
  );
}

function FreezeDialog(props: { projectId: string; onClose: () => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string>();
  const freeze = useSetProjectFreeze(props.projectId, () => {
    notify(`Froze project ${props.projectId}`);
    props.onClose();
  });
  const submit = () => {
    const body = projectFreezeSchema.safeParse({ frozen: true, reason });
    if (!body.success) return setError(body.error.issues[0]?.message);
    setError(undefined);
    freeze.mutate(reason.trim());
  };
  return (
    <Dialog title="Freeze Project" onClose={props.onClose}>
      <p>
        While project <strong>{props.projectId}</strong> is frozen, none of its rotations runs on schedule (they wait, and run once it is
        unfrozen); Rotate Secrets needs Force.
      </p>
      <Field label="Reason" error={error} hint="Shown to everyone who sees the project, e.g. “year-end release freeze”.">
        <input type="text" data-autofocus value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </Field>
      <ErrorAlert error={freeze.error} what="Cannot freeze the project" />
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" className="button-danger" disabled={freeze.isPending} onClick={submit}>
          {freeze.isPending ? "Freezing…" : "Freeze Project"}
        </button>
      </div>
    </Dialog>
  );
}
