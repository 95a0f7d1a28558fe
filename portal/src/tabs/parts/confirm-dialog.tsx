// A modal dialog on the browser's own <dialog> element: showModal() traps the focus inside it, Escape
// closes it and the focus goes back to what opened it, so the tabs get keyboard behaviour without code of
// their own. Used for the confirmations (cancel an order, remove a card) and the refund request form.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface DialogProps {
  /** The id its title gets, so the dialog is named by it (aria-labelledby). */
  titleId: string;
  title: string;
  open: boolean;
  /** Called when the customer closes it without choosing (Escape, or a close button). */
  onClose(): void;
  children: ComponentChildren;
}

/** A modal dialog shown while `open`, named by its title. */
export function Dialog({ titleId, title, open, onClose, children }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      class="card tab-dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        // Escape: closed by the state, so the state and the element agree.
        event.preventDefault();
        onClose();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {open ? children : null}
    </dialog>
  );
}

export interface ConfirmDialogProps {
  titleId: string;
  title: string;
  /** The sentence saying what will happen. */
  question: string;
  confirmLabel: string;
  keepLabel: string;
  open: boolean;
  busy: boolean;
  /** Shown under the question when the action was refused. */
  problem: string | null;
  onConfirm(): void;
  onClose(): void;
}

/** Asks before an action that cannot be undone; the safe choice has the focus. */
export function ConfirmDialog(props: ConfirmDialogProps) {
  return (
    <Dialog titleId={props.titleId} title={props.title} open={props.open} onClose={props.onClose}>
      <p>{props.question}</p>
      {props.problem === null ? null : (
        <p class="error" role="alert">
          {props.problem}
        </p>
      )}
      <div class="tab-actions">
        <button type="button" class="button button-secondary" autofocus onClick={props.onClose} disabled={props.busy}>
          {props.keepLabel}
        </button>
        <button type="button" class="button" onClick={props.onConfirm} disabled={props.busy}>
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
