import { useState } from 'react';
import type { DiagnosticsBundle } from '@shared/contract/diagnostics';
import { Card } from '../../components/Card';
import { rpc } from '../../rpc';
import { errorText } from '../../store/actions';

/** Offers the zip for download (a Blob: the bytes never leave this window except to the user's file). */
function saveZip(bundle: DiagnosticsBundle): void {
  const bytes = Uint8Array.from(atob(bundle.zipBase64), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = bundle.fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "Help and diagnostics": one click writes the support zip (diagnostics.export). */
export function DiagnosticsCard() {
  const [state, setState] = useState<{ busy: boolean; message: string; error: boolean }>({ busy: false, message: '', error: false });
  const save = async () => {
    setState({ busy: true, message: 'Collecting…', error: false });
    try {
      const bundle = await rpc().invoke('diagnostics.export', {});
      saveZip(bundle);
      setState({ busy: false, message: `Saved ${bundle.fileName} (${Math.ceil(bundle.bytes / 1024)} KiB). Look through it before you send it.`, error: false });
    } catch (error) {
      setState({ busy: false, message: errorText(error), error: true });
    }
  };
  return (
    <Card title="Help and diagnostics">
      <p className="help">
        A zip to attach to a support request: recent log lines, versions, settings, the Docker engine, recent jobs and health checks. Recovery phrases, keys, passwords, tokens, prompts and
        outputs are removed on this computer first; your wallet and database are not included.
      </p>
      <div className="form-actions">
        <button type="button" className="button" disabled={state.busy} onClick={() => void save()}>
          {state.busy ? 'Collecting…' : 'Save diagnostics file'}
        </button>
      </div>
      <p role="status" className={state.error ? 'help help-warn' : 'help'}>
        {state.busy ? '' : state.message}
      </p>
    </Card>
  );
}
