import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { setupSql } from "../../../../runner/postgres/setup-sql";
import { api } from "../../api";
import { CopyButton } from "../../common/CopyButton";
import { Switch } from "../../common/Switch";
import { useConnections } from "../../connections/queries";
import { keys } from "../../queries";

/**
 * "Prepare the database": the SQL that makes the two users interchangeable (a group role that owns the
 * objects, both users running as it, the connection role's rights), for the chosen connection's database,
 * role and server version and the usernames typed above — the same as `pgrotate setup-sql`. No password.
 */
export function SetupSqlHelp(props: { connectionId: string; username1: string; username2: string }) {
  const connections = useConnections();
  const [grantMonitor, setGrantMonitor] = useState(false);
  const connection = connections.data?.find((c) => c.id === props.connectionId);
  const version = useQuery({
    queryKey: keys.serverVersion(props.connectionId),
    queryFn: () => api.connectionServerVersion(props.connectionId),
    // Any connection the list shows may be asked (a scoped token sees only those granted to it).
    enabled: !!connection,
    staleTime: 5 * 60_000,
  });
  let sql: string | undefined;
  let why = "Enter both usernames to see the SQL.";
  if (!connection) why = "Choose a PostgreSQL Connection (Configuration) to see the SQL for its database.";
  else if (props.username1 && props.username2) {
    try {
      sql = setupSql({
        database: connection.credentials.database,
        users: [props.username1, props.username2],
        connectionRole: connection.credentials.username,
        serverVersion: version.data?.major ?? 17,
        grantMonitor,
      });
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
  }
  return (
    <details className="advanced">
      <summary>Prepare the Database</summary>
      <p className="hint">
        New users? Run this once as a superuser on {connection ? <code>{connection.credentials.database}</code> : "the database"}: a group role owns
        the application&apos;s objects and both users run as it, so either can take over at a rotation. No password is printed; creating the rotation
        sets both. {version.data ? `For PostgreSQL ${version.data.major}.` : ""}
      </p>
      <Switch
        label="Grant pg_monitor to the Connection Role"
        checked={grantMonitor}
        onChange={setGrantMonitor}
        hint="Lets pgrotate see who is logged in as each user (application name, address), so a rotation names who still uses the user it would retire."
      />
      {sql ? (
        <>
          <pre className="sql" aria-label="Setup SQL">
            {sql}
          </pre>
          <CopyButton value={sql} label="Copy Setup SQL" />
        </>
      ) : (
        <p className="hint">{why}</p>
      )}
    </details>
  );
}
