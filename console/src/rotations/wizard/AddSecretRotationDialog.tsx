import { useState } from "react";
import { Dialog } from "../../common/Dialog";
import { notify } from "../../common/notices";
import type { FolderChoice } from "../../folder/useFolder";
import { newValues } from "./model";
import { RotationWizard } from "./RotationWizard";

/** Add Secret Rotation: pick the kind (PostgreSQL Credentials), then the wizard. */
export function AddSecretRotationDialog(props: { folder: FolderChoice; onClose: () => void }) {
  const [kind, setKind] = useState<"postgres-credentials">();
  if (!kind) {
    return (
      <Dialog title="Add Secret Rotation" onClose={props.onClose} wide>
        <div className="kind-picker">
          <p>Choose what to rotate.</p>
          <button type="button" className="kind" onClick={() => setKind("postgres-credentials")}>
            <strong>PostgreSQL Credentials</strong>
            <span className="muted">Two database users that take turns; apps always read a working pair.</span>
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Add Secret Rotation" onClose={props.onClose} wide description="PostgreSQL Credentials">
      <RotationWizard
        mode="create"
        initial={newValues(props.folder)}
        onCancel={props.onClose}
        onDone={(r, pairCheck, warnings = []) => {
          const n = pairCheck?.differences.length ?? 0;
          // The precheck's warnings stay on the page until dismissed: they say what to grant, not just that it worked.
          notify(
            pairCheck?.interchangeable === false
              ? `Created secret rotation ${r.name}. Its two users are not interchangeable (${n} ${n === 1 ? "difference" : "differences"}): open it and run the Pair Check's SQL before the first rotation.`
              : `Created secret rotation ${r.name}`,
            warnings,
          );
          props.onClose();
        }}
      />
    </Dialog>
  );
}
