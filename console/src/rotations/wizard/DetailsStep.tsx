import { Field } from "../../common/Field";
import type { StepProps } from "./StepProps";

export function DetailsStep({ values, set, errors }: StepProps) {
  return (
    <>
      <Field label="Name" error={errors.name} hint="Lowercase letters, digits and single hyphens, e.g. orders-db-credentials.">
        <input type="text" spellCheck={false} autoComplete="off" value={values.name} onChange={(e) => set({ name: e.target.value })} />
      </Field>
      <Field label="Description" error={errors.description} hint="Optional.">
        <textarea rows={3} value={values.description} onChange={(e) => set({ description: e.target.value })} />
      </Field>
      <Field
        label="Max Hold (hours)"
        error={errors.maxHoldHours}
        hint="While someone still uses the user a scheduled rotation would change, it waits at most this long, then proceeds. 0 = never wait."
      >
        <input type="number" min={0} max={720} step={1} inputMode="numeric" value={values.maxHoldHours} onChange={(e) => set({ maxHoldHours: e.target.value })} />
      </Field>
    </>
  );
}
