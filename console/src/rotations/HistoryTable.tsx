import { useState } from "react";
import { DateTime } from "../common/DateTime";
import { ErrorAlert } from "../common/ErrorAlert";
import { TableHead } from "../common/TableHead";
import { duration } from "../common/time";
import { Pager } from "./Pager";
import { useHistory } from "./queries";

const PAGE_SIZE = 20;
/** How many attempts the history API returns (the newest; it takes no paging parameters). */
const API_LIMIT = 100;

/**
 * Every attempt, newest first (attempt, trigger, result, started, duration, message), 20 a page. The API answers
 * with the newest 100 and has no paging parameters, so the pages are made here, over those 100.
 */
export function HistoryTable(props: { rotationId: string }) {
  const history = useHistory(props.rotationId);
  const [page, setPage] = useState(0);
  const all = history.data ?? [];
  const lastPage = Math.max(0, Math.ceil(all.length / PAGE_SIZE) - 1);
  const current = Math.min(page, lastPage);
  const rows = all.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ErrorAlert error={history.error} what="Cannot load the history" />
      {history.isPending && <p role="status">Loading…</p>}
      {history.data && history.data.length === 0 && <p className="empty">No attempts yet.</p>}
      {all.length > 0 && (
        <>
          <Pager page={current} pageSize={PAGE_SIZE} total={all.length} onPage={setPage} what="attempts" one="attempt" label="History pages" />
          {all.length >= API_LIMIT && <p className="hint">The newest {API_LIMIT} attempts are shown; the runner keeps the older ones but does not list them here.</p>}
          <table className="table history-table">
            <TableHead columns={["Attempt", "Trigger", "Result", "Started", "Duration", "Message"]} />
            <tbody>
              {rows.map((h) => (
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
        </>
      )}
    </section>
  );
}
