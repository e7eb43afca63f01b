import { defineFeature } from '../kernel/feature';
import { createCapabilities, type VaultCapabilities } from './capabilities';
import type { LockReason, VaultService } from './vault.service';
import { createVaultModule } from './vault.handlers';

/**
 * The wallet. The only feature that holds the VaultService (reveal, export, password change);
 * every other feature gets `VaultApi`: the unlock gate and one narrow signer per role.
 */
export interface VaultApi extends VaultCapabilities {
  /** Hosts lock the wallet on suspend and screen lock. */
  lock(reason: LockReason): void;
}

declare module '../kernel/feature' {
  interface FeatureApis {
    vault: VaultApi;
  }
}

/** Hosts and tests only (never a feature): the service behind a core's vault API. */
const services = new WeakMap<VaultApi, VaultService>();
export function vaultServiceOf(api: VaultApi): VaultService {
  const service = services.get(api);
  if (!service) throw new Error('not a vault API of this core');
  return service;
}

export const vaultFeature = defineFeature({
  name: 'vault',
  create(ctx) {
    const module = createVaultModule({
      dataDir: ctx.dataDir,
      homeDir: ctx.host.homeDir,
      log: ctx.log,
      events: ctx.ui,
      autoLockMinutes: ctx.settings().autoLockMinutes,
      exposedBeyondLoopback: ctx.host.info.exposedBeyondLoopback,
      now: ctx.now,
      audit: ctx.audit,
      onSettingsChanged: (listener) => ctx.domain.on('settings.changed', listener),
    });
    const capabilities = createCapabilities(module.service);
    const api: VaultApi = { ...capabilities, lock: (reason) => module.service.lock(reason) };
    services.set(api, module.service);
    return {
      api,
      handlers: module.handlers,
      close() {
        capabilities.dispose();
        module.close();
      },
    };
  },
});
