/**
 * The console's one way to the runner: the shared typed client (provider/client.ts) on this page's origin,
 * authenticated by the session cookie, and the one cache of server state (TanStack Query).
 */
import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { RunnerApiError, RunnerClient } from "../../provider/client";
import { isUserActive } from "./session/activity";
import { sessionEvents } from "./session/events";

export const api = new RunnerClient({
  url: location.origin,
  requireToken: false,
  timeoutMs: 60_000,
  // Refreshes made while nobody uses the page do not keep the session alive (its idle timeout).
  headers: (): Record<string, string> => (isUserActive() ? {} : { "x-pgrotate-background": "1" }),
});

/** True when the runner could not be reached at all (no HTTP answer). */
export const isUnreachable = (err: unknown): boolean => err instanceof RunnerApiError && err.status === undefined;

/** The runner's message for an error, in words a person can act on (the runner's own, without method and URL). */
export function errorText(err: unknown): string {
  if (err instanceof RunnerApiError) return err.runnerMessage ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

function onError(err: unknown): void {
  if (err instanceof RunnerApiError && err.status === 401) sessionEvents.expired();
  sessionEvents.reachable(!isUnreachable(err));
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError, onSuccess: () => sessionEvents.reachable(true) }),
  mutationCache: new MutationCache({ onError, onSuccess: () => sessionEvents.reachable(true) }),
  defaultOptions: {
    queries: {
      // Only a network failure is worth retrying; a 4xx answer will not change by asking again.
      retry: (count, err) => isUnreachable(err) && count < 2,
      staleTime: 2_000,
      refetchOnWindowFocus: () => !sessionEvents.get().expired,
    },
    mutations: { retry: false },
  },
});

/** How often lists and status refresh themselves. */
export const REFRESH_MS = 5_000;

/**
 * The refetchInterval of self-refreshing queries: every REFRESH_MS, but not while the session has ended (each
 * refresh would be one more 401, and failed authentications from this address lead to 429). Signing in again
 * refetches, which starts the refreshes again.
 */
export const refreshInterval = (): number | false => (sessionEvents.get().expired ? false : REFRESH_MS);
