import { Suspense, useEffect, useState } from "react";
import { ErrorAlert } from "../common/ErrorAlert";
import { lazyNamed, Loading } from "../common/lazy";
import { useFolder } from "../folder/useFolder";
import { setQuery, useLocation } from "../router";
import { useCan } from "../session/useSession";
import { Pager } from "./Pager";
import { listStateOf, PAGE_SIZE, useRotationPage } from "./queries";
import { RotationFilters } from "./RotationFilters";
import { RotationRow } from "./RotationRow";
import { ProjectFreezeControl, ProjectFrozenBanner } from "./ProjectFreeze";
import { TableHead } from "../common/TableHead";

/** The wizard (its steps, forms and the connection form) loads when Add Secret Rotation is first pressed. */
const AddSecretRotationDialog = lazyNamed(() => import("./wizard/AddSecretRotationDialog"), "AddSecretRotationDialog");

/**
 * Secret Rotations of the chosen project: one page of 50 at a time, filtered and sorted by the runner, the state in
 * the query string. Refreshed every few seconds with If-None-Match (an unchanged page is a 304 and re-renders nothing).
 */
export function RotationsPage() {
  const folder = useFolder();
  const { query } = useLocation();
  const state = listStateOf(query, folder);
  const can = useCan();
  const list = useRotationPage(state);
  const [adding, setAdding] = useState(false);
  const rows = list.data?.secretRotations ?? [];
  const total = list.data?.totalCount ?? 0;
  // The page on screen: while the next one loads (placeholderData), still the previous one.
  const shownPage = Math.floor((list.data?.offset ?? 0) / PAGE_SIZE);
  const lastPage = Math.max(0, Math.ceil(total / PAGE_SIZE) - 1);
  // A page past the end (rotations deleted, or an old link): go to the last one.
  const pastEnd = !list.isPlaceholderData && list.data !== undefined && state.page > lastPage;
  useEffect(() => {
    if (pastEnd) setQuery({ page: lastPage > 0 ? String(lastPage + 1) : "" });
  }, [pastEnd, lastPage]);
  const filtered = Boolean(state.search.trim() || state.environment || state.secretPath || state.status);
  return (
    <>
      <div className="page-head">
        <h1>Secret Rotations</h1>
        <div className="page-head-actions">
          <ProjectFreezeControl projectId={folder.projectId} />
          {can.manage && (
            <button type="button" className="button-primary" onClick={() => setAdding(true)}>
              Add Secret Rotation
            </button>
          )}
        </div>
      </div>
      <ProjectFrozenBanner projectId={folder.projectId} />
      <RotationFilters folder={folder} state={state} rotations={rows} />
      <ErrorAlert error={list.error} what="Cannot list rotations" />
      {list.isPending ? (
        <p role="status">Loading rotations…</p>
      ) : (
        <div aria-busy={list.isPlaceholderData} className={list.isPlaceholderData ? "list-loading" : undefined}>
          {(total > 0 || filtered) && (
            <Pager page={Math.min(shownPage, lastPage)} pageSize={PAGE_SIZE} total={total} onPage={(p) => setQuery({ page: p > 0 ? String(p + 1) : "" })} what="rotations" one="rotation" />
          )}
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
          {total === 0 && !filtered && !list.error && (
            <p className="empty">
              No secret rotations in project {folder.projectId} yet.{can.manage ? " Add Secret Rotation creates one." : ""}
            </p>
          )}
        </div>
      )}
      {adding && (
        <Suspense fallback={<Loading hidden />}>
          <AddSecretRotationDialog folder={folder} onClose={() => setAdding(false)} />
        </Suspense>
      )}
    </>
  );
}
