import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api } from "../api";
import { DateTime } from "../common/DateTime";
import { ErrorAlert } from "../common/ErrorAlert";
import { Field } from "../common/Field";
import { Link } from "../common/Link";
import { SecretValue } from "../common/SecretValue";
import { type FolderChoice, useFolder } from "../folder/useFolder";
import { useRotations } from "../rotations/queries";

/** The folder's secrets as applications read them: read-only, values masked, each marked with the rotation that writes it. */
export function SecretsPage() {
  const folder = useFolder();
  const chosen: FolderChoice = { projectId: folder.projectId, environment: folder.environment || "dev", secretPath: folder.secretPath || "/" };
  const [draft, setDraft] = useState(chosen);
  useEffect(() => setDraft(chosen), [chosen.projectId, chosen.environment, chosen.secretPath]); // eslint-disable-line react-hooks/exhaustive-deps
  const secrets = useQuery({
    queryKey: ["secrets", chosen.projectId, chosen.environment, chosen.secretPath],
    queryFn: () => api.rawSecrets(chosen),
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  const rotations = useRotations(chosen.projectId);
  const writer = (key: string) =>
    rotations.data?.find(
      (r) => r.environment.slug === chosen.environment && r.folder.path === chosen.secretPath && (r.secretsMapping.username === key || r.secretsMapping.password === key),
    );
  const envs = [...new Set(rotations.data?.map((r) => r.environment.slug))];
  const paths = [...new Set(rotations.data?.map((r) => r.folder.path))];
  return (
    <>
      <h1>Secrets</h1>
      <form
        className="filters"
        aria-label="Folder"
        onSubmit={(e) => {
          e.preventDefault();
          folder.set({ projectId: draft.projectId.trim() || "default", environment: draft.environment.trim(), secretPath: draft.secretPath.trim() });
        }}
      >
        <Field label="Project">
          <input type="text" spellCheck={false} value={draft.projectId} onChange={(e) => setDraft({ ...draft, projectId: e.target.value })} />
        </Field>
        <Field label="Environment">
          <input type="text" list="secret-envs" spellCheck={false} value={draft.environment} onChange={(e) => setDraft({ ...draft, environment: e.target.value })} />
        </Field>
        <Field label="Secret Path">
          <input type="text" list="secret-paths" spellCheck={false} value={draft.secretPath} onChange={(e) => setDraft({ ...draft, secretPath: e.target.value })} />
        </Field>
        <datalist id="secret-envs">
          {envs.map((e) => (
            <option key={e} value={e} />
          ))}
        </datalist>
        <datalist id="secret-paths">
          {paths.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <button type="submit">Show Secrets</button>
      </form>
      <p className="hint">
        Project {chosen.projectId}, environment {chosen.environment}, path {chosen.secretPath}. Read-only: rotations write these values. Every read is
        in the audit log.
      </p>
      <ErrorAlert error={secrets.error} what="Cannot read secrets" />
      {secrets.isPending && <p role="status">Loading secrets…</p>}
      {secrets.data && secrets.data.length === 0 && <p className="empty">No secrets in this folder.</p>}
      {secrets.data && secrets.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
              <th scope="col">Version</th>
              <th scope="col">Updated</th>
              <th scope="col">Rotation</th>
            </tr>
          </thead>
          <tbody>
            {secrets.data.map((s) => {
              const r = writer(s.secretKey);
              return (
                <tr key={s.id}>
                  <td data-label="Key">
                    <code className="row-title">{s.secretKey}</code>
                  </td>
                  <td data-label="Value">
                    <SecretValue value={s.secretValue} what="Value" />
                  </td>
                  <td data-label="Version">{s.version}</td>
                  <td data-label="Updated">
                    <DateTime value={s.updatedAt} />
                  </td>
                  <td data-label="Rotation">
                    {r ? (
                      <>
                        <span className="badge badge-scheduled">
                          <span aria-hidden="true">↻</span> Rotated
                        </span>{" "}
                        by <Link to={`/rotations/${r.id}`}>{r.name}</Link>
                      </>
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
