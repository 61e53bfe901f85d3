/** A project's freeze in the one cache: read it, and freeze or unfreeze it (refreshing the project's rotations). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, refreshInterval } from "../api";
import { keys } from "../queries";
import { useSession } from "../session/useSession";

export function useProjectFreeze(projectId: string) {
  return useQuery({ queryKey: keys.projectFreeze(projectId), queryFn: () => api.projectFreeze(projectId), refetchInterval: refreshInterval, enabled: projectId !== "" });
}

/**
 * `reason` freezes, null unfreezes. The answer is the freeze as it is now: a poll still in flight may have read it
 * before, so it is cancelled (its answer ignored) before the answer is put in the cache, or it would put the old
 * state back (an unfrozen project shown frozen again until the next poll).
 */
export function useSetProjectFreeze(projectId: string, onDone?: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (reason: string | null) => api.setProjectFreeze(projectId, reason),
    onSuccess: async (f) => {
      await client.cancelQueries({ queryKey: keys.projectFreeze(projectId) });
      client.setQueryData(keys.projectFreeze(projectId), f);
      void client.invalidateQueries({ queryKey: keys.rotations(projectId) });
      void client.invalidateQueries({ queryKey: keys.rotation() });
      onDone?.();
    },
  });
}

/** Freezing needs manage over the whole project (the runner refuses a narrower scope with 403). */
export function useCanFreeze(projectId: string): boolean {
  const s = useSession();
  const sc = s.scope;
  return s.permission === "manage" && (sc.projectId === null || sc.projectId === projectId) && sc.environment === null && (sc.secretPath === null || sc.secretPath === "/");
}
