import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import { Spinner } from './bits.tsx';

export interface ModalProps {
  /** Id of the heading inside, which names the dialog. */
  labelledBy: string;
  /** Id of the text that describes the dialog. @default none */
  describedBy?: string;
  /** Called when the dialog closes by Escape or a close button. */
  onClose: () => void;
  /** Refuse Escape (the secret dialog must be closed on purpose). @default false */
  requireExplicitClose?: boolean;
  /** CSS selector of the element to focus first. @default the first `[data-autofocus]` */
  initialFocus?: string;
  className?: string;
  children: ComponentChildren;
}

/**
 * A modal on the native `<dialog>`: the browser traps focus and makes the page behind inert.
 * Focus moves to `initialFocus` on open and back to the element that opened it on close.
 */
export function Modal(props: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const target = dialog.querySelector<HTMLElement>(props.initialFocus ?? '[data-autofocus]');
    target?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, [props.initialFocus]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const onCancel = (event: Event) => {
      event.preventDefault();
      if (!props.requireExplicitClose) onClose.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => dialog.removeEventListener('cancel', onCancel);
  }, [props.requireExplicitClose]);

  return (
    <dialog
      ref={ref}
      class={`modal ${props.className ?? ''}`}
      aria-labelledby={props.labelledBy}
      aria-describedby={props.describedBy}
    >
      {props.children}
    </dialog>
  );
}

/** A form dialog's footer: Cancel, and the submit button showing a spinner and `label` (its busy wording) while busy. */
export function SubmitFooter({
  onClose,
  busy,
  label,
}: {
  onClose: () => void;
  busy: boolean;
  label: string;
}) {
  return (
    <footer class="modal-footer">
      <button type="button" class="button secondary" onClick={onClose}>
        Cancel
      </button>
      <button type="submit" class="button primary" disabled={busy}>
        {busy && <Spinner />}
        {label}
      </button>
    </footer>
  );
}
