/**
 * Live rotation updates: one EventSource per signed-in console on the runner's rotation-status stream
 * (GET /api/v1/events/rotations, with the session cookie). Each event invalidates what shows that rotation (every
 * page of the list, its page, its history, the secrets it files), so the console shows a rotation's new status at
 * once. While the stream is open the rotation queries' own refresh is only a slow fallback (FALLBACK_MS); while it is
 * not, they refresh every REFRESH_MS as before. `ready` (attached, or attached again) re-reads everything: events
 * sent while the stream was down are not replayed.
 */
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import { REFRESH_MS } from "../api";
import { keys } from "../queries";
import { isUserActive } from "../session/activity";
import { sessionEvents } from "../session/events";

/** How often rotation queries refresh by themselves while the stream is open (a safety net under the events). */
export const FALLBACK_MS = 60_000;
/** The stream's own URL (same origin: the session cookie goes with it). */
const STREAM_URL = "/api/v1/events/rotations";
/** Events arriving within this long are one refresh (a rotation commits several changes in a row). */
const BATCH_MS = 100;
/** After the runner refused the stream (not a dropped connection, which EventSource retries itself): 5 s, 10 s, … 60 s. */
const RETRY_MS = [5_000, 10_000, 30_000, 60_000];

/** "connecting": not yet open (nothing to show); "live": open; "reconnecting": it was refused or dropped. */
export type LiveState = "connecting" | "live" | "reconnecting";

let state: LiveState = "connecting";
const listeners = new Set<() => void>();
const setState = (next: LiveState) => {
  if (next === state) return;
  state = next;
  for (const l of listeners) l();
};
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const getState = () => state;

/**
 * The refetchInterval of the rotation queries: every REFRESH_MS while the stream is not open, FALLBACK_MS while it
 * is, never once the session has ended. Read again at each fetch (TanStack Query), which every change of state starts.
 */
export const rotationRefreshInterval = (): number | false => (sessionEvents.get().expired ? false : state === "live" ? FALLBACK_MS : REFRESH_MS);

/**
 * The refetchInterval of what changes only when rotations do (a project's environments): none while the stream is
 * open (its events invalidate it, and attaching re-reads it), else every `ms`; never once the session has ended.
 */
export const eventDrivenInterval =
  (ms: number) =>
  (): number | false =>
    sessionEvents.get().expired || state === "live" ? false : ms;

/** Everything a rotation shows in: re-read now (active queries) or at next use. A read in flight may predate the change: it starts again. */
function invalidate(client: QueryClient, ids: Set<string>): void {
  const queryKeys = [keys.rotations(), keys.secrets(), keys.projectEnvironments(), ...[...ids].flatMap((id) => [keys.rotation(id), keys.history(id)])];
  for (const queryKey of queryKeys) void client.invalidateQueries({ queryKey });
}

/**
 * Everything about rotations, re-read (the stream attached, or dropped). A read already in flight is not started
 * again (it would be a second full answer: it has no ETag yet), but it may have read before the stream attached: once
 * it is in, everything is read once more (a 304 when nothing changed).
 */
async function rereadAll(client: QueryClient): Promise<void> {
  const all = [keys.rotations(), keys.secrets(), keys.rotation(), keys.history(), keys.projectEnvironments()];
  const busy = all.some((queryKey) => client.isFetching({ queryKey }) > 0);
  const pass = () => Promise.all(all.map((queryKey) => client.invalidateQueries({ queryKey }, { cancelRefetch: false })));
  await pass();
  if (busy) await pass();
}

/** Follows the stream while the session lasts; returns its state (for a small indicator). Mount once, where signed in. */
export function useRotationEvents(): LiveState {
  const client = useQueryClient();
  const expired = useSyncExternalStore(sessionEvents.subscribe, () => sessionEvents.get().expired);
  useEffect(() => {
    if (expired || typeof EventSource === "undefined") return;
    let source: EventSource | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let batch: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const changed = new Set<string>();
    const down = () => {
      if (state === "live") void rereadAll(client); // back to REFRESH_MS, starting with a read now
      setState("reconnecting");
    };
    const onChange = (e: MessageEvent<string>) => {
      try {
        changed.add((JSON.parse(e.data) as { rotationId: string }).rotationId);
      } catch {
        return;
      }
      batch ??= setTimeout(() => {
        batch = undefined;
        invalidate(client, new Set(changed));
        changed.clear();
      }, BATCH_MS);
    };
    const connect = () => {
      const s = (source = new EventSource(STREAM_URL));
      s.addEventListener("ready", () => {
        failures = 0;
        setState("live");
        void rereadAll(client); // anything missed before (or between) attaching; and the slow interval from now on
      });
      s.addEventListener("rotation.changed", onChange);
      s.addEventListener("rotation.deleted", onChange);
      s.onerror = () => {
        down();
        // A dropped connection is retried by the browser (readyState CONNECTING); a refusal (401, 429, 503) closes it.
        if (s.readyState === EventSource.CLOSED) {
          s.close();
          retry = setTimeout(reconnect, RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]);
        }
      };
    };
    // Opening the stream counts as using the session (it cannot send the background header): while nobody uses the
    // page, a refused stream is not asked for again (the 5 s refresh goes on) until someone does.
    const reconnect = () => {
      if (isUserActive()) connect();
      else retry = setTimeout(reconnect, RETRY_MS[0]);
    };
    connect();
    return () => {
      clearTimeout(retry);
      clearTimeout(batch);
      source?.close();
      setState("connecting");
    };
  }, [client, expired]);
  return useSyncExternalStore(subscribe, getState);
}
