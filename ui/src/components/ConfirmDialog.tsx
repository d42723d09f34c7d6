import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorText } from "../hooks";
import { Dialog } from "./Dialog";
import { ErrorBox } from "./Messages";

/** Asks before a destructive action; shows the server's refusal (its rules) instead of closing. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel = "Delete",
  onConfirm,
  onClose,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel?: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
    } catch (failure) {
      setError(errorText(failure));
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose}>
      <div class="confirm-text">{children}</div>
      {error ? <ErrorBox title="Not deleted." message={error} /> : null}
      <div class="form-actions">
        <button type="button" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" class="danger" disabled={busy} onClick={confirm}>
          {busy ? "Working…" : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
