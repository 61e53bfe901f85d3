/** Short confirmations ("Rotated my-rotation") shown in one live region at the top of the page. */
import { useSyncExternalStore } from "react";

let message = "";
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

export function notify(text: string): void {
  message = text;
  clearTimeout(timer);
  timer = setTimeout(() => {
    message = "";
    for (const l of listeners) l();
  }, 8000);
  for (const l of listeners) l();
}

export function useNotice(): string {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => message,
  );
}
