import { Field } from "../../common/Field";
import type { StepProps } from "./StepProps";

export function MappingsStep({ values, set, errors }: StepProps) {
  return (
    <>
      <p className="hint">
        The names of the two secrets applications read (in {values.environment || "dev"} {values.secretPath || "/"}): they always hold the active
        user and its password.
      </p>
      <Field label="Username" error={errors["secretsMapping.username"]}>
        <input type="text" spellCheck={false} value={values.secretUsername} onChange={(e) => set({ secretUsername: e.target.value })} />
      </Field>
      <Field label="Password" error={errors["secretsMapping.password"]}>
        <input type="text" spellCheck={false} value={values.secretPassword} onChange={(e) => set({ secretPassword: e.target.value })} />
      </Field>
    </>
  );
}
