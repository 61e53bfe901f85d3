/** Rotations in the one cache: the list (one request per project), one rotation, its history. */
import { type QueryClient, useQuery } from "@tanstack/react-query";
import type { ApiRotation } from "../../../provider/client";
import { api, refreshInterval } from "../api";
import { keys } from "../queries";

export const rotationsKey = (projectId: string) => keys.rotations(projectId);

const listOf = (projectId: string) => ({ queryKey: rotationsKey(projectId), queryFn: () => api.listRotations(projectId) });

export function useRotations(projectId: string) {
  return useQuery({ ...listOf(projectId), refetchInterval: refreshInterval });
}

/**
 * Opening the console on the list: ask for it at once, beside "who am I", instead of after it (the list is the
 * slow request; the page shows it as soon as both are in). A guess only when the URL names no project.
 */
export function prefetchList(client: QueryClient): void {
  if (location.pathname !== "/") return;
  void client.prefetchQuery(listOf(new URLSearchParams(location.search).get("project") ?? "default"));
}

export function useRotation(id: string) {
  return useQuery({ queryKey: keys.rotation(id), queryFn: () => api.getRotation(id), refetchInterval: refreshInterval });
}

export function useHistory(id: string) {
  return useQuery({ queryKey: keys.history(id), queryFn: () => api.history(id), refetchInterval: refreshInterval });
}

/** After a change: the lists, the rotation's page and its history read again. */
export function refreshRotations(client: QueryClient, changed?: ApiRotation): void {
  if (changed) client.setQueryData(keys.rotation(changed.id), changed);
  void client.invalidateQueries({ queryKey: keys.rotations() });
  void client.invalidateQueries({ queryKey: keys.rotation() });
  void client.invalidateQueries({ queryKey: keys.history() });
  void client.invalidateQueries({ queryKey: keys.secrets() });
}

/** The user whose credentials apps read now. */
export const activeUsername = (r: ApiRotation): string => (r.activeIndex === 0 ? r.parameters.username1 : r.parameters.username2);
export const inactiveUsername = (r: ApiRotation): string => (r.activeIndex === 0 ? r.parameters.username2 : r.parameters.username1);
