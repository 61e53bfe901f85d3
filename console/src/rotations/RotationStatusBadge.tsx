import type { ApiRotation } from "../../../provider/client";
import { DateTime } from "../common/DateTime";
import { timeLeft } from "../common/time";

export type StatusKind = "scheduled" | "failed" | "disabled" | "rotating";

/** The status of a rotation in Infisical's words. "Rotating" also covers a rotation past its time (overdue). */
export function rotationStatus(r: ApiRotation, now: Date = new Date()): { kind: StatusKind; label: string } {
  if (r.rotationStatus === "pending") return { kind: "rotating", label: "Rotating" };
  if (r.rotationStatus === "failed") return { kind: "failed", label: "Rotation Failed" };
  if (!r.isAutoRotationEnabled || !r.nextRotationAt) return { kind: "disabled", label: "Auto-Rotation Disabled" };
  const next = new Date(r.nextRotationAt);
  if (next <= now) return { kind: "rotating", label: "Rotating" };
  return { kind: "scheduled", label: `Rotates in ${timeLeft(next, now)}` };
}

const ICON: Record<StatusKind, string> = { scheduled: "●", failed: "✕", disabled: "○", rotating: "↻" };

/** Status as text with an icon (never colour alone); a failure shows its reason and the next attempt. */
export function RotationStatusBadge(props: { rotation: ApiRotation; detail?: boolean }) {
  const r = props.rotation;
  const s = rotationStatus(r);
  return (
    <div className="status">
      <span className={`badge badge-${s.kind}`}>
        <span aria-hidden="true">{ICON[s.kind]}</span> {s.label}
      </span>
      {s.kind === "failed" && props.detail !== false && (
        <div className="status-detail">
          {r.lastRotationMessage && <p className="status-reason">{r.lastRotationMessage}</p>}
          <p>
            Next attempt: <DateTime value={r.nextRotationAt} fallback="none (auto-rotation is off)" />
          </p>
        </div>
      )}
    </div>
  );
}
