import { useState } from 'react';
import { useStore } from '../../store/store';
import { askBrowserPermission, browserPermission, type BrowserPermission } from './notify-actions';

const WORDS: Record<BrowserPermission, string> = {
  granted: 'This browser shows them as system notifications.',
  default: 'Not asked yet: they appear as messages in this page until you allow them.',
  denied: 'Blocked in this browser: they appear as messages in this page. To allow them, open the site settings (the icon left of the address bar) and set Notifications to Allow.',
  unsupported: 'This browser cannot show system notifications: they appear as messages in this page.',
};

/** Headless only: the browser's permission, asked from this button (a user gesture), and its state. */
export function BrowserNotifications({ describedBy }: { describedBy: string }) {
  const host = useStore((s) => s.app.info?.host);
  const [permission, setPermission] = useState<BrowserPermission>(browserPermission());
  if (host !== 'headless') return null;
  return (
    <div className="field">
      <p id={describedBy} className="help" role="status">
        {WORDS[permission]}
      </p>
      {permission === 'default' ? (
        <button type="button" className="button" onClick={() => void askBrowserPermission().then(setPermission)}>
          Allow browser notifications
        </button>
      ) : null}
    </div>
  );
}
