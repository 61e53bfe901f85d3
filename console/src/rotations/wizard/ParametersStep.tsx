import { Field } from "../../common/Field";
import { Switch } from "../../common/Switch";
import { PrecheckFailure } from "./PrecheckFailure";
import { SetupSqlHelp } from "./SetupSqlHelp";
import type { StepProps } from "./StepProps";

export function ParametersStep({ values, set, errors, mode, precheck }: StepProps & { precheck?: { text: string; sql?: string[] } }) {
  const locked = mode === "edit";
  const lockHint = locked ? "The users of a rotation cannot change; delete it and create a new one." : undefined;
  const required = errors["parameters.passwordRequirements.required"];
  return (
    <>
      {precheck && <PrecheckFailure text={precheck.text} sql={precheck.sql} />}
      <p className="hint">Two login roles that take turns: each rotation changes the password of the one not in use.</p>
      <Field label="Database Username 1" error={errors["parameters.username1"]} hint={lockHint}>
        <input type="text" autoComplete="off" spellCheck={false} value={values.username1} disabled={locked} onChange={(e) => set({ username1: e.target.value })} />
      </Field>
      <Field label="Database Username 2" error={errors["parameters.username2"]} hint={lockHint}>
        <input type="text" autoComplete="off" spellCheck={false} value={values.username2} disabled={locked} onChange={(e) => set({ username2: e.target.value })} />
      </Field>
      {!locked && <SetupSqlHelp connectionId={values.connectionId} username1={values.username1} username2={values.username2} />}
      <details className="advanced" open={values.requirements || !!required || undefined}>
        <summary>Advanced</summary>
        <Switch
          label="Custom Password Requirements"
          checked={values.requirements}
          onChange={(v) => set({ requirements: v })}
          hint="Off: 48 random letters and digits."
        />
        {values.requirements && (
          <div className="field-grid">
            <Field label="Password Length" error={errors["parameters.passwordRequirements.length"]}>
              <input type="number" min={1} max={250} value={values.length} onChange={(e) => set({ length: e.target.value })} />
            </Field>
            <Field label="Minimum Digits">
              <input type="number" min={0} value={values.digits} onChange={(e) => set({ digits: e.target.value })} />
            </Field>
            <Field label="Minimum Lowercase Letters">
              <input type="number" min={0} value={values.lowercase} onChange={(e) => set({ lowercase: e.target.value })} />
            </Field>
            <Field label="Minimum Uppercase Letters">
              <input type="number" min={0} value={values.uppercase} onChange={(e) => set({ uppercase: e.target.value })} />
            </Field>
            <Field label="Minimum Symbols">
              <input type="number" min={0} value={values.symbols} onChange={(e) => set({ symbols: e.target.value })} />
            </Field>
            <Field label="Allowed Symbols" error={errors["parameters.passwordRequirements.allowedSymbols"]}>
              <input type="text" spellCheck={false} value={values.allowedSymbols} onChange={(e) => set({ allowedSymbols: e.target.value })} />
            </Field>
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
