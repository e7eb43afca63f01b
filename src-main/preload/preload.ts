import { contextBridge, ipcRenderer } from 'electron';
import type { RpcBridge, RpcEventMessage, RpcReply } from '@shared/contract';

/**
 * The preload exposes exactly `{ invoke, onEvent }` — never ipcRenderer itself. Channel names are
 * repeated here (not imported) because a sandboxed preload may import only electron.
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
} satisfies RpcBridge;

contextBridge.exposeInMainWorld('minerva', bridge);
