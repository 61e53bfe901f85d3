/** The connections in the one cache: one list, read by the App Connections page and the wizard's steps. */
import { useQuery } from "@tanstack/react-query";
import { api, refreshInterval } from "../api";
import { keys } from "../queries";

/** The connections the session may see; `refresh`: re-read every few seconds (the App Connections page). */
export function useConnections(opts: { refresh?: boolean } = {}) {
  return useQuery({ queryKey: keys.connections(), queryFn: () => api.listConnections(), refetchInterval: opts.refresh ? refreshInterval : undefined });
}
