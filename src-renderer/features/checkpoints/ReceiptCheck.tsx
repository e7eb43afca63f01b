import { useState } from 'react';
import type { ReceiptVerification } from '@shared/contract/checkpoints';
import { rpc } from '../../rpc';
import { Card } from '../../components/Card';
import { DropZone } from './DropZone';

const MAX_RECEIPT_BYTES = 1024 * 1024;

/**
 * "Check a receipt": drop (or choose) an exported receipt; core looks every fact it claims up on
 * the chain of the network it names (`checkpoints.verifyReceipt`) and the answer is shown as
 * verified / not verified with each check in words. The file is read here, never uploaded.
 */
export function ReceiptCheckCard() {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ fileName: string; verification: ReceiptVerification } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const check = async (file: File) => {
    setBusy(true);
    setResult(null);
    setError(null);
    try {
      if (file.size > MAX_RECEIPT_BYTES) throw new Error(`${file.name} is ${file.size.toLocaleString('en')} bytes; a receipt is a small JSON file (at most 1 MiB). Choose the receipt you exported.`);
      const verification = await rpc().invoke('checkpoints.verifyReceipt', { content: await file.text() });
      setResult({ fileName: file.name, verification });
    } catch (e) {
      setError(`${file.name}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Check a receipt">
      <p className="help">A receipt proves a submission: the hash committed on the chain, the signed message and its timing. Minerva looks each fact up on the chain again.</p>
      <DropZone onFile={(file) => void check(file)} disabled={busy} prompt="Drop a receipt file here" button="Choose a receipt…" inputLabel="Choose the receipt to check" accept=".json,application/json" />
      <div aria-live="polite" className="receipt-result">
        {busy ? <p className="muted">Checking against the chain…</p> : null}
        {error ? (
          <p className="help help-bad" role="alert">
            {error}
          </p>
        ) : null}
        {result ? (
          <section aria-label={`Receipt check of ${result.fileName}`}>
            <p className={result.verification.valid ? 'membership-ok' : 'help help-bad'}>
              <strong>{result.verification.valid ? 'Verified' : 'Not verified'}</strong> — {result.verification.summary}
            </p>
            <ul className="check-list" aria-label="Receipt checks">
              {result.verification.checks.map((c) => (
                <li key={c.name}>
                  <span className={`dot ${c.ok ? 'dot-ok' : 'dot-bad'}`} aria-hidden="true" />
                  <span>
                    <strong>{c.label}</strong>
                    <span className="visually-hidden">{c.ok ? ': passed' : ': failed'}</span> — {c.detail}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
      </div>
    </Card>
  );
}
