import type { MethodName } from '@shared/contract';
import type { Settings } from '@shared/contract/settings';
import type { VaultIdentity, VaultOverview } from '@shared/contract/vault';
import type { ScopedLogger } from '../log/logger';
import type { EventBus } from '../rpc/events';
import type { HandlerGroup } from '../rpc/handlers';
import type { KdfChoice } from './kdf';
import type { SecretBox } from './mining-keys';
import { createVaultService, type VaultService } from './vault.service';
import { passwordStrength } from './warnings';

/**
 * The vault's share of the contract, and its wiring into core: events go out on the bus, the
 * auto-lock minutes follow the settings, and security-relevant actions go to the audit log
 * (names and non-secret facts only).
 */
export type VaultMethod = Extract<MethodName, `vault.${string}`>;

export interface VaultModuleOptions {
  dataDir: string;
  homeDir: string;
  log: ScopedLogger;
  events: EventBus;
  autoLockMinutes: number;
  keepMiningOnLock?: boolean;
  /** Tests and demos: idle milliseconds before the auto-lock instead of the minutes. */
  idleLockMs?: number;
  secretBox?: SecretBox;
  exposedBeyondLoopback: boolean;
  now: () => Date;
  audit?: { append(entry: { at: string; actor: string; action: string; detail?: Record<string, unknown> }): void };
  kdf?: KdfChoice;
  /** Settings changes (the auto-lock minutes follow them). */
  onSettingsChanged: (listener: (settings: Settings) => void) => () => void;
}

export interface VaultModule {
  service: VaultService;
  handlers: HandlerGroup<VaultMethod>;
  close(): void;
}

export function createVaultModule(options: VaultModuleOptions): VaultModule {
  const service = createVaultService({
    dataDir: options.dataDir,
    homeDir: options.homeDir,
    log: options.log,
    clock: { now: options.now },
    autoLockMinutes: options.autoLockMinutes,
    ...(options.keepMiningOnLock !== undefined ? { keepMiningOnLock: options.keepMiningOnLock } : {}),
    ...(options.idleLockMs !== undefined ? { idleLockMs: options.idleLockMs } : {}),
    ...(options.secretBox ? { secretBox: options.secretBox } : {}),
    exposedBeyondLoopback: options.exposedBeyondLoopback,
    ...(options.kdf ? { kdf: options.kdf } : {}),
  });
  const { events } = options;
  const audit = (action: string, detail?: Record<string, unknown>) => {
    try {
      options.audit?.append({ at: options.now().toISOString(), actor: 'user', action, ...(detail ? { detail } : {}) });
    } catch (error) {
      options.log.warn('audit append failed', { action, error: error instanceof Error ? error.message : String(error) });
    }
  };

  const unsubscribeVault = forwardVaultEvents(service, events, audit);
  const unsubscribeSettings = options.onSettingsChanged((settings: Settings) => {
    if (settings.autoLockMinutes !== service.status().autoLockMinutes) service.setAutoLockMinutes(settings.autoLockMinutes);
    service.setKeepMiningOnLock(settings.keepMiningWhenLocked);
  });

  const identities = (): VaultIdentity[] => {
    try {
      return service.identities();
    } catch {
      return [];
    }
  };
  const overview = (): VaultOverview => ({ status: service.status(), identities: identities(), warnings: service.warnings() });
  const changed = () => events.emit('vault.identitiesChanged', { identities: identities() });

  const handlers = vaultHandlers(service, { audit, overview, changed, now: options.now });

  return {
    service,
    handlers,
    close() {
      unsubscribeSettings();
      unsubscribeVault();
      service.close();
    },
  };
}

/** The vault's own events, pushed to every UI (and a lock written to the audit log). */
function forwardVaultEvents(service: VaultService, events: EventBus, audit: (action: string, detail?: Record<string, unknown>) => void): () => void {
  return service.on((event) => {
  switch (event.type) {
    case 'locked':
      events.emit('vault.locked', { reason: event.reason, mining: event.mining });
      if (event.reason !== 'closed') audit('vault.locked', { reason: event.reason, mining: event.mining });
      break;
    case 'unlocked':
      events.emit('vault.unlocked', {});
      break;
    case 'hotkeyRotated':
      events.emit('vault.hotkeyRotated', { role: event.role, retired: event.retired, current: event.current });
      break;
    case 'identitiesChanged':
      events.emit('vault.identitiesChanged', { identities: event.identities });
      break;
    case 'warningsChanged':
      events.emit('vault.warningsChanged', { warnings: event.warnings });
      break;
    default: {
      const never: never = event;
      throw new Error(`unhandled vault event ${String(never)}`);
    }
  }
  });
}

/**
 * The `vault.*` handler group. Long because it is a table: one short entry per contract method
 * (call the service, write the audit entry, answer with the overview).
 */
function vaultHandlers(service: VaultService, h: { audit: (action: string, detail?: Record<string, unknown>) => void; overview: () => VaultOverview; changed: () => void; now: () => Date }): HandlerGroup<VaultMethod> {
  const { audit, overview, changed } = h;
  return {
  'vault.status': () => overview(),
  'vault.create': async ({ password, words, checkpointScheme, acceptWeak }) => {
    await service.create({ password, words, checkpointScheme, acceptWeak });
    audit('vault.create', { words, ...(acceptWeak ? { acceptedWeakPassword: true } : {}) });
    changed();
    return overview();
  },
  'vault.import': async ({ password, source, acceptWeak }) => {
    await service.importNew({ password, source, acceptWeak });
    audit('vault.import', { format: source.kind, ...(acceptWeak ? { acceptedWeakPassword: true } : {}) });
    changed();
    return overview();
  },
  'vault.addKey': async ({ source }) => {
    await service.addImport(source);
    audit('vault.addKey', { format: source.kind });
    changed();
    return overview();
  },
  'vault.unlock': async ({ password }) => {
    await service.unlock(password);
    return overview();
  },
  'vault.lock': ({ keepMining }) => {
    service.lock('user', { keepMining });
    return overview();
  },
  'vault.setResumeOnRestart': ({ enabled }) => {
    service.setResumeOnRestart(enabled);
    audit('vault.setResumeOnRestart', { enabled });
    return overview();
  },
  'vault.touch': () => {
    service.touch();
    return { ok: true as const };
  },
  'vault.checkPassword': ({ password }) => passwordStrength(password),
  'vault.changePassword': async ({ oldPassword, newPassword, acceptWeak }) => {
    await service.changePassword({ oldPassword, newPassword, acceptWeak });
    audit('vault.changePassword', acceptWeak ? { acceptedWeakPassword: true } : undefined);
    return overview();
  },
  'vault.rotateHotkey': async ({ role }) => {
    const result = await service.rotate(role);
    audit('vault.rotateHotkey', { role, index: result.current.index });
    return result;
  },
  'vault.revealMnemonic': async ({ password }) => {
    const mnemonic = await service.revealMnemonic(password);
    audit('vault.revealMnemonic');
    return { mnemonic };
  },
  'vault.startBackupQuiz': () => service.startBackupQuiz(),
  'vault.answerBackupQuiz': async ({ answers }) => {
    const result = await service.answerBackupQuiz(answers);
    if (result.confirmed) audit('vault.backupConfirmed');
    return result;
  },
  'vault.exportBackup': async ({ password }) => {
    const content = await service.backupText(password);
    audit('vault.exportBackup');
    return { fileName: `minerva-wallet-backup-${h.now().toISOString().slice(0, 10)}.json`, content };
  },
  'vault.restoreBackup': async ({ password, content }) => {
    await service.restoreBackup({ password, ...(content !== undefined ? { text: content } : {}) });
    audit('vault.restoreBackup', { from: content === undefined ? 'vault.json.bak' : 'file' });
    changed();
    return overview();
  },
  'vault.exportPolkadotJson': async ({ role, password, exportPassword }) => {
    const json = await service.exportPolkadotJson({ role, password, exportPassword });
    audit('vault.exportPolkadotJson', { role });
    return { json };
  },
  'vault.makeWatchOnly': async ({ password }) => {
    await service.makeWatchOnly(password);
    audit('vault.makeWatchOnly');
    changed();
    return overview();
  },
  'vault.rewriteFile': async () => {
    await service.rewriteFile();
    audit('vault.rewriteFile');
    return overview();
  },
  'vault.fixPermissions': () => {
    service.fixPermissions();
    return overview();
  },
  'vault.btcliHotkeyFiles': () => ({ paths: service.btcliPlaintextHotkeys() }),
  };
}
