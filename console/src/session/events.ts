/**
 * Two facts any request can learn, shared with the components that show them: the session ended (a 401), and
 * whether the runner answers at all. A tiny store read with useSyncExternalStore.
 */
export interface SessionSignals {
  expired: boolean;
  reachable: boolean;
}

let state: SessionSignals = { expired: false, reachable: true };
const listeners = new Set<() => void>();

function set(next: Partial<SessionSignals>): void {
  const merged = { ...state, ...next };
  if (merged.expired === state.expired && merged.reachable === state.reachable) return;
  state = merged;
  for (const l of listeners) l();
}

export const sessionEvents = {
  subscribe: (l: () => void): (() => void) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  get: (): SessionSignals => state,
  expired: (): void => set({ expired: true }),
  renewed: (): void => set({ expired: false }),
  reachable: (reachable: boolean): void => set({ reachable }),
};
