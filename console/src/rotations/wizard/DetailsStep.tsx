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
      <FormField
        name="maxHoldHours"
        label="Max Hold (hours)"
        number
        hint="While someone still uses the user a scheduled rotation would change, it waits at most this long, then proceeds. 0 = never wait."
      >
        <input type="number" min={0} max={720} step={1} inputMode="numeric" />
      </FormField>
    </>
  );
}
