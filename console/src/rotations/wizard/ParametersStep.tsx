import { useWatch } from "react-hook-form";
import { useErrorMessage } from "../../common/form";
import { FormField, SwitchField } from "../../common/FormField";
import type { WizardValues } from "./model";
import { PrecheckFailure } from "./PrecheckFailure";
import { SetupSqlHelp } from "./SetupSqlHelp";
import type { StepProps } from "./StepProps";

/** The required character counts (parameters.passwordRequirements.required) and their labels. */
const MINIMUMS = [
  ["digits", "Minimum Digits"],
  ["lowercase", "Minimum Lowercase Letters"],
  ["uppercase", "Minimum Uppercase Letters"],
  ["symbols", "Minimum Symbols"],
] as const;

export function ParametersStep({ mode, precheck }: StepProps & { precheck?: { text: string; sql?: string[] } }) {
  const locked = mode === "edit";
  const lockHint = locked ? "The users of a rotation cannot change; delete it and create a new one." : undefined;
  const [connectionId, username1, username2, requirements] = useWatch<WizardValues, ["connectionId", "parameters.username1", "parameters.username2", "requirements"]>({
    name: ["connectionId", "parameters.username1", "parameters.username2", "requirements"],
  });
  const required = useErrorMessage("parameters.passwordRequirements.required");
  return (
    <>
      {precheck && <PrecheckFailure text={precheck.text} sql={precheck.sql} />}
      <p className="hint">Two login roles that take turns: each rotation changes the password of the one not in use.</p>
      <FormField name="parameters.username1" label="Database Username 1" hint={lockHint}>
        <input type="text" autoComplete="off" spellCheck={false} disabled={locked} />
      </FormField>
      <FormField name="parameters.username2" label="Database Username 2" hint={lockHint}>
        <input type="text" autoComplete="off" spellCheck={false} disabled={locked} />
      </FormField>
      {!locked && <SetupSqlHelp connectionId={connectionId} username1={username1} username2={username2} />}
      <details className="advanced" open={requirements || !!required || undefined}>
        <summary>Advanced</summary>
        <SwitchField name="requirements" label="Custom Password Requirements" hint="Off: 48 random letters and digits." />
        {requirements && (
          <div className="field-grid">
            <FormField name="parameters.passwordRequirements.length" label="Password Length" number>
              <input type="number" min={1} max={250} />
            </FormField>
            {MINIMUMS.map(([kind, label]) => (
              <FormField key={kind} name={`parameters.passwordRequirements.required.${kind}`} label={label} number>
                <input type="number" min={0} />
              </FormField>
            ))}
            <FormField name="parameters.passwordRequirements.allowedSymbols" label="Allowed Symbols">
              <input type="text" spellCheck={false} />
            </FormField>
            {required && (
              <p className="field-error" role="alert">
                {required}
              </p>
            )}
          </div>
        )}
      </details>
    </>
  );
}
