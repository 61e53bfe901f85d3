import { useWatch } from "react-hook-form";
import { FormField } from "../../common/FormField";
import type { WizardValues } from "./model";

export function MappingsStep() {
  const [environment, secretPath] = useWatch<WizardValues, ["environment", "secretPath"]>({ name: ["environment", "secretPath"] });
  return (
    <>
      <p className="hint">
        The names of the two secrets applications read (in {environment || "dev"} {secretPath || "/"}): they always hold the active user and its
        password.
      </p>
      <FormField name="secretsMapping.username" label="Username">
        <input type="text" spellCheck={false} />
      </FormField>
      <FormField name="secretsMapping.password" label="Password">
        <input type="text" spellCheck={false} />
      </FormField>
    </>
  );
}
