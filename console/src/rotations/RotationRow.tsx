import { memo } from "react";
import type { ApiRotation } from "../../../provider/client";
import { DateTime } from "../common/DateTime";
import { Link } from "../common/Link";
import { ManagedByBadge } from "../common/ManagedByNotice";
import { activeUsername } from "./queries";
import { RotationActions } from "./RotationActions";
import { RotationStatusBadge } from "./RotationStatusBadge";

/** One rotation in the list. Memoized: a refresh that changed nothing in it does not re-render it. */
export const RotationRow = memo(function RotationRow({ rotation: r, actions }: { rotation: ApiRotation; actions: boolean }) {
  return (
    <tr>
      <td data-label="Name">
        <div>
          <Link to={`/rotations/${r.id}`} className="row-title">
            {r.name}
          </Link>
          <div className="muted small">
            {r.environment.slug} {r.folder.path}
          </div>
          {r.description && <div className="description">{r.description}</div>}
          <ManagedByBadge managedBy={r.managedBy} />
        </div>
      </td>
      <td data-label="Status">
        <RotationStatusBadge rotation={r} />
      </td>
      <td data-label="Active User">
        <code>{activeUsername(r)}</code>
      </td>
      <td data-label="Last Rotated">
        <DateTime value={r.lastRotatedAt} />
      </td>
      <td data-label="Next Rotation">
        <DateTime value={r.nextRotationAt} fallback="Not scheduled" />
      </td>
      {actions && (
        <td data-label="Actions">
          <RotationActions rotation={r} />
        </td>
      )}
    </tr>
  );
});
