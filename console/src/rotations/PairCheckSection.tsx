import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { keys } from "../queries";
import { CopyButton } from "../common/CopyButton";
import { ErrorAlert } from "../common/ErrorAlert";
import { TableHead } from "../common/TableHead";

/**
 * The pair check of a rotation's two users: are they interchangeable (attributes, memberships, settings,
 * privileges, policies, owned objects)? Each difference comes with the SQL that removes it. Asked on demand:
 * it reads the target's catalogs through the connection (manage access to the folder, like the API).
 */
export function PairCheckSection(props: { rotationId: string }) {
  const check = useQuery({ queryKey: keys.pairCheck(props.rotationId), queryFn: () => api.rotationPairCheck(props.rotationId), enabled: false, retry: false });
  const r = check.data;
  const sql = r?.differences.map((d) => d.sql.trimEnd()).join("\n") ?? "";
  return (
    <section aria-labelledby="pair-check-title">
      <h2 id="pair-check-title">Pair Check</h2>
      <p className="hint">Both users must be able to do the same things, or an application breaks when a rotation switches users.</p>
      <button type="button" onClick={() => void check.refetch()} disabled={check.isFetching}>
        {check.isFetching ? "Checking…" : r ? "Check Again" : "Check the Pair"}
      </button>
      {check.error && <ErrorAlert error={check.error} />}
      {r && (
        <div role="status">
          {r.interchangeable ? (
            <p>
              <strong>Interchangeable</strong>: the two users may do the same things in <code>{r.database}</code>.
            </p>
          ) : (
            <>
              <p>
                <strong>Not interchangeable</strong>: {r.differences.length} {r.differences.length === 1 ? "difference" : "differences"} in <code>{r.database}</code>.
                Run the SQL below as a superuser (or the objects&apos; owner), in this order, then check again.
              </p>
              <table className="table">
                <TableHead columns={["Kind", "Object", "Detail"]} />
                <tbody>
                  {r.differences.map((d, i) => (
                    <tr key={i}>
                      <td>{d.kind}</td>
                      <td>{d.object}</td>
                      <td>{d.detail}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <pre className="sql" aria-label="SQL that makes the pair interchangeable">
                {sql}
              </pre>
              <CopyButton value={sql} label="Copy SQL" />
            </>
          )}
        </div>
      )}
    </section>
  );
}
