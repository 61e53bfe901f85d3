/** When the person last used the page (a key or a pointer): background refreshes after that do not extend the session. */
let last = Date.now();
const ACTIVE_MS = 60_000;

export function trackActivity(): void {
  const seen = () => {
    last = Date.now();
  };
  window.addEventListener("keydown", seen, { capture: true, passive: true });
  window.addEventListener("pointerdown", seen, { capture: true, passive: true });
}

export const isUserActive = (): boolean => Date.now() - last < ACTIVE_MS;
