import type { ReactElement } from 'react';
import { DashboardPage } from '../pages/DashboardPage';
import { CompetitionsPage } from '../pages/CompetitionsPage';
import { JobsPage } from '../pages/JobsPage';
import { CheckpointsPage } from '../pages/CheckpointsPage';
import { RunnerPage } from '../pages/RunnerPage';
import { RewardsPage } from '../pages/RewardsPage';
import { WalletPage } from '../pages/WalletPage';
import { SettingsPage } from '../pages/SettingsPage';
import { LogsPage } from '../pages/LogsPage';
import { RuntimePage } from '../features/runtime/RuntimePage';

/**
 * The pages of the app, in navigation order. A feature adds its page with one entry here.
 * Routes are hash based (`#/jobs`) so that app:// and the headless host serve one index.html.
 */
export interface RouteDef {
  id: string;
  label: string;
  /** One glyph shown in the sidebar (decorative, hidden from screen readers). */
  glyph: string;
  render: () => ReactElement;
}

export const ROUTES: readonly RouteDef[] = [
  { id: 'dashboard', label: 'Dashboard', glyph: '◧', render: () => <DashboardPage /> },
  { id: 'competitions', label: 'Competitions', glyph: '⚑', render: () => <CompetitionsPage /> },
  { id: 'jobs', label: 'Jobs', glyph: '≣', render: () => <JobsPage /> },
  { id: 'runner', label: 'Model runner', glyph: '⇄', render: () => <RunnerPage /> },
  { id: 'checkpoints', label: 'Checkpoints', glyph: '⛁', render: () => <CheckpointsPage /> },
  { id: 'rewards', label: 'Rewards', glyph: '◈', render: () => <RewardsPage /> },
  { id: 'wallet', label: 'Wallet & Security', glyph: '⚷', render: () => <WalletPage /> },
  { id: 'runtime', label: 'Runtime', glyph: '▣', render: () => <RuntimePage /> },
  { id: 'settings', label: 'Settings', glyph: '⚙', render: () => <SettingsPage /> },
  { id: 'logs', label: 'Logs', glyph: '☰', render: () => <LogsPage /> },
];

export const DEFAULT_ROUTE = 'dashboard';

export function routeFromHash(hash: string): RouteDef {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return ROUTES.find((r) => r.id === id) ?? (ROUTES.find((r) => r.id === DEFAULT_ROUTE) as RouteDef);
}

/**
 * Hash routes have no anchors, so a link to one part of a page says `?show=<name>`
 * (`#/settings?show=bittensor`): the app scrolls to the element marked `data-show="<name>"` (a
 * card's heading, see Card's `showId`) and moves the focus there instead of to the page's heading.
 */
export function showTarget(hash: string): string | null {
  const query = hash.split('?')[1];
  if (!query) return null;
  const name = new URLSearchParams(query).get('show');
  return name && /^[a-z0-9-]{1,40}$/.test(name) ? name : null;
}
