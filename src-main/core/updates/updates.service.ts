import type { KeyObject } from 'node:crypto';
import type { HostKind } from '@shared/contract/app';
import { AppError, isAppError } from '@shared/contract/errors';
import type { UpdateStatus } from '@shared/contract/updates';
import type { ScopedLogger } from '../log/logger';
import { isLoopbackHost } from '../security/loopback';
import { downloadVerified, fetchUpdateInfo, refuseDowngrade, releaseKeyFrom, type UpdateInfo } from './feed';
import { lastUpdateRecord, updatesDir, writePendingUpdate } from './pending';

/**
 * How a host installs a verified update (the desktop app; `minerva serve` has none). Thin and
 * platform-specific (the Electron shell: src-main/electron/update-install.ts, docs/updates.md); everything before it is checked in core.
 */
export interface UpdateInstaller {
  /**
   * Keeps the running version's installer to roll back to; its path, or null when it cannot.
   * Asynchronous: keeping an AppImage may copy ~150 MB, and the main process must stay responsive.
   */
  keepPrevious(): Promise<string | null>;
  /** Installs the verified file and restarts the app. */
  install(file: string, version: string): Promise<void>;
  /**
   * The kind of file it installs (`AppImage`, `exe`): a channel file may list several (the AppImage
   * and the deb share latest-linux.yml), and the one with this extension is downloaded. Absent: the first.
   */
  readonly fileExtension?: string;
}

export interface UpdatesDeps {
  dataDir: string;
  current: string;
  host: HostKind;
  platform: NodeJS.Platform;
  feedUrl: string | null;
  publicKey: string | null;
  /** The release key pinned in this build (release-key.ts); a different `publicKey` raises `keyWarning`. */
  pinnedKey: string | null;
  installer: UpdateInstaller | undefined;
  /** Without an installer: the host's words for why, and what to do (replaces the generic ones). */
  noInstallerWords?: string;
  log: ScopedLogger;
  now: () => Date;
  onChange: (status: UpdateStatus) => void;
  /** A verified update waits for the miner's restart. */
  onReady: (version: string) => void;
}

const KEY_WARNING =
  'This Minerva trusts an update key that is not the Minerva release key (MINERVA_UPDATE_PUBLIC_KEY is set), so it would install updates that key signs. That is for testing and private builds only: unless you set it on purpose, remove MINERVA_UPDATE_PUBLIC_KEY and restart.';

type Phase = { state: 'idle' | 'checking' | 'up-to-date' } | { state: 'downloading'; info: UpdateInfo; progress: number } | { state: 'available'; info: UpdateInfo } | { state: 'ready'; info: UpdateInfo; file: string } | { state: 'error'; error: AppError; info: UpdateInfo | null };

/** The feed must be https, or http on this machine (a local test feed). */
export function feedProblem(feedUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(feedUrl);
  } catch {
    return 'it is not a URL';
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'it must be https (plain http only on this computer)';
}

export class UpdatesService {
  private phase: Phase = { state: 'idle' };
  private checkedAt: string | null = null;
  private running: Promise<UpdateStatus> | null = null;
  private restarting: Promise<{ restarting: true }> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly key: KeyObject | null;
  private readonly configError: AppError | null;
  private readonly keyWarning: string | null;

  constructor(private readonly deps: UpdatesDeps) {
    let key: KeyObject | null = null;
    let configError: AppError | null = null;
    const problem = deps.feedUrl ? feedProblem(deps.feedUrl) : null;
    if (!deps.feedUrl || !deps.publicKey) {
      configError = new AppError('UPDATE_NOT_CONFIGURED', 'This build has no update feed or release key, so it cannot check for updates. Download new versions from the Minerva website.');
    } else if (problem) {
      configError = new AppError('UPDATE_NOT_CONFIGURED', `The update feed ${deps.feedUrl} was not used: ${problem}. Fix MINERVA_UPDATE_FEED_URL.`);
    } else {
      try {
        key = releaseKeyFrom(deps.publicKey);
      } catch (error) {
        configError = error as AppError;
      }
    }
    this.key = key;
    this.configError = configError;
    this.keyWarning = deps.publicKey && deps.publicKey !== deps.pinnedKey ? KEY_WARNING : null;
    if (this.keyWarning) deps.log.warn('updates are checked against a key that is not the release key (MINERVA_UPDATE_PUBLIC_KEY)', { feed: deps.feedUrl });
  }

  status(): UpdateStatus {
    const p = this.phase;
    const info = 'info' in p ? p.info : null;
    const canInstall = this.deps.installer !== undefined;
    return {
      current: this.deps.current,
      host: this.deps.host,
      canInstall,
      configured: this.configError === null,
      keyWarning: this.keyWarning,
      state: p.state,
      available: info && p.state !== 'error' ? { version: info.version, releaseDate: info.releaseDate, notes: info.releaseNotes } : null,
      progress: p.state === 'downloading' ? p.progress : null,
      words: this.words(),
      error: p.state === 'error' ? { code: p.error.code, message: p.error.message } : null,
      checkedAt: this.checkedAt,
      last: lastUpdateRecord(this.deps.dataDir),
    };
  }

  private words(): string {
    const p = this.phase;
    const v = this.deps.current;
    switch (p.state) {
      case 'idle':
        return this.configError ? this.configError.message : `This is Minerva ${v}. It has not looked for updates yet.`;
      case 'checking':
        return 'Looking for updates…';
      case 'up-to-date':
        return `Minerva ${v} is the newest version.`;
      case 'downloading':
        return `Downloading Minerva ${p.info.version} (${Math.round(p.progress * 100)}%). It is checked before anything is installed.`;
      case 'available':
        if (this.deps.installer) return `Minerva ${p.info.version} is available.`;
        if (this.deps.noInstallerWords) return `Minerva ${p.info.version} is available (signature checked). ${this.deps.noInstallerWords}`;
        return this.deps.host === 'electron'
          ? `Minerva ${p.info.version} is available (signature checked). This installation cannot replace itself (only the AppImage and the Windows installer can), so install the new version from the Minerva website or your package manager; your wallet and data stay as they are.`
          : `Minerva ${p.info.version} is available (signature checked). The desktop app updates itself; this is minerva serve, so install the new version with your package or from the Minerva website and start it again.`;
      case 'ready':
        return `Minerva ${p.info.version} is downloaded and verified. It installs when you restart; your wallet and data stay as they are, and the database is copied before it is upgraded.`;
      case 'error':
        return p.error.message;
    }
  }

  private set(phase: Phase): void {
    this.phase = phase;
    this.deps.onChange(this.status());
  }

  /** Checks the feed (one check at a time); the desktop app also downloads and verifies. */
  check(): Promise<UpdateStatus> {
    if (this.configError) return Promise.reject(this.configError);
    if (this.phase.state === 'ready') return Promise.resolve(this.status());
    this.running ??= this.runCheck().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runCheck(): Promise<UpdateStatus> {
    let info: UpdateInfo | null = null;
    this.set({ state: 'checking' });
    try {
      const extension = this.deps.installer?.fileExtension;
      info = await fetchUpdateInfo({ feedUrl: this.deps.feedUrl!, publicKey: this.key!, platform: this.deps.platform, ...(extension ? { fileExtension: extension } : {}) });
      this.checkedAt = this.deps.now().toISOString();
      if (refuseDowngrade(this.deps.current, info.version) === 'same') {
        this.set({ state: 'up-to-date' });
        return this.status();
      }
      if (!this.deps.installer) {
        this.set({ state: 'available', info });
        return this.status();
      }
      const found = info;
      this.set({ state: 'downloading', info: found, progress: 0 });
      let lastShown = 0;
      const file = await downloadVerified(found, updatesDir(this.deps.dataDir), {
        onProgress: (received, total) => {
          const progress = received / total;
          if (progress - lastShown >= 0.05) {
            lastShown = progress;
            this.set({ state: 'downloading', info: found, progress });
          }
        },
      });
      this.deps.log.info('update downloaded and verified', { version: found.version });
      this.set({ state: 'ready', info: found, file });
      this.deps.onReady(found.version);
      return this.status();
    } catch (error) {
      const appError = isAppError(error) ? error : new AppError('INTERNAL', 'The update check failed unexpectedly; nothing was installed. Try again later.', { cause: error });
      this.deps.log.warn('update refused or not reachable', { code: appError.code, error: appError.message });
      this.set({ state: 'error', error: appError, info });
      throw appError;
    }
  }

  /** The miner chose to restart: the marker for a rollback first, then the host installs. */
  async restart(): Promise<{ restarting: true }> {
    const installer = this.deps.installer;
    if (!installer) {
      throw new AppError(
        'UNSUPPORTED',
        this.deps.noInstallerWords ??
          (this.deps.host === 'electron'
            ? 'This installation cannot replace itself (only the AppImage and the Windows installer can). Install the new version from the Minerva website or your package manager.'
            : 'This is minerva serve: it has no installer. Install the new version with your package or from the Minerva website, then start it again.'),
      );
    }
    const p = this.phase;
    if (p.state !== 'ready') throw new AppError('CONFLICT', 'No verified update is waiting. Check for updates first.');
    // A second press while the first is still keeping the previous version joins it (one install).
    this.restarting ??= this.install(installer, p).finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  private async install(installer: UpdateInstaller, p: Extract<Phase, { state: 'ready' }>): Promise<{ restarting: true }> {
    const previous = await installer.keepPrevious();
    writePendingUpdate(this.deps.dataDir, { from: this.deps.current, to: p.info.version, previous }, this.deps.now());
    this.deps.log.info('installing the verified update on restart', { from: this.deps.current, to: p.info.version });
    await installer.install(p.file, p.info.version);
    return { restarting: true };
  }

  /** Background checks: the first after `firstMs`, then every `everyMs` (0: none). Failures wait for the next. */
  start(everyMs: number, firstMs = 60_000): void {
    if (everyMs <= 0 || this.configError) return;
    const run = (delay: number): void => {
      this.timer = setTimeout(() => {
        void this.check()
          .catch(() => undefined)
          .finally(() => run(everyMs));
      }, delay);
      this.timer.unref?.();
    };
    run(Math.min(firstMs, everyMs));
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
