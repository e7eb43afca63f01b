import { useId, useState, type FormEvent } from 'react';
import type { Settings } from '@shared/contract/settings';
import { useStore } from '../store/store';
import { updateSettings } from '../store/actions';
import { Card } from '../components/Card';
import { NetworksCard } from '../features/networks/NetworksCard';
import { DiagnosticsCard } from '../features/diagnostics/DiagnosticsCard';
import { UpdatesCard } from '../features/updates/UpdatesCard';
import { BittensorCard } from '../features/networks/BittensorCard';
import { ConnitoCard } from '../features/networks/ConnitoCard';
import { PlatformHubCard } from '../features/networks/PlatformHubCard';
import { BrowserNotifications } from '../features/notifications/BrowserNotifications';

const AUTO_LOCK_CHOICES: { value: number; label: string }[] = [
  { value: 5, label: '5 minutes' },
  { value: 15, label: '15 minutes (recommended)' },
  { value: 30, label: '30 minutes' },
  { value: 60, label: '1 hour' },
  { value: 240, label: '4 hours' },
  { value: 0, label: 'Never (not safe)' },
];

export function SettingsPage() {
  const settings = useStore((s) => s.settings);
  const desktop = useStore((s) => s.app.info?.host === 'electron');
  const [saved, setSaved] = useState(false);
  if (!settings) return <p className="muted">Loading…</p>;
  return (
    <div className="page-stack">
      <div className="page-grid">
        <NetworksCard />
      </div>
      <BittensorCard />
      <ConnitoCard />
      <PlatformHubCard />
      {/* Remount the form when settings change (here or in another window), so it starts from the stored values. */}
      <SettingsForm key={JSON.stringify(settings)} settings={settings} desktop={desktop} saved={saved} setSaved={setSaved} />
      <div className="page-grid">
        <UpdatesCard />
        <DiagnosticsCard />
      </div>
    </div>
  );
}

function SettingsForm({ settings, desktop, saved, setSaved }: { settings: Settings; desktop: boolean; saved: boolean; setSaved: (saved: boolean) => void }) {
  const [draft, setDraft] = useState<Settings>(settings);
  const [saving, setSaving] = useState(false);
  const ids = { theme: useId(), autoLock: useId(), logLevel: useId(), dev: useId(), notif: useId(), tray: useId(), login: useId(), desktopNote: useId() };
  const dirty = JSON.stringify(draft) !== JSON.stringify(settings);
  const change = (patch: Partial<Settings>) => {
    setSaved(false);
    setDraft({ ...draft, ...patch });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaving(true);
    setSaved(false);
    const patch: Partial<Settings> = {};
    for (const key of Object.keys(draft) as (keyof Settings)[]) {
      if (draft[key] !== settings[key]) (patch as Record<string, unknown>)[key] = draft[key];
    }
    const ok = await updateSettings(patch);
    setSaved(ok);
    if (!ok) setSaving(false);
  };

  return (
    <form className="page-grid" onSubmit={(e) => void submit(e)} aria-describedby="settings-status">
      <Card title="Appearance">
        <div className="field">
          <label htmlFor={ids.theme}>Theme</label>
          <select id={ids.theme} value={draft.theme} onChange={(e) => change({ theme: e.target.value as Settings['theme'] })}>
            <option value="system">Same as the system</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </div>
      </Card>
      <Card title="Security">
        <div className="field">
          <label htmlFor={ids.autoLock}>Lock the wallet after inactivity</label>
          <select id={ids.autoLock} value={draft.autoLockMinutes} onChange={(e) => change({ autoLockMinutes: Number(e.target.value) })} aria-describedby={`${ids.autoLock}-help`}>
            {AUTO_LOCK_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <p id={`${ids.autoLock}-help`} className={draft.autoLockMinutes === 0 ? 'help help-warn' : 'help'}>
            {draft.autoLockMinutes === 0
              ? 'Your keys stay unlocked until you lock them by hand. Anyone at this computer could use them. A warning will stay on the Wallet & Security page.'
              : 'Locking drops your keys from memory; jobs pause until you unlock.'}
          </p>
        </div>
        <div className="field field-check">
          <input id={ids.dev} type="checkbox" checked={draft.developerMode} onChange={(e) => change({ developerMode: e.target.checked })} aria-describedby={`${ids.dev}-help`} />
          <label htmlFor={ids.dev}>Developer mode</label>
          <p id={`${ids.dev}-help`} className="help">
            Allows model images without a pinned digest. Only for building your own models.
          </p>
        </div>
      </Card>
      <Card title="Notifications and logs">
        <div className="field field-check">
          <input id={ids.notif} type="checkbox" checked={draft.notifications} onChange={(e) => change({ notifications: e.target.checked })} aria-describedby={`${ids.notif}-help`} />
          <label htmlFor={ids.notif}>Show notifications</label>
          <p id={`${ids.notif}-help`} className="help">
            When the wallet locks itself, earning stops, a checkpoint gets its verdict, or an update is ready to install.
          </p>
        </div>
        <BrowserNotifications describedBy={`${ids.notif}-browser`} />
        <div className="field">
          <label htmlFor={ids.logLevel}>Log detail</label>
          <select id={ids.logLevel} value={draft.logLevel} onChange={(e) => change({ logLevel: e.target.value as Settings['logLevel'] })}>
            <option value="debug">Everything (debug)</option>
            <option value="info">Normal</option>
            <option value="warn">Warnings and errors</option>
            <option value="error">Errors only</option>
          </select>
        </div>
      </Card>
      <Card title="Desktop app">
        {desktop ? null : (
          <p id={ids.desktopNote} className="help">
            Desktop app only: <code>minerva serve</code> has no window to close and does not start at login. These apply when you run the Minerva desktop app on this data folder.
          </p>
        )}
        <div className="field field-check">
          <input
            id={ids.tray}
            type="checkbox"
            checked={draft.closeToTray}
            disabled={!desktop}
            onChange={(e) => change({ closeToTray: e.target.checked })}
            aria-describedby={desktop ? `${ids.tray}-help` : `${ids.tray}-help ${ids.desktopNote}`}
          />
          <label htmlFor={ids.tray}>Keep Minerva in the tray when the window is closed</label>
          <p id={`${ids.tray}-help`} className="help">
            {draft.closeToTray
              ? 'Closing the window hides it: mining keeps going in the background, and the tray (menu bar on macOS) icon shows the state and the earnings of the last 24 hours. Quit from the tray icon or the app menu to stop Minerva.'
              : 'Closing the window quits Minerva: mining stops until you start it again.'}
          </p>
        </div>
        <div className="field field-check">
          <input
            id={ids.login}
            type="checkbox"
            checked={draft.startAtLogin}
            disabled={!desktop}
            onChange={(e) => change({ startAtLogin: e.target.checked })}
            aria-describedby={desktop ? `${ids.login}-help` : `${ids.login}-help ${ids.desktopNote}`}
          />
          <label htmlFor={ids.login}>Start Minerva when I log in</label>
          <p id={`${ids.login}-help`} className="help">
            Starts hidden in the tray, without a window. Mining resumes only if the wallet can work without your password (“Resume mining after a restart” in Wallet &amp; Security); otherwise it
            waits for you to unlock. On Linux Minerva writes its own autostart entry (~/.config/autostart/io.minerva.desktop.desktop) and removes it when you turn this off.
          </p>
        </div>
      </Card>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={!dirty || saving}>
          {saving ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" className="button button-quiet" disabled={!dirty || saving} onClick={() => change(settings)}>
          Undo changes
        </button>
        <span id="settings-status" role="status" className="muted">
          {saved && !dirty ? 'Saved.' : dirty ? 'You have unsaved changes.' : ''}
        </span>
      </div>
    </form>
  );
}
