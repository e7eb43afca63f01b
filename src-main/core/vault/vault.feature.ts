import { numberField, type ConfigSchema } from '../kernel/config';
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

declare module '../kernel/domain-events' {
  interface DomainEventMap {
    /** The wallet locked, and why (the user, the idle timer, sleep, the screen lock, the app closing). */
    'vault.locked': { reason: LockReason; mining: boolean };
  }
}

/** Hosts and tests only (never a feature): the service behind a core's vault API. */
const services = new WeakMap<VaultApi, VaultService>();
export function vaultServiceOf(api: VaultApi): VaultService {
  const service = services.get(api);
  if (!service) throw new Error('not a vault API of this core');
  return service;
}

export const vaultConfig = {
  autoLockSeconds: numberField({
    default: 0,
    min: 0,
    max: 86_400,
    int: true,
    env: 'MINERVA_AUTO_LOCK_SECONDS',
    doc: 'Tests and demos: idle seconds before the wallet locks itself, instead of the auto-lock minutes of the settings (0: follow the settings).',
  }),
} satisfies ConfigSchema;

export const vaultFeature = defineFeature({
  name: 'vault',
  config: vaultConfig,
  create(ctx) {
    const module = createVaultModule({
      dataDir: ctx.dataDir,
      homeDir: ctx.host.homeDir,
      log: ctx.log,
      events: ctx.ui,
      autoLockMinutes: ctx.settings().autoLockMinutes,
      keepMiningOnLock: ctx.settings().keepMiningWhenLocked,
      ...(ctx.config.autoLockSeconds > 0 ? { idleLockMs: ctx.config.autoLockSeconds * 1000 } : {}),
      ...(ctx.host.secretBox ? { secretBox: ctx.host.secretBox } : {}),
      exposedBeyondLoopback: ctx.host.info.exposedBeyondLoopback,
      now: ctx.now,
      audit: ctx.audit,
      onSettingsChanged: (listener) => ctx.domain.on('settings.changed', listener),
    });
    const offLocked = module.service.on((event) => {
      if (event.type === 'locked') ctx.domain.emit('vault.locked', { reason: event.reason, mining: event.mining });
    });
    const capabilities = createCapabilities(module.service);
    const api: VaultApi = { ...capabilities, lock: (reason) => module.service.lock(reason) };
    services.set(api, module.service);
    // "Resume mining after a restart" (the user's opt-in): the work keys come back without the password
    if (ctx.host.background) module.service.resumeMining();
    return {
      api,
      handlers: module.handlers,
      close() {
        offLocked();
        capabilities.dispose();
        module.close();
      },
    };
  },
});
