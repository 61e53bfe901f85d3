import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ApiRotation } from "../../../provider/client";
import { api } from "../api";
import { ErrorAlert } from "../common/ErrorAlert";
import { TableHead } from "../common/TableHead";
import { refreshRotations } from "./queries";

/** A headline per result; the runner's message (which user, what was done) follows it. */
const RESULT_WORDS: Record<string, string> = {
  ok: "No drift: both stored passwords log in.",
  repaired: "Drift repaired.",
  rotated: "Drift repaired by a fresh rotation.",
  drifted: "Drifted, not repaired.",
  unreachable: "The target database did not answer; nothing was changed.",
  skipped: "A rotation of it is unfinished; check again when it is done.",
};

const REPAIR_WORDS: Record<ApiRotation["driftRepair"], string> = {
  reapply: "set the stored password again",
  rotate: "rotate",
  off: "only report it",
};

/** driftRepair as the rotation page's Schedule shows it. */
export const DRIFT_REPAIR_LABELS: Record<ApiRotation["driftRepair"], string> = {
  reapply: "Set the stored password again",
  rotate: "Rotate",
  off: "Report only",
};

/**
 * The drift check of one rotation: do both stored passwords still log in? What does not is repaired as the
 * rotation's driftRepair says (the runner also checks every rotation daily). Manage access, like the API.
 */
export function DriftCheckSection(props: { rotation: ApiRotation }) {
  const client = useQueryClient();
  const check = useMutation({
    mutationFn: () => api.checkDrift(props.rotation.id),
    onSuccess: (res) => refreshRotations(client, res.secretRotation),
  });
  const d = check.data?.drift;
  return (
    <section aria-labelledby="drift-check-title">
      <h2 id="drift-check-title">Drift Check</h2>
      <p className="hint">
        Someone may have changed a user&apos;s password outside pgrotate. When a stored password no longer logs in, this rotation will{" "}
        {REPAIR_WORDS[props.rotation.driftRepair]}.
      </p>
      <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
        {check.isPending ? "Checking…" : d ? "Check Again" : "Check for Drift"}
      </button>
      {check.error && <ErrorAlert error={check.error} />}
      {d && (
        <div role="status">
          <p>
            <strong>{RESULT_WORDS[d.result] ?? d.result}</strong>
            {d.message && <> {d.message}</>}
          </p>
          <table className="table">
            <TableHead columns={["User", "Login", "Repaired"]} />
            <tbody>
              {d.users.map((u) => (
                <tr key={u.username}>
                  <td>{u.username}</td>
                  <td>{u.state}</td>
                  <td>{u.repaired ? "yes" : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
