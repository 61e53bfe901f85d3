/**
 * Short confirmations ("Rotated my-rotation") shown in one live region at the top of the page. A confirmation
 * belongs to the page it was made on: moving to another page drops it (it does not follow you around).
 */
import { useEffect, useSyncExternalStore } from "react";

let message = "";
/** The page (pathname) the message was made on. */
let at = "";
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

function set(text: string): void {
  message = text;
  for (const l of listeners) l();
}

export function notify(text: string): void {
  at = location.pathname;
  clearTimeout(timer);
  timer = setTimeout(() => set(""), 8000);
  set(text);
}

/** The message for the page at `path` ("" when there is none, or it was made on another page, which drops it). */
export function useNotice(path: string): string {
  const text = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => message,
  );
  const elsewhere = text !== "" && at !== path;
  useEffect(() => {
    if (elsewhere) {
      clearTimeout(timer);
      set("");
    }
  }, [elsewhere]);
  return elsewhere ? "" : text;
}
