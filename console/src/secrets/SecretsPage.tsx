import { useQuery } from "@tanstack/react-query";
import { api } from "../api";
import { DateTime } from "../common/DateTime";
import { ErrorAlert } from "../common/ErrorAlert";
import { Link } from "../common/Link";
import { SecretValue } from "../common/SecretValue";
import { type FolderChoice, useFolder } from "../folder/useFolder";
import { keys } from "../queries";
import { useFolderRotations } from "../rotations/queries";
import { SecretFolderForm } from "./SecretFolderForm";
import { TableHead } from "../common/TableHead";

/** The folder's secrets as applications read them: read-only, values masked, each marked with the rotation that writes it. */
export function SecretsPage() {
  const folder = useFolder();
  const chosen: FolderChoice = { projectId: folder.projectId, environment: folder.environment || "dev", secretPath: folder.secretPath || "/" };
  const secrets = useQuery({
    queryKey: keys.secrets(chosen.projectId, chosen.environment, chosen.secretPath),
    queryFn: () => api.rawSecrets(chosen),
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  // Only this folder's rotations (a filtered page, never the whole list), to name the rotation that writes each secret.
  const rotations = useFolderRotations(chosen);
  const byId = new Map(rotations.data?.secretRotations.map((r) => [r.id, r]));
  return (
    <>
      <h1>Secrets</h1>
      <SecretFolderForm
        key={`${chosen.projectId}|${chosen.environment}|${chosen.secretPath}`}
        chosen={chosen}
        onApply={(f) => folder.set(f)}
      />
      <p className="hint">
        Project {chosen.projectId}, environment {chosen.environment}, path {chosen.secretPath}. Read-only: rotations write these values. Every read is
        in the audit log.
      </p>
      <ErrorAlert error={secrets.error} what="Cannot read secrets" />
      {secrets.isPending && <p role="status">Loading…</p>}
      {secrets.data && secrets.data.length === 0 && <p className="empty">No secrets in this folder.</p>}
      {secrets.data && secrets.data.length > 0 && (
        <table className="table">
          <TableHead columns={["Key", "Value", "Version", "Updated", "Rotation"]} />
          <tbody>
            {secrets.data.map((s) => {
              const r = s.rotationId ? byId.get(s.rotationId) : undefined;
              return (
                <tr key={s.id}>
                  <td data-label="Key">
                    <code className="row-title">{s.secretKey}</code>
                  </td>
                  <td data-label="Value">
                    <SecretValue value={s.secretValue} what="Value" of={s.secretKey} />
                  </td>
                  <td data-label="Version">{s.version}</td>
                  <td data-label="Updated">
                    <DateTime value={s.updatedAt} />
                  </td>
                  <td data-label="Rotation">
                    {s.rotationId ? (
                      <span>
                        <span className="badge badge-scheduled">
                          <span aria-hidden="true">↻</span> Rotated
                        </span>{" "}
                        by <Link to={`/rotations/${s.rotationId}`}>{r ? r.name : "its rotation"}</Link>
                      </span>
                    ) : (
                      <span className="muted">Not rotated (its rotation was deleted)</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
