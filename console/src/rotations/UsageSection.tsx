import { useMutation } from "@tanstack/react-query";
import type { ApiRotation, ApiUsage } from "../../../provider/client";
import { api } from "../api";
import { DateTime } from "../common/DateTime";
import { ErrorAlert } from "../common/ErrorAlert";
import { TableHead } from "../common/TableHead";

type UserUse = ApiUsage["users"][number];

/** "billing-app from 10.0.0.5 (2)", hidden sessions by count. */
function sessionsText(u: UserUse): string {
  if (!u.sessions.count) return "none";
  const shown = u.sessions.clients
    .filter((c) => c.visible)
    .map((c) => `${c.applicationName ?? "unnamed"}${c.clientAddr ? ` from ${c.clientAddr}` : ""} (${c.count})`);
  if (u.sessions.hidden) {
    const names = [...new Set(u.sessions.clients.filter((c) => !c.visible && c.applicationName).map((c) => c.applicationName))];
    shown.push(`${u.sessions.hidden} with hidden details${names.length ? ` (${names.join(", ")})` : ""} (the connection role lacks pg_monitor)`);
  }
  return shown.join(", ");
}

/**
 * "Who uses each user": the sessions on the target and the registered consumers of both users, read on the target
 * when asked (never on its own: the page refreshes often). A rotation waits while someone is on the inactive user.
 */
export function UsageSection(props: { rotation: ApiRotation }) {
  const read = useMutation({ mutationFn: () => api.getRotationUsage(props.rotation.id) });
  const usage = read.data?.usage;
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Who Uses Each User</h2>
      <p className="hint">
        A rotation changes the password of the inactive user only once nobody uses it any more (a scheduled one waits at most{" "}
        {props.rotation.maxHoldHours} hours; 0 = never waits).
      </p>
      <button type="button" onClick={() => read.mutate()} disabled={read.isPending}>
        {read.isPending ? "Checking…" : usage ? "Check Again" : "Check Who Uses Each User"}
      </button>
      {read.error && <ErrorAlert error={read.error} />}
      {usage && (
        <div role="status">
          {usage.error ? (
            <p>{usage.error}</p>
          ) : (
            <table className="table">
              <TableHead columns={["User", "Sessions", "Consumers"]} />
              <tbody>
                {usage.users.map((u) => (
                  <tr key={u.username}>
                    <td>
                      <code>{u.username}</code> {u.active ? "(active)" : "(inactive: changed at the next rotation)"}
                    </td>
                    <td>{sessionsText(u)}</td>
                    <td>{u.consumers.length ? u.consumers.map((c) => c.appName).join(", ") : "none"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p className="hint">
            Checked <DateTime value={usage.checkedAt} />.
          </p>
        </div>
      )}
    </section>
  );
}
