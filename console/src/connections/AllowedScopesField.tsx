import { useId } from "react";
import { emptyScopeRow, type ScopeRow } from "./scopes";

/**
 * Allowed Scopes: rows of Project / Environment / Path, added and removed. Tokens scoped inside one of them may use
 * the connection for rotations in its folders. `errors` are keyed by the API's paths (allowedScopes.0.projectId).
 */
export function AllowedScopesField(props: { rows: ScopeRow[]; onChange: (rows: ScopeRow[]) => void; errors: Record<string, string> }) {
  const hintId = useId();
  const { rows, errors } = props;
  const setRow = (i: number, patch: Partial<ScopeRow>) => props.onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const input = (i: number, key: keyof ScopeRow, label: string, placeholder?: string) => {
    const id = `${hintId}-${i}-${key}`;
    const error = errors[`allowedScopes.${i}.${key}`];
    return (
      <div className={`field${error ? " field-invalid" : ""}${key === "projectId" ? " grow" : ""}`}>
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type="text"
          spellCheck={false}
          autoComplete="off"
          placeholder={placeholder}
          value={rows[i][key]}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => setRow(i, { [key]: e.target.value })}
        />
        {error && (
          <p id={`${id}-error`} className="field-error" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  };
  return (
    <fieldset className="allowed-scopes" aria-describedby={hintId}>
      <legend>Allowed Scopes</legend>
      <p id={hintId} className="hint">
        Tokens scoped inside one of these may use this connection for rotations in its folders (a path covers its subfolders; an empty Environment or
        Path means any). With none, only unscoped tokens may use it.
      </p>
      {rows.map((_, i) => (
        <div key={i} role="group" aria-label={`Allowed Scope ${i + 1}`} className="scope-row">
          <div className="field-row">
            {input(i, "projectId", "Project")}
            {input(i, "environment", "Environment", "any")}
            {input(i, "secretPath", "Path", "any")}
          </div>
          {errors[`allowedScopes.${i}`] && (
            <p className="field-error" role="alert">
              {errors[`allowedScopes.${i}`]}
            </p>
          )}
          <button type="button" className="button-danger-quiet" aria-label={`Remove Allowed Scope ${i + 1}`} onClick={() => props.onChange(rows.filter((__, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      {errors.allowedScopes && (
        <p className="field-error" role="alert">
          {errors.allowedScopes}
        </p>
      )}
      <button type="button" onClick={() => props.onChange([...rows, emptyScopeRow()])}>
        Add Scope
      </button>
    </fieldset>
  );
}
