import { Suspense, useState } from "react";
import type { ApiRotation } from "../../../provider/client";
import { lazyNamed, Loading } from "../common/lazy";
import { useCan } from "../session/useSession";

// Each dialog loads when first opened (Edit brings the wizard; Delete, react-hook-form).
const RotateSecretsDialog = lazyNamed(() => import("./RotateSecretsDialog"), "RotateSecretsDialog");
const GeneratedCredentialsDialog = lazyNamed(() => import("./GeneratedCredentialsDialog"), "GeneratedCredentialsDialog");
const EditRotationDialog = lazyNamed(() => import("./wizard/EditRotationDialog"), "EditRotationDialog");
const DeleteRotationDialog = lazyNamed(() => import("./DeleteRotationDialog"), "DeleteRotationDialog");

type Open = "rotate" | "credentials" | "edit" | "delete" | undefined;

/**
 * A rotation's actions (none for a read-only principal: it could not use them). Each button's name ends with the
 * rotation's name (read by screen readers, not shown), so a list of them is not 50 buttons called "Delete".
 */
export function RotationActions(props: { rotation: ApiRotation; onDeleted?: () => void }) {
  const can = useCan();
  const [open, setOpen] = useState<Open>();
  if (!can.manage) return null;
  const close = () => setOpen(undefined);
  const of = (prefix: string) => <span className="visually-hidden">{`${prefix}${props.rotation.name}`}</span>;
  return (
    <div className="actions">
      <button type="button" onClick={() => setOpen("rotate")}>
        Rotate Secrets{of(" of ")}
      </button>
      <button type="button" onClick={() => setOpen("credentials")}>
        View Generated Credentials{of(" of ")}
      </button>
      <button type="button" onClick={() => setOpen("edit")}>
        Edit{of(" ")}
      </button>
      <button type="button" className="button-danger-quiet" onClick={() => setOpen("delete")}>
        Delete{of(" ")}
      </button>
      <Suspense fallback={<Loading hidden />}>
        {open === "rotate" && <RotateSecretsDialog rotation={props.rotation} onClose={close} />}
        {open === "credentials" && <GeneratedCredentialsDialog rotation={props.rotation} onClose={close} />}
        {open === "edit" && <EditRotationDialog rotation={props.rotation} onClose={close} />}
        {open === "delete" && <DeleteRotationDialog rotation={props.rotation} onClose={close} onDeleted={props.onDeleted} />}
      </Suspense>
    </div>
  );
}
