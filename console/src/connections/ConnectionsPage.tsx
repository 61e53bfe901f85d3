import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { ApiConnection } from "../../../provider/client";
import { Dialog } from "../common/Dialog";
import { ErrorAlert } from "../common/ErrorAlert";
import { ManagedByBadge } from "../common/ManagedByNotice";
import { notify } from "../common/notices";
import { useCan } from "../session/useSession";
import { ConnectionForm } from "./ConnectionForm";
import { DeleteConnectionDialog } from "./DeleteConnectionDialog";
import { useConnections } from "./queries";
import { keys } from "../queries";
import { scopeText } from "./scopes";
import { TableHead } from "../common/TableHead";

type Open = { kind: "add" } | { kind: "edit" | "delete"; connection: ApiConnection } | undefined;

/** App Connections: the databases the runner can reach, and the role it logs in with. */
export function ConnectionsPage() {
  const can = useCan();
  const client = useQueryClient();
  const list = useConnections({ refresh: true });
  const [open, setOpen] = useState<Open>();
  const close = () => setOpen(undefined);
  const saved = (c: ApiConnection, verb: string) => {
    void client.invalidateQueries({ queryKey: keys.connections() });
    notify(`${verb} connection ${c.name}`);
    close();
  };
  return (
    <>
      <div className="page-head">
        <h1>App Connections</h1>
        {can.manageConnections && (
          <button type="button" className="button-primary" onClick={() => setOpen({ kind: "add" })}>
            Add Connection
          </button>
        )}
      </div>
      {!can.unscoped && (
        <p className="alert alert-info">You see the connections granted to your scope (their Allowed Scopes). App connections belong to no project: only an unscoped token can add, change or grant them.</p>
      )}
      <ErrorAlert error={list.error} what="Cannot list connections" />
      {list.data && list.data.length === 0 && <p className="empty">No connections yet.</p>}
      {list.data && list.data.length > 0 && (
        <table className="table">
          <TableHead columns={["Name", "Host", "Database Name", "Username", "SSL", "Allowed Scopes"]} actions={can.manageConnections} />
          <tbody>
            {list.data.map((c) => (
              <tr key={c.id}>
                <td data-label="Name">
                  <div>
                    <span className="row-title">{c.name}</span>
                    {c.description && <div className="description">{c.description}</div>}
                    <ManagedByBadge managedBy={c.managedBy} />
                  </div>
                </td>
                <td data-label="Host">
                  <code>
                    {c.credentials.host}:{c.credentials.port}
                  </code>
                </td>
                <td data-label="Database Name">{c.credentials.database}</td>
                <td data-label="Username">
                  <code>{c.credentials.username}</code>
                </td>
                <td data-label="SSL">{c.credentials.sslEnabled ? (c.credentials.sslRejectUnauthorized ? "Verified TLS" : "TLS (unverified)") : "Off"}</td>
                <td data-label="Allowed Scopes">
                  {c.allowedScopes.length === 0 ? (
                    <span className="muted">Unscoped tokens only</span>
                  ) : (
                    <ul className="scope-list">
                      {c.allowedScopes.map((s) => (
                        <li key={scopeText(s)}>{scopeText(s)}</li>
                      ))}
                    </ul>
                  )}
                </td>
                {can.manageConnections && (
                  <td data-label="Actions">
                    <div className="actions">
                      {/* Named with the connection (not shown): one "Edit" per row would all sound the same. */}
                      <button type="button" onClick={() => setOpen({ kind: "edit", connection: c })}>
                        Edit<span className="visually-hidden"> {c.name}</span>
                      </button>
                      <button type="button" className="button-danger-quiet" onClick={() => setOpen({ kind: "delete", connection: c })}>
                        Delete<span className="visually-hidden"> {c.name}</span>
                      </button>
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open?.kind === "add" && (
        <Dialog title="Add Connection" onClose={close} wide>
          <ConnectionForm onSaved={(c) => saved(c, "Added")} onCancel={close} />
        </Dialog>
      )}
      {open?.kind === "edit" && (
        <Dialog title="Edit Connection" onClose={close} wide>
          <ConnectionForm connection={open.connection} onSaved={(c) => saved(c, "Saved")} onCancel={close} />
        </Dialog>
      )}
      {open?.kind === "delete" && <DeleteConnectionDialog connection={open.connection} onClose={close} />}
    </>
  );
}
