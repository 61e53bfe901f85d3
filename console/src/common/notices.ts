/**
 * Short confirmations ("Rotated my-rotation") shown in one polite live region at the top of the page. A
 * confirmation belongs to the page it was made on: moving to another page drops it (it does not follow you around).
 *
 * A confirmation that carries warnings (the runner's precheck: "the connection role lacks pg_monitor…") is for
 * reading and acting on: it stays until it is dismissed (or the page changes), never timing out under the reader.
 */
import { useEffect, useSyncExternalStore } from "react";

export interface Notice {
  text: string;
  /** Shown under the text; a notice with warnings stays until dismissed. */
  warnings: readonly string[];
}

const NONE: Notice = { text: "", warnings: [] };
let current: Notice = NONE;
/** The page (pathname) the message was made on. */
let at = "";
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function set(next: Notice): void {
  current = next;
  for (const l of listeners) l();
}

export function notify(text: string, warnings: readonly string[] = []): void {
  at = location.pathname;
  clearTimeout(timer);
  if (!warnings.length) timer = setTimeout(() => set(NONE), 8000);
  set({ text, warnings });
}

/** Removes the notice shown (its Dismiss button). */
export function dismissNotice(): void {
  clearTimeout(timer);
  set(NONE);
}

/** The notice for the page at `path` (text "" when there is none, or it was made on another page, which drops it). */
export function useNotice(path: string): Notice {
  const notice = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  const elsewhere = notice.text !== "" && at !== path;
  useEffect(() => {
    if (elsewhere) dismissNotice();
  }, [elsewhere]);
  return elsewhere ? NONE : notice;
}
