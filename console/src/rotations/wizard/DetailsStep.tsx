import { FormField } from "../../common/FormField";

export function DetailsStep() {
  return (
    <>
      <FormField name="name" label="Name" hint="Lowercase letters, digits and single hyphens, e.g. orders-db-credentials.">
        <input type="text" spellCheck={false} autoComplete="off" />
      </FormField>
      <FormField name="description" label="Description" hint="Optional.">
        <textarea rows={3} />
      </FormField>
    </>
  );
}
