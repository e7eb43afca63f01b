import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { RpcBridge, RpcEventMessage, RpcReply } from '@shared/contract';

/**
 * The preload exposes exactly `{ invoke, onEvent, pathForFile }` — never ipcRenderer itself.
 * Channel names are repeated here (not imported) because a sandboxed preload may import only
 * electron. `pathForFile` gives the path of a file the person dropped or chose (Electron's
 * documented replacement for `File.path`), so a dropped checkpoint is read where it lies instead
 * of being copied; it reveals nothing the person did not just hand to the window.
 */
const bridge = {
  invoke: (method: string, input: unknown) => ipcRenderer.invoke('app:rpc', method, input) as Promise<RpcReply>,
  onEvent: (listener: (message: RpcEventMessage) => void) => {
    const wrapped = (_event: unknown, message: RpcEventMessage) => listener(message);
    ipcRenderer.on('app:event', wrapped);
    return () => {
      ipcRenderer.removeListener('app:event', wrapped);
    };
  },
  pathForFile: (file: Parameters<typeof webUtils.getPathForFile>[0]) => webUtils.getPathForFile(file),
} satisfies RpcBridge & { pathForFile: unknown };

contextBridge.exposeInMainWorld('minerva', bridge);
