import { useCallback, useId, useRef, useState, type ReactElement } from 'react';
import type { PublishPreview } from '@shared/contract/checkpoints';

/**
 * Asked before the first checkpoint is published to a network (issue 19): a published file can be
 * downloaded by anyone, so the miner sees exactly what goes public (name, size, SHA-256) and says
 * yes. A native modal <dialog>: focus moves into it, Escape cancels, the page behind is inert.
 * `ask(preview)` resolves true on "Publish", false on "Cancel", Escape or any other close.
 */
export function usePublishConfirm(): { dialog: ReactElement; ask: (preview: PublishPreview) => Promise<boolean> } {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [preview, setPreview] = useState<PublishPreview | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const answer = useRef<((yes: boolean) => void) | null>(null);

  const ask = useCallback((next: PublishPreview) => {
    setPreview(next);
    return new Promise<boolean>((resolve) => {
      answer.current = resolve;
      // After React rendered the file's facts into the dialog. Focus goes to Cancel, the choice
      // that publishes nothing (React's autoFocus runs at mount, while the dialog is still closed).
      requestAnimationFrame(() => {
        ref.current?.showModal();
        cancel.current?.focus();
      });
    });
  }, []);

  const settle = (yes: boolean): void => {
    const resolve = answer.current;
    answer.current = null;
    if (ref.current?.open) ref.current.close();
    resolve?.(yes);
  };

  const where = preview ? (preview.networkId === 'practice' ? 'the practice network' : `the network ${preview.networkId}`) : '';
  const dialog = (
    <dialog ref={ref} className="confirm-dialog" aria-labelledby={titleId} onClose={() => settle(false)}>
      <h3 id={titleId}>Publish this checkpoint?</h3>
      <p>
        This is your first checkpoint on {where}. Once published, <strong>anyone can download it</strong>. Check that it is the file your training wrote:
      </p>
      {preview ? (
        <dl className="facts" aria-label="What will be published">
          <dt>File</dt>
          <dd className="mono">{preview.file.name}</dd>
          <dt>Size</dt>
          <dd>{formatSize(preview.file.size)}</dd>
          <dt>SHA-256</dt>
          <dd className="mono hash">{preview.file.sha256}</dd>
        </dl>
      ) : null}
      <p className="help">Minerva asks once per network; later checkpoints on {where} are published without asking.</p>
      <div className="form-row">
        <button type="button" className="button button-primary" onClick={() => settle(true)}>
          Publish
        </button>
        <button type="button" className="button button-quiet" onClick={() => settle(false)} ref={cancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
  return { dialog, ask };
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]} (${bytes.toLocaleString('en')} bytes)`;
}
