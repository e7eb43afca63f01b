import type { MethodInput, MethodName, MethodOutput } from '@shared/contract';
import type { VaultOverview } from '@shared/contract/vault';
import { rpc, RpcError } from '../../rpc';
import { errorText } from '../../store/actions';
import { useStore } from '../../store/store';
import { useVaultStore } from './vault-store';

/** Plain functions that call `vault.*` and keep the wallet view current. */

export async function refreshVault(): Promise<void> {
  try {
    useVaultStore.getState().setOverview(await rpc().invoke('vault.status', {}));
  } catch (error) {
    useVaultStore.getState().setLoadError(errorText(error));
  }
}

let started = false;
let lastTouch = 0;

/** Subscribes to vault events and reports user activity (for auto-lock). Safe to call twice. */
export function startVault(): void {
  if (started) return;
  started = true;
  const client = rpc();
  for (const event of ['vault.locked', 'vault.unlocked', 'vault.identitiesChanged', 'vault.warningsChanged', 'vault.hotkeyRotated', 'settings.changed'] as const) {
    client.on(event, () => void refreshVault());
  }
  client.on('vault.locked', ({ reason, mining }) => {
    // With "Show notifications" on, the lock arrives as a notification (or its in-app message) instead.
    if (reason !== 'idle' || useStore.getState().settings?.notifications) return;
    useStore
      .getState()
      .pushToast(
        'info',
        mining
          ? 'The wallet locked itself after a while without activity. Mining goes on with the work keys; your coldkey and recovery phrase need the password.'
          : 'The wallet locked itself after a while without activity, and mining stopped. Unlock it to continue.',
        undefined,
        'wallet',
      );
  });
  // A wallet just made, imported or unlocked: messages saying it is missing or locked are wrong now.
  useVaultStore.subscribe((now, before) => {
    if (now.overview?.status.state === 'unlocked' && before.overview?.status.state !== 'unlocked') useStore.getState().dropToasts('wallet');
  });
  const touch = () => {
    const now = Date.now();
    if (now - lastTouch < 30_000 || useVaultStore.getState().overview?.status.state !== 'unlocked') return;
    lastTouch = now;
    void client.invoke('vault.touch', {}).catch(() => undefined);
  };
  window.addEventListener('pointerdown', touch, { passive: true });
  window.addEventListener('keydown', touch, { passive: true });
  void refreshVault();
}

export interface CallResult<T> {
  ok: boolean;
  value?: T;
  error?: string;
  code?: string;
}

/** Calls a vault method; returns the error message in words instead of throwing. */
export async function vaultCall<K extends MethodName>(method: K, input: MethodInput<K>): Promise<CallResult<MethodOutput<K>>> {
  try {
    const value = await rpc().invoke(method, input);
    if (value && typeof value === 'object' && 'status' in value && 'warnings' in value) useVaultStore.getState().setOverview(value as unknown as VaultOverview);
    else void refreshVault();
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: errorText(error), ...(error instanceof RpcError ? { code: error.code } : {}) };
  }
}

const CLEAR_AFTER_MS = 30_000;

/** Copies text and clears the clipboard after 30 s if it still holds what we put there. */
export async function copyAndClear(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    return false;
  }
  setTimeout(() => {
    void (async () => {
      try {
        if ((await navigator.clipboard.readText()) !== text) return;
      } catch {
        // cannot read it back (permission): clear anyway, the copied value was ours a moment ago
      }
      await navigator.clipboard.writeText('').catch(() => undefined);
    })();
  }, CLEAR_AFTER_MS);
  return true;
}

/** Offers a text file for download (the encrypted backup). */
export function download(fileName: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Locking lives in LockChoice.tsx (it asks whether mining goes on). */
