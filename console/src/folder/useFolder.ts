/** The project, environment and path chosen at the top of the page, kept in the page's query string (never a secret). */
import { setQuery, useLocation } from "../router";
import { useSession } from "../session/useSession";

export interface FolderChoice {
  projectId: string;
  /** "" = every environment (the Secret Rotations filter). */
  environment: string;
  /** "" = every path (the Secret Rotations filter). */
  secretPath: string;
}

export function useFolder(): FolderChoice & { set: (c: Partial<FolderChoice>) => void } {
  const { query } = useLocation();
  const { scope } = useSession();
  return {
    projectId: query.get("project") ?? scope.projectId ?? "default",
    environment: query.get("environment") ?? scope.environment ?? "",
    secretPath: query.get("path") ?? scope.secretPath ?? "",
    set: (c) =>
      setQuery({
        ...(c.projectId !== undefined ? { project: c.projectId } : {}),
        ...(c.environment !== undefined ? { environment: c.environment } : {}),
        ...(c.secretPath !== undefined ? { path: c.secretPath } : {}),
      }),
  };
}
