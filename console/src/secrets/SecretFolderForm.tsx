import { FormProvider } from "react-hook-form";
import { z } from "zod";
import { rawSecretsQuerySchema } from "../../../runner/schemas";
import { bodySchema, useSchemaForm } from "../common/form";
import { FormField } from "../common/FormField";
import type { FolderChoice } from "../folder/useFolder";

/** The folder, checked as the runner's secrets query checks it (an empty project is "default"; empty environment and path are the page's defaults). */
const { workspaceId, environment, secretPath } = rawSecretsQuerySchema.shape;
const schema = bodySchema(
  z.object({ projectId: workspaceId, environment: environment.unwrap().optional(), secretPath: secretPath.unwrap().optional() }),
  (f: FolderChoice) => ({ projectId: f.projectId.trim() || "default", environment: f.environment.trim() || undefined, secretPath: f.secretPath.trim() || undefined }),
);

/**
 * The folder whose secrets to show, applied with Show Secrets. Render it with a key made of the chosen folder
 * so a folder chosen elsewhere resets what is typed.
 */
export function SecretFolderForm(props: { chosen: FolderChoice; onApply: (f: FolderChoice) => void }) {
  const { form, focusRef, submit } = useSchemaForm(schema, props.chosen);
  return (
    <FormProvider {...form}>
      <form ref={focusRef} className="filters" aria-label="Folder" onSubmit={(e) => void submit((f) => props.onApply({ projectId: f.projectId, environment: f.environment ?? "", secretPath: f.secretPath ?? "" }))(e)} noValidate>
        <FormField name="projectId" label="Project">
          <input type="text" spellCheck={false} />
        </FormField>
        <FormField name="environment" label="Environment">
          <input type="text" spellCheck={false} />
        </FormField>
        <FormField name="secretPath" label="Secret Path">
          <input type="text" spellCheck={false} />
        </FormField>
        <button type="submit">Show Secrets</button>
      </form>
    </FormProvider>
  );
}
