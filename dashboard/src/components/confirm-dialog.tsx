import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Spinner } from './bits.tsx';
import { Modal } from './modal.tsx';

export interface ConfirmDialogProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  busyLabel: string;
  /** Runs the action; an error is shown in the dialog, which stays open. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/** A destructive action asked twice. Focus starts on Cancel, so Enter alone never destroys anything. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'That did not work. Try again.');
      setBusy(false);
    }
  };
  return (
    <Modal
      labelledBy="confirm-title"
      describedBy="confirm-body"
      onClose={props.onClose}
      className="modal-confirm"
    >
      <header class="modal-header">
        <h2 id="confirm-title">{props.title}</h2>
      </header>
      <div class="modal-body" id="confirm-body">
        {props.children}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <footer class="modal-footer">
        <button type="button" class="button secondary" data-autofocus onClick={props.onClose}>
          Cancel
        </button>
        <button type="button" class="button danger" disabled={busy} onClick={confirm}>
          {busy && <Spinner />}
          {busy ? props.busyLabel : props.confirmLabel}
        </button>
      </footer>
    </Modal>
  );
}
