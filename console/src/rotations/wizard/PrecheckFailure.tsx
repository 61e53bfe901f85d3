import { CopyButton } from "../../common/CopyButton";

/** The runner's precheck message and the SQL that grants what is missing, copyable as one block. */
export function PrecheckFailure(props: { text: string; sql?: string[] }) {
  const sql = props.sql?.join("\n") ?? "";
  return (
    <div role="alert" className="alert alert-error">
      <p>{props.text}</p>
      {sql && (
        <>
          <p>Run this as a superuser on the target database, then try again:</p>
          <pre className="sql" aria-label="SQL to run">
            <code>{sql}</code>
          </pre>
          <CopyButton value={sql} label="Copy SQL" />
        </>
      )}
    </div>
  );
}
