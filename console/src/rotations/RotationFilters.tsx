import { useEffect, useState } from "react";
import type { ApiRotation } from "../../../provider/client";
import { SLUG, secretPathSchema } from "../../../runner/schemas";
import { Field } from "../common/Field";
import type { FolderChoice } from "../folder/useFolder";
import { ProjectField } from "../folder/ProjectField";
import { setQuery } from "../router";
import { type ListState, useProjectEnvironments } from "./queries";

/** How long typing pauses before the list asks the runner again. */
const TYPING_MS = 300;

const SORTS: Array<[string, string]> = [
  ["name", "Name (A–Z)"],
  ["-name", "Name (Z–A)"],
  ["nextRotationAt", "Next rotation (soonest first)"],
  ["-lastRotatedAt", "Last rotated (newest first)"],
  ["rotationStatus", "Status"],
  ["-createdAt", "Created (newest first)"],
  ["createdAt", "Created (oldest first)"],
];
const STATUSES: Array<[string, string]> = [
  ["", "All statuses"],
  ["success", "Succeeded"],
  ["failed", "Failed"],
  ["pending", "Pending"],
  ["drifted", "Drifted"],
  ["held", "Held"],
];

/**
 * A text field that commits to the query string once typing pauses, so each keystroke is not a request; a value
 * that would be refused (checked here with the runner's rules) is not sent. A value changed elsewhere (Back, a
 * link) replaces what is shown.
 */
function useCommitted(value: string, commit: (v: string) => void, check: (v: string) => string | undefined) {
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    setDraft(value);
  }
  const error = check(draft);
  useEffect(() => {
    if (draft === value || error) return;
    const timer = setTimeout(() => commit(draft), TYPING_MS);
    return () => clearTimeout(timer);
  }, [draft, value, error, commit]);
  return { draft, setDraft, error };
}

const checkEnvironment = (v: string) => (v === "" || SLUG.test(v) ? undefined : 'An environment slug such as "dev" or "prod"');
const checkPath = (v: string) => (v === "" || secretPathSchema.safeParse(v).success ? undefined : 'A folder such as "/" or "/app/db"');
const noCheck = () => undefined;

/** Project, environment, path, name, status and order: each a parameter of the runner's list, kept in the URL. */
export function RotationFilters(props: { folder: FolderChoice & { set: (c: Partial<FolderChoice>) => void }; state: ListState; rotations: ApiRotation[] }) {
  const { folder, state } = props;
  const environment = useCommitted(state.environment, commitEnvironment, checkEnvironment);
  const path = useCommitted(state.secretPath, commitPath, checkPath);
  const search = useCommitted(state.search, commitSearch, noCheck);
  // Suggestions (any slug or path may still be typed): every environment of the project this session may see, and
  // the folders of the rows on screen.
  const projectEnvironments = useProjectEnvironments(folder.projectId).data ?? [];
  const environments = [...new Set([...projectEnvironments, ...props.rotations.map((r) => r.environment.slug)])].sort();
  const paths = [...new Set(props.rotations.map((r) => r.folder.path))].sort();
  return (
    <div className="filters" role="search" aria-label="Choose rotations">
      <ProjectField key={folder.projectId} value={folder.projectId} onChange={(projectId) => setQuery({ project: projectId, environment: "", path: "", page: "" })} />
      <Field label="Environment" error={environment.error}>
        <input type="text" list="rotation-envs" spellCheck={false} placeholder="All environments" value={environment.draft} onChange={(e) => environment.setDraft(e.target.value.trim())} />
      </Field>
      <Field label="Secret Path" error={path.error}>
        <input type="text" list="rotation-paths" spellCheck={false} placeholder="All paths" value={path.draft} onChange={(e) => path.setDraft(e.target.value.trim())} />
      </Field>
      <Field label="Search by name">
        <input type="search" spellCheck={false} value={search.draft} onChange={(e) => search.setDraft(e.target.value)} />
      </Field>
      <Field label="Status">
        <select value={state.status} onChange={(e) => setQuery({ status: e.target.value, page: "" })}>
          {STATUSES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Sort by">
        <select value={state.sort} onChange={(e) => setQuery({ sort: e.target.value === "name" ? "" : e.target.value, page: "" })}>
          {SORTS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      <datalist id="rotation-envs">
        {environments.map((e) => (
          <option key={e} value={e} />
        ))}
      </datalist>
      <datalist id="rotation-paths">
        {paths.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
    </div>
  );
}

function commitEnvironment(v: string): void {
  setQuery({ environment: v, page: "" });
}
function commitPath(v: string): void {
  setQuery({ path: v, page: "" });
}
function commitSearch(v: string): void {
  setQuery({ q: v, page: "" });
}
