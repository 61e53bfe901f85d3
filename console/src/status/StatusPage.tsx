import { useQuery } from "@tanstack/react-query";
import { api, refreshInterval } from "../api";
import { keys } from "../queries";
import { ErrorAlert } from "../common/ErrorAlert";
import { useSession } from "../session/useSession";
import { DateTime } from "../common/DateTime";

/** Runner status: readiness (/readyz) and its counts, refreshed every few seconds. */
export function StatusPage() {
  const session = useSession();
  const ready = useQuery({ queryKey: keys.readiness(), queryFn: () => api.readiness(), refetchInterval: refreshInterval });
  const r = ready.data;
  const count = (n: number | undefined) => (n === undefined ? "—" : n.toLocaleString("en"));
  return (
    <>
      <h1>Runner status</h1>
      <ErrorAlert error={ready.error} what="Cannot read the runner's status" />
      {r && (
        <dl className="fields status-counts">
          <dt>Readiness</dt>
          <dd>
            <span className={`badge badge-${r.status === "ready" ? "scheduled" : "failed"}`}>
              <span aria-hidden="true">{r.status === "ready" ? "✓" : "✕"}</span> {r.status === "ready" ? "Ready" : "Not ready"}
            </span>
            {r.status === "not ready" && <span> {r.reason}</span>}
          </dd>
          <dt>Store</dt>
          <dd>{r.status === "ready" ? r.store : "—"}</dd>
          <dt>Rotations</dt>
          <dd>{count(r.rotations)}</dd>
          <dt>Failing</dt>
          <dd>{count(r.failing)}</dd>
          <dt>Overdue</dt>
          <dd>{count(r.overdue)}</dd>
          <dt>Pending intents</dt>
          <dd>{count(r.intents)}</dd>
          <dt>Change notifications</dt>
          <dd>
            {r.notifications === "down" ? (
              <>
                <span className="badge badge-failed">
                  <span aria-hidden="true">✕</span> Down
                </span>{" "}
                since <DateTime value={r.notificationsDownSince ?? null} fallback="a moment ago" />: the runner reads the store instead of its caches
              </>
            ) : r.notifications === "live" ? (
              "Live"
            ) : (
              "—"
            )}
          </dd>
        </dl>
      )}
      <h2>Your session</h2>
      <dl className="fields">
        <dt>Signed in as</dt>
        <dd>{session.actor}</dd>
        <dt>Permission</dt>
        <dd>{session.permission === "manage" ? "manage (create, rotate, edit, delete)" : "read-only"}</dd>
        <dt>Scope</dt>
        <dd>
          {session.scope.projectId ?? "every project"}, {session.scope.environment ?? "every environment"}, {session.scope.secretPath ?? "every path"}
        </dd>
        <dt>Session ends</dt>
        <dd>
          <DateTime value={session.expiresAt} fallback="when the token does" />
        </dd>
      </dl>
    </>
  );
}
