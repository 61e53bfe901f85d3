import type { ApiRotation } from "../../../provider/client";
import { Field } from "../common/Field";
import type { FolderChoice } from "../folder/useFolder";
import { ProjectField } from "../folder/ProjectField";

/** Project (one list request), then environment, path and name, filtered in the browser. */
export function RotationFilters(props: {
  folder: FolderChoice & { set: (c: Partial<FolderChoice>) => void };
  rotations: ApiRotation[];
  search: string;
  onSearch: (s: string) => void;
}) {
  const { folder } = props;
  const environments = [...new Set([...props.rotations.map((r) => r.environment.slug), folder.environment].filter(Boolean))].sort();
  const paths = [...new Set([...props.rotations.map((r) => r.folder.path), folder.secretPath].filter(Boolean))].sort();
  return (
    <div className="filters" role="search" aria-label="Choose rotations">
      <ProjectField key={folder.projectId} value={folder.projectId} onChange={(projectId) => folder.set({ projectId, environment: "", secretPath: "" })} />
      <Field label="Environment">
        <select value={folder.environment} onChange={(e) => folder.set({ environment: e.target.value })}>
          <option value="">All environments</option>
          {environments.map((e) => (
            <option key={e} value={e}>
              {e}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Secret Path">
        <select value={folder.secretPath} onChange={(e) => folder.set({ secretPath: e.target.value })}>
          <option value="">All paths</option>
          {paths.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Search by name">
        <input type="search" value={props.search} onChange={(e) => props.onSearch(e.target.value)} />
      </Field>
    </div>
  );
}
