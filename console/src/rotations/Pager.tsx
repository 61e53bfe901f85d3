/** Previous / next page of a long list, with where we are in words (`what` plural, `one` its singular: "1 rotation"). */
export function Pager(props: { page: number; pageSize: number; total: number; onPage: (p: number) => void; what: string; one: string; label?: string }) {
  const pages = Math.max(1, Math.ceil(props.total / props.pageSize));
  const first = props.total === 0 ? 0 : props.page * props.pageSize + 1;
  const last = Math.min(props.total, (props.page + 1) * props.pageSize);
  const fmt = (n: number) => n.toLocaleString("en");
  return (
    <nav className="pager" aria-label={props.label ?? "Pages"}>
      <p role="status">
        {props.total === 0 ? `No ${props.what}` : props.total === 1 ? `Showing 1 ${props.one}` : `Showing ${fmt(first)}–${fmt(last)} of ${fmt(props.total)} ${props.what}`}
      </p>
      {pages > 1 && (
        <div className="pager-buttons">
          <button type="button" disabled={props.page === 0} onClick={() => props.onPage(props.page - 1)}>
            Previous page
          </button>
          <span>
            Page {props.page + 1} of {pages}
          </span>
          <button type="button" disabled={props.page >= pages - 1} onClick={() => props.onPage(props.page + 1)}>
            Next page
          </button>
        </div>
      )}
    </nav>
  );
}
