import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type ApiRotation, RunnerApiError } from "../../../provider/client";
import { api } from "../api";
import { Dialog } from "../common/Dialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { notify } from "../common/notices";
import { relativeTime } from "../../../provider/status-words";
import { absolute } from "../common/time";
import { activeUsername, inactiveUsername, refreshRotations } from "./queries";

/** The grace guard's answer (409 GracePeriod): when rotating will be allowed without force. */
function graceAllowedAt(err: unknown): Date | undefined {
  if (!(err instanceof RunnerApiError) || err.code !== "GracePeriod") return undefined;
  const at = (err.details as { allowedAt?: unknown } | undefined)?.allowedAt;
  return typeof at === "string" ? new Date(at) : undefined;
}

/** A window's or a freeze's 409 (OutsideRotationWindow, ProjectFrozen): the runner's message, and Force. */
function heldBack(err: unknown): string | undefined {
  if (!(err instanceof RunnerApiError) || (err.code !== "OutsideRotationWindow" && err.code !== "ProjectFrozen")) return undefined;
  return err.runnerMessage ?? err.message;
}

/** Rotate Secrets: confirm; a grace-guard, window or freeze 409 says why and when, and offers Force. */
export function RotateSecretsDialog(props: { rotation: ApiRotation; onClose: () => void }) {
  const r = props.rotation;
  const client = useQueryClient();
  const rotate = useMutation({
    mutationFn: (force: boolean) => api.rotate(r.id, { force }),
    onSuccess: (rotated) => {
      refreshRotations(client, rotated);
      notify(`Rotated ${rotated.name}: ${activeUsername(rotated)} is now the active user`);
      props.onClose();
    },
  });
  const allowedAt = graceAllowedAt(rotate.error);
  const held = heldBack(rotate.error);
  return (
    <Dialog title="Rotate Secrets" onClose={props.onClose}>
      {held ? (
        <div role="alert" className="alert alert-warning">
          <p>
            <strong>Rotation is held back.</strong> {held.replace(/ Retry .*$/, "")}
          </p>
          <p>
            <strong>Force</strong> rotates now anyway.
          </p>
        </div>
      ) : allowedAt ? (
        <div role="alert" className="alert alert-warning">
          <p>
            <strong>Rotation is held back by the grace period.</strong> {inactiveUsername(r)} stopped being the active user less than 10 minutes
            ago, and applications may still hold its password.
          </p>
          <p>
            Allowed {relativeTime(allowedAt)} ({absolute(allowedAt)}). <strong>Force</strong> rotates now and ends that password at once.
          </p>
        </div>
      ) : (
        <>
          <p>
            Rotate the credentials of <strong>{r.name}</strong> now? <strong>{inactiveUsername(r)}</strong> gets a new password and becomes the
            active user; <strong>{activeUsername(r)}</strong> keeps its password until the next rotation.
          </p>
          <ErrorAlert error={rotate.error} what="Rotation failed" />
        </>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        {allowedAt || held ? (
          <button type="button" className="button-danger" disabled={rotate.isPending} onClick={() => rotate.mutate(true)}>
            {rotate.isPending ? "Rotating…" : "Force"}
          </button>
        ) : (
          <button type="button" className="button-primary" disabled={rotate.isPending} onClick={() => rotate.mutate(false)}>
            {rotate.isPending ? "Rotating…" : "Rotate Secrets"}
          </button>
        )}
      </div>
    </Dialog>
  );
}
