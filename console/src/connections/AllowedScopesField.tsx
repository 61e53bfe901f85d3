import { useId } from "react";
import { useFieldArray } from "react-hook-form";
import { useErrorMessage } from "../common/form";
import { FormField } from "../common/FormField";
import { emptyScopeRow, type ScopeRow } from "./scopes";

/** A message of the list or of one row (a row that repeats another), announced when it appears. */
function ListError(props: { name: string }) {
  const message = useErrorMessage(props.name);
  return message ? (
    <p className="field-error" role="alert">
      {message}
    </p>
  ) : null;
}

/**
 * Allowed Scopes (the field array `allowedScopes` of the form around): rows of Project / Environment / Path, added
 * and removed. Tokens scoped inside one of them may use the connection for rotations in its folders.
 */
export function AllowedScopesField() {
  const hintId = useId();
  const { fields, append, remove } = useFieldArray<{ allowedScopes: ScopeRow[] }>({ name: "allowedScopes" });
  return (
    <fieldset className="allowed-scopes" aria-describedby={hintId}>
      <legend>Allowed Scopes</legend>
      <p id={hintId} className="hint">
        Tokens scoped inside one of these may use this connection for rotations in its folders (a path covers its subfolders; an empty Environment or
        Path means any). With none, only unscoped tokens may use it.
      </p>
      {fields.map((row, i) => (
        <div key={row.id} role="group" aria-label={`Allowed Scope ${i + 1}`} className="scope-row">
          <div className="field-row">
            <FormField name={`allowedScopes.${i}.projectId`} label="Project" className="grow">
              <input type="text" spellCheck={false} autoComplete="off" />
            </FormField>
            <FormField name={`allowedScopes.${i}.environment`} label="Environment">
              <input type="text" spellCheck={false} autoComplete="off" placeholder="any" />
            </FormField>
            <FormField name={`allowedScopes.${i}.secretPath`} label="Path">
              <input type="text" spellCheck={false} autoComplete="off" placeholder="any" />
            </FormField>
          </div>
          <ListError name={`allowedScopes.${i}`} />
          <button type="button" className="button-danger-quiet" aria-label={`Remove Allowed Scope ${i + 1}`} onClick={() => remove(i)}>
            Remove
          </button>
        </div>
      ))}
      <ListError name="allowedScopes" />
      <button type="button" onClick={() => append(emptyScopeRow(), { shouldFocus: false })}>
        Add Scope
      </button>
    </fieldset>
  );
}
