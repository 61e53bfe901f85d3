import type { ApiRotation } from "../../../provider/client";
import { rotationStatusWord, type StatusTone } from "../../../provider/status-words";
import { DateTime } from "../common/DateTime";

const STYLE: Record<StatusTone, string> = { info: "badge-scheduled", warning: "badge-rotating", danger: "badge-failed", neutral: "badge-disabled" };

/** An icon beside the words (never colour alone). */
function icon(word: string, tone: StatusTone): string {
  if (tone === "danger") return "✕";
  if (tone === "neutral") return "○";
  if (word === "Held") return "‖";
  return word.startsWith("Rotates in") ? "●" : "↻";
}

/**
 * The status in Infisical's words (provider/status-words.ts, shared with the CLI): "Rotates in N days",
 * "Rotation Failed" (with the reason and the next attempt), "Auto-Rotation Disabled", "Rotating" when due, "Held" (who, since
 * when) while someone still uses the user a scheduled rotation would change.
 */
export function RotationStatusBadge(props: { rotation: ApiRotation; detail?: boolean }) {
  const r = props.rotation;
  const { word, tone } = rotationStatusWord(r);
  return (
    <div className="status">
      <span className={`badge ${STYLE[tone]}`}>
        <span aria-hidden="true">{icon(word, tone)}</span> {word}
      </span>
      {tone === "danger" && props.detail !== false && (
        <div className="status-detail">
          {r.lastRotationMessage && <p className="status-reason">{r.lastRotationMessage}</p>}
          <p>
            Next attempt: <DateTime value={r.nextRotationAt} fallback="none (auto-rotation is off)" />
          </p>
        </div>
      )}
      {r.rotationStatus === "held" && props.detail !== false && (
        <div className="status-detail">
          <p className="status-reason">Waiting: still in use by {r.heldBy ?? "someone"}.</p>
          <p>
            Held since <DateTime value={r.heldSince} />
          </p>
          <p>
            Next check: <DateTime value={r.nextRotationAt} fallback="soon" />
          </p>
        </div>
      )}
    </div>
  );
}
