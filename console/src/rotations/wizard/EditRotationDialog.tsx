import type { ApiRotation } from "../../../../provider/client";
import { Dialog } from "../../common/Dialog";
import { notify } from "../../common/notices";
import { valuesOf } from "./model";
import { RotationWizard } from "./RotationWizard";

/** Edit reuses the wizard; the connection, the users, the environment and the path are locked. */
export function EditRotationDialog(props: { rotation: ApiRotation; onClose: () => void }) {
  return (
    <Dialog title="Edit Secret Rotation" onClose={props.onClose} wide>
      <RotationWizard
        mode="edit"
        initial={valuesOf(props.rotation)}
        original={props.rotation}
        onCancel={props.onClose}
        onDone={(r) => {
          notify(`Saved secret rotation ${r.name}`);
          props.onClose();
        }}
      />
    </Dialog>
  );
}
