import { useState } from "react";
import type { ApiRotation } from "../../../provider/client";
import { useCan } from "../session/useSession";
import { DeleteRotationDialog } from "./DeleteRotationDialog";
import { GeneratedCredentialsDialog } from "./GeneratedCredentialsDialog";
import { RotateSecretsDialog } from "./RotateSecretsDialog";
import { EditRotationDialog } from "./wizard/EditRotationDialog";

type Open = "rotate" | "credentials" | "edit" | "delete" | undefined;

/** A rotation's actions (none for a read-only principal: it could not use them). */
export function RotationActions(props: { rotation: ApiRotation; onDeleted?: () => void }) {
  const can = useCan();
  const [open, setOpen] = useState<Open>();
  if (!can.manage) return null;
  const close = () => setOpen(undefined);
  return (
    <div className="actions">
      <button type="button" onClick={() => setOpen("rotate")}>
        Rotate Secrets
      </button>
      <button type="button" onClick={() => setOpen("credentials")}>
        View Generated Credentials
      </button>
      <button type="button" onClick={() => setOpen("edit")}>
        Edit
      </button>
      <button type="button" className="button-danger-quiet" onClick={() => setOpen("delete")}>
        Delete
      </button>
      {open === "rotate" && <RotateSecretsDialog rotation={props.rotation} onClose={close} />}
      {open === "credentials" && <GeneratedCredentialsDialog rotation={props.rotation} onClose={close} />}
      {open === "edit" && <EditRotationDialog rotation={props.rotation} onClose={close} />}
      {open === "delete" && <DeleteRotationDialog rotation={props.rotation} onClose={close} onDeleted={props.onDeleted} />}
    </div>
  );
}
