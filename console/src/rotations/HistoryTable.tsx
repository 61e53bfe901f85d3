import { DateTime } from "../common/DateTime";
import { ErrorAlert } from "../common/ErrorAlert";
import { duration } from "../common/time";
import { useHistory } from "./queries";
import { TableHead } from "../common/TableHead";

/** Every attempt, newest first (attempt, trigger, result, started, duration, message). */
export function HistoryTable(props: { rotationId: string }) {
  const history = useHistory(props.rotationId);
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ErrorAlert error={history.error} what="Cannot load the history" />
      {history.data && history.data.length === 0 && <p className="empty">No attempts yet.</p>}
      {history.data && history.data.length > 0 && (
        <table className="table history-table">
          <TableHead columns={["Attempt", "Trigger", "Result", "Started", "Duration", "Message"]} />
          <tbody>
            {history.data.map((h) => (
              <tr key={h.id}>
                <td data-label="Attempt">{h.attempt}</td>
                <td data-label="Trigger">{h.trigger}</td>
                <td data-label="Result">
                  <span className={`badge badge-${h.result === "success" ? "scheduled" : "failed"}`}>
                    <span aria-hidden="true">{h.result === "success" ? "✓" : "✕"}</span> {h.result === "success" ? "Succeeded" : "Failed"}
                  </span>
                </td>
                <td data-label="Started">
                  <DateTime value={h.startedAt} />
                </td>
                <td data-label="Duration">{duration(h.durationMs)}</td>
                <td data-label="Message">{h.message ?? <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
