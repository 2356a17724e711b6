'use client';
import { useEffect, useRef, useState } from 'react';
import styles from './workbench.module.css';

/** "Reset cluster" asks first: it throws away every node, file edit and shell. */
export function ResetDialog({ open, onClose, onConfirm }: { open: boolean; onClose: () => void; onConfirm: () => Promise<void> }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      setError(null);
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'The reset failed.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} className={styles.dialog} onClose={onClose} aria-labelledby="reset-title" aria-describedby="reset-desc">
      <h2 id="reset-title">Reset your cluster?</h2>
      <p id="reset-desc">
        All nodes are replaced by fresh ones: your swarm, services, containers, open shells and edited files are gone. Lesson files are put back as
        they were.
      </p>
      {error && (
        <p className={styles.dialogError} role="alert">
          {error}
        </p>
      )}
      <div className={styles.dialogActions}>
        <button type="button" className="btn" onClick={onClose} autoFocus>
          Cancel
        </button>
        <button type="button" className="btn btn-danger" onClick={confirm} disabled={busy}>
          {busy ? 'Resetting…' : 'Reset cluster'}
        </button>
      </div>
    </dialog>
  );
}
