import { type RefObject, useEffect, useRef, useState } from "react";

/**
 * After a failed validation, focus goes to the first field marked aria-invalid inside `ref` (a form, a group,
 * a wizard), so a keyboard or screen-reader user lands on what to fix instead of staying on the button. Call
 * the returned function when setting the errors: the focus moves once they are on the screen.
 */
export function useFocusFirstError<T extends HTMLElement>(): [RefObject<T | null>, () => void] {
  const ref = useRef<T>(null);
  const [failures, setFailures] = useState(0);
  useEffect(() => {
    if (failures) ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [failures]);
  return [ref, () => setFailures((n) => n + 1)];
}
