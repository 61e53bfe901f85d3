import { useDeferredValue, useMemo, useState } from "react";
import { ErrorAlert } from "../common/ErrorAlert";
import { useFolder } from "../folder/useFolder";
import { useCan } from "../session/useSession";
import { Pager } from "./Pager";
import { useRotations } from "./queries";
import { RotationFilters } from "./RotationFilters";
import { RotationRow } from "./RotationRow";
import { AddSecretRotationDialog } from "./wizard/AddSecretRotationDialog";
import { TableHead } from "../common/TableHead";

const PAGE_SIZE = 50;

/** Secret Rotations of the chosen project: one list request, refreshed every few seconds, 50 rows a page. */
export function RotationsPage() {
  const folder = useFolder();
  const can = useCan();
  const list = useRotations(folder.projectId);
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(0);
  const [adding, setAdding] = useState(false);
  const term = useDeferredValue(search.trim().toLowerCase());
  const all = useMemo(() => list.data ?? [], [list.data]);
  const shown = useMemo(
    () =>
      all
        .filter(
          (r) =>
            (!folder.environment || r.environment.slug === folder.environment) &&
            (!folder.secretPath || r.folder.path === folder.secretPath) &&
            (!term || r.name.includes(term)),
        )
        .sort((a, b) => a.name.localeCompare(b.name) || a.folder.path.localeCompare(b.folder.path)),
    [all, folder.environment, folder.secretPath, term],
  );
  const lastPage = Math.max(0, Math.ceil(shown.length / PAGE_SIZE) - 1);
  const current = Math.min(page, lastPage);
  const rows = shown.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  return (
    <>
      <div className="page-head">
        <h1>Secret Rotations</h1>
        {can.manage && (
          <button type="button" className="button-primary" onClick={() => setAdding(true)}>
            Add Secret Rotation
          </button>
        )}
      </div>
      <RotationFilters
        folder={folder}
        rotations={all}
        search={search}
        onSearch={(s) => {
          setSearch(s);
          setPage(0);
        }}
      />
      <ErrorAlert error={list.error} what="Cannot list rotations" />
      {list.isPending ? (
        <p role="status">Loading rotations…</p>
      ) : (
        <>
          {all.length > 0 && <Pager page={current} pageSize={PAGE_SIZE} total={shown.length} onPage={setPage} what="rotations" />}
          {rows.length > 0 && (
            <table className="table rotations-table">
              <caption className="visually-hidden">Secret rotations in project {folder.projectId}</caption>
              <TableHead columns={["Name", "Status", "Active User", "Last Rotated", "Next Rotation"]} actions={can.manage} />
              <tbody>
                {rows.map((r) => (
                  <RotationRow key={r.id} rotation={r} actions={can.manage} />
                ))}
              </tbody>
            </table>
          )}
          {all.length === 0 && !list.error && (
            <p className="empty">
              No secret rotations in project {folder.projectId} yet.{can.manage ? " Add Secret Rotation creates one." : ""}
            </p>
          )}
        </>
      )}
      {adding && <AddSecretRotationDialog folder={folder} onClose={() => setAdding(false)} />}
    </>
  );
}
