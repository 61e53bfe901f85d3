import { useState } from "react";
import { Field } from "../common/Field";
import type { FolderChoice } from "../folder/useFolder";

/**
 * The folder whose secrets to show, applied with Show Secrets. Render it with a key made of the chosen folder
 * so a folder chosen elsewhere resets what is typed.
 */
export function SecretFolderForm(props: { chosen: FolderChoice; onApply: (f: FolderChoice) => void }) {
  const [draft, setDraft] = useState(props.chosen);
  return (
    <form
      className="filters"
      aria-label="Folder"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply({ projectId: draft.projectId.trim() || "default", environment: draft.environment.trim(), secretPath: draft.secretPath.trim() });
      }}
    >
      <Field label="Project">
        <input type="text" spellCheck={false} value={draft.projectId} onChange={(e) => setDraft({ ...draft, projectId: e.target.value })} />
      </Field>
      <Field label="Environment">
        <input type="text" spellCheck={false} value={draft.environment} onChange={(e) => setDraft({ ...draft, environment: e.target.value })} />
      </Field>
      <Field label="Secret Path">
        <input type="text" spellCheck={false} value={draft.secretPath} onChange={(e) => setDraft({ ...draft, secretPath: e.target.value })} />
      </Field>
      <button type="submit">Show Secrets</button>
    </form>
  );
}
