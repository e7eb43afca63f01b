import { z } from 'zod';
import { event, method } from './define';

/**
 * Network profiles: the built-in practice network (default) and networks the user adds by their
 * endpoints. Switching is explicit and shown in the title bar.
 */
export interface NetworkProfile {
  id: string;
  name: string;
  kind: 'practice' | 'custom';
  chainUrl: string | null;
  hubUrl: string | null;
  builtin: boolean;
}

export type PracticeState = 'stopped' | 'starting' | 'running' | 'attached' | 'failed' | 'unavailable';

export interface PracticeStatus {
  state: PracticeState;
  /** What is happening, in a miner's words. */
  detail: string;
  endpoints: Record<string, string> | null;
}

export interface NetworksView {
  profiles: NetworkProfile[];
  selectedId: string;
  practice: PracticeStatus;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** http only on this machine; anything else must be https (signed requests carry no secrets, but answers must be authentic). */
export const endpointUrlSchema = z
  .string()
  .trim()
  .max(512)
  .refine((value) => {
    try {
      const url = new URL(value);
      if (url.username || url.password || url.search || url.hash) return false;
      if (url.protocol === 'https:') return true;
      return url.protocol === 'http:' && LOOPBACK.test(url.hostname);
    } catch {
      return false;
    }
  }, 'use an https:// address (http:// is accepted only for 127.0.0.1 or localhost), without user, query or fragment');

export const networksMethods = {
  'networks.list': method<NetworksView>()({ input: z.object({}).strict(), summary: 'Network profiles, the selected one, and the practice network state.' }),
  'networks.add': method<NetworksView>()({
    input: z.object({ name: z.string().trim().min(1).max(64).refine((n) => !/[\p{Cc}\p{Cf}]/u.test(n), 'no control or direction-changing characters'), chainUrl: endpointUrlSchema, hubUrl: endpointUrlSchema }).strict(),
    summary: 'Add a network by its chain and hub endpoints (it is not selected).',
  }),
  'networks.remove': method<NetworksView>()({ input: z.object({ id: z.string().min(1).max(64) }).strict(), summary: 'Remove a network you added.' }),
  'networks.select': method<NetworksView>()({ input: z.object({ id: z.string().min(1).max(64) }).strict(), summary: 'Switch to a network (explicit; recorded in the audit log).' }),
};

export const networksEvents = {
  'networks.changed': event<NetworksView>('Profiles, the selection or the practice network state changed.'),
};
