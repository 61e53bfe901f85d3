/** A connection's allowedScopes in the console: the editor's rows, the API's list, and how a scope reads. */

/** One row of the editor: "" = any (environment, path). */
export interface ScopeRow {
  projectId: string;
  environment: string;
  secretPath: string;
}

export const emptyScopeRow = (): ScopeRow => ({ projectId: "", environment: "", secretPath: "" });

/** The rows as the API's allowedScopes (empty environment and path left out: any). */
export const scopesOf = (rows: ScopeRow[]) =>
  rows.map((r) => ({
    projectId: r.projectId.trim(),
    ...(r.environment.trim() ? { environment: r.environment.trim() } : {}),
    ...(r.secretPath.trim() ? { secretPath: r.secretPath.trim() } : {}),
  }));

/** A connection's allowedScopes as rows. */
export const rowsOf = (list: ReadonlyArray<{ projectId: string; environment: string | null; secretPath: string | null }>): ScopeRow[] =>
  list.map((s) => ({ projectId: s.projectId, environment: s.environment ?? "", secretPath: s.secretPath ?? "" }));

/** "shop · prod · /team-a", with "any" for what a scope leaves open. */
export const scopeText = (s: { projectId: string; environment: string | null; secretPath: string | null }): string =>
  `${s.projectId} · ${s.environment ?? "any environment"} · ${s.secretPath ?? "any path"}`;
