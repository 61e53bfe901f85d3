import { type ReactNode, useEffect, useId, useRef } from "react";

/**
 * A modal dialog on the native <dialog> element: role=dialog named by its title, focus kept inside, Escape
 * closes, and focus goes back to what opened it. Focus starts on the element marked data-autofocus, if any.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean; description?: ReactNode; closable?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const { onClose } = props;
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const el = ref.current;
    if (el && !el.open) {
      el.showModal();
      // The first thing to read or type in, when a child marks one (the wizard's step heading).
      el.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    }
    return () => {
      if (el?.open) el.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className={props.wide ? "dialog dialog-wide" : "dialog"}
      aria-labelledby={titleId}
      aria-describedby={props.description ? descId : undefined}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{props.title}</h2>
        {props.closable !== false && (
          <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        )}
      </div>
      {props.description && (
        <div id={descId} className="dialog-description">
          {props.description}
        </div>
      )}
      {props.children}
    </dialog>
  );
}
