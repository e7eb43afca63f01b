import { z } from 'zod';
import { method } from './define';

export type HostKind = 'electron' | 'headless';

export interface AppInfo {
  name: string;
  version: string;
  host: HostKind;
  platform: string;
  runtime: { node: string; electron: string | null };
  dataDir: string;
  /** The host listens beyond loopback (headless `--allow-remote`): a standing key-safety warning. */
  exposedBeyondLoopback: boolean;
}

export interface HealthCheck {
  id: string;
  ok: boolean;
  detail: string;
}

export interface AppHealth {
  status: 'ok' | 'degraded';
  checks: HealthCheck[];
  uptimeMs: number;
}

/** A one-time sign-in address for a browser (`minerva open`, `minerva serve --print-url`). */
export interface LoginLink {
  url: string;
  /** Epoch ms after which the address no longer works (it works once before that). */
  expiresAt: number;
}

export const appMethods = {
  'app.info': method<AppInfo>()({ input: z.object({}).strict(), summary: 'Version, host kind and data directory.' }),
  'app.health': method<AppHealth>()({ input: z.object({}).strict(), summary: 'Health checks of the core services.' }),
  'app.loginLink': method<LoginLink>()({
    input: z.object({}).strict(),
    summary: 'A fresh one-time sign-in address of `minerva serve`, for the CLI on the control endpoint only.',
    sensitive: true,
  }),
};
