import { ipcMain, type BrowserWindow } from 'electron';
import type { Core } from '@core/create-core';
import { IPC_EVENT_CHANNEL, IPC_RPC_CHANNEL, isTrustedSender } from './security';

/**
 * The IPC bridge: one request channel, one event channel. Replies are envelopes ({ok,result} |
 * {ok:false,error}) because Electron passes only `error.message` through `ipcMain.handle`.
 */
export function bridgeIpc(core: Core, window: BrowserWindow): () => void {
  const log = core.log.scope('ipc');
  ipcMain.handle(IPC_RPC_CHANNEL, async (event, method: unknown, input: unknown) => {
    const frame = event.senderFrame;
    if (!isTrustedSender(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null)) {
      log.warn('refused IPC from an untrusted frame');
      return { ok: false, error: { code: 'FORBIDDEN', message: 'Request refused.' } };
    }
    return core.router.call(method, input, { transport: 'electron', clientId: `window-${window.id}` });
  });
  const unsubscribe = core.events.onAny((message) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, message);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_RPC_CHANNEL);
  };
}
