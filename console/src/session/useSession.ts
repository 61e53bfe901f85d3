import { createContext, useContext } from "react";
import type { ApiConsoleSession } from "../../../provider/client";

export const SessionContext = createContext<ApiConsoleSession | null>(null);

export function useSession(): ApiConsoleSession {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in console");
  return s;
}

/**
 * What the signed-in principal may do, so the console shows only the controls that would work (the runner
 * still refuses anything else with 403). App connections belong to no project: adding, changing and granting
 * them needs an unscoped manage principal (a scoped one sees those granted to its scope, and uses them).
 */
export function useCan(): { manage: boolean; unscoped: boolean; manageConnections: boolean } {
  const s = useSession();
  const unscoped = s.scope.projectId === null && s.scope.environment === null && s.scope.secretPath === null;
  const manage = s.permission === "manage";
  return { manage, unscoped, manageConnections: manage && unscoped };
}
