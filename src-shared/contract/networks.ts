import { z } from 'zod';
import { event, method } from './define';

/**
 * Network profiles: the built-in practice network (default) and networks the user adds by their
 * endpoints. Switching is explicit and shown in the title bar.
 */
export interface NetworkProfile {
  id: string;
  name: string;
  /** practice: the embedded network; custom: a practice-compatible chain + hub; bittensor: a subtensor chain. */
  kind: NetworkKind;
  /** For bittensor: the ws:// / wss:// endpoint. */
  chainUrl: string | null;
  /** null for bittensor (no hub). */
  hubUrl: string | null;
  builtin: boolean;
  /** What the endpoint said it was when added (bittensor only): every later connection must match it. */
  chain?: ChainIdentityView | null;
  /** Bittensor only: the signing prefix, the Connito competition and the Platform hub (`networks.configure`). */
  settings?: BittensorSettings;
}

/**
 * Prefixes of signed miner actions (PROTOCOLS §4): `platform-upload-v1` is the practice network's
 * (the seed's); the public Platform code signs `base-upload-v1`. Bittensor profiles default to the
 * public one.
 */
export const ACTION_PREFIXES = ['base-upload-v1', 'platform-upload-v1'] as const;
export type ActionPrefix = (typeof ACTION_PREFIXES)[number];

/**
 * A Connito-style checkpoint competition on a subnet (PROTOCOLS §3, the public Connito profile):
 * the hash is committed with `Commitments.set_commitment` on `netuid`, the message is signed by the
 * sr25519 hotkey (unpadded b64url) and posted to the validator's `/submit`. Rounds are counted in
 * blocks from block 0: a round is `roundBlocks` long and opens with `commitBlocks` of commit phase.
 */
export interface ConnitoSettings {
  netuid: number;
  validatorUrl: string;
  roundBlocks: number;
  commitBlocks: number;
}

/**
 * A Platform-style hub on a subnet (PROTOCOLS §4, the public Platform code, docs/networks.md): its
 * challenges come from the hub's `GET /v1/registry`; a miner takes part by being registered on
 * `netuid` (there is no join request) and sends submissions signed with the profile's prefix to
 * `POST /v1/challenges/<slug>/submissions`, where the hub checks the hotkey against the subnet's
 * metagraph.
 */
export interface PlatformSettings {
  hubUrl: string;
  netuid: number;
}

export interface BittensorSettings {
  actionPrefix: ActionPrefix;
  connito: ConnitoSettings | null;
  platform: PlatformSettings | null;
}

export const DEFAULT_BITTENSOR_SETTINGS: BittensorSettings = { actionPrefix: 'base-upload-v1', connito: null, platform: null };

export type NetworkKind = 'practice' | 'custom' | 'bittensor';
export type BittensorPreset = 'finney' | 'test' | 'custom';

/** A chain's identity as read from its endpoint. */
export interface ChainIdentityView {
  preset: BittensorPreset;
  chain: string;
  genesisHash: string;
  specName: string;
  specVersion: number;
  tokenSymbol: string;
  tokenDecimals: number;
  /** Best block when it was read. */
  block: number;
}

/** The public Bittensor networks Minerva knows by name: endpoint and genesis hash (polkadot-js registry). */
export const BITTENSOR_PRESETS: Record<Exclude<BittensorPreset, 'custom'>, { name: string; endpoint: string; genesisHash: string }> = {
  finney: { name: 'Bittensor (finney)', endpoint: 'wss://entrypoint-finney.opentensor.ai:443', genesisHash: '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03' },
  test: { name: 'Bittensor testnet', endpoint: 'wss://test.finney.opentensor.ai:443', genesisHash: '0x8f9cf856bf558a14440e75569c9e58594757048d7b3a84b5d25f6bd978263105' },
};

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

/**
 * An address whose `secure` scheme is accepted anywhere and whose `plain` scheme only on this
 * machine (answers from elsewhere must be authentic), with no user, query or fragment.
 */
function addressSchema(secure: string, plain: string, words: string) {
  return z
    .string()
    .trim()
    .max(512)
    .refine((value) => {
      try {
        const url = new URL(value);
        if (url.username || url.password || url.search || url.hash) return false;
        if (url.protocol === `${secure}:`) return true;
        return url.protocol === `${plain}:` && LOOPBACK.test(url.hostname);
      } catch {
        return false;
      }
    }, `use ${words} address (${plain}:// is accepted only for 127.0.0.1 or localhost), without user, query or fragment`);
}

/** http only on this machine; anything else must be https (signed requests carry no secrets, but answers must be authentic). */
export const endpointUrlSchema = addressSchema('https', 'http', 'an https://');

/** wss:// anywhere; ws:// only on this machine (a chain's answers must be authentic). */
export const wsEndpointSchema = addressSchema('wss', 'ws', 'a wss://');

const networkName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((n) => !/[\p{Cc}\p{Cf}]/u.test(n), 'no control or direction-changing characters');

/** A practice-compatible network (chain + hub), the original shape (no `kind`). */
const addCustomInput = z.object({ kind: z.literal('custom').optional(), name: networkName, chainUrl: endpointUrlSchema, hubUrl: endpointUrlSchema }).strict();
/** A Bittensor network: finney or test (their public endpoint unless another is given), or any subtensor endpoint. */
const addBittensorInput = z
  .object({ kind: z.literal('bittensor'), preset: z.enum(['finney', 'test', 'custom']), endpoint: wsEndpointSchema.optional(), name: networkName.optional() })
  .strict()
  .refine((v) => v.preset !== 'custom' || v.endpoint !== undefined, { message: 'a custom Bittensor network needs its endpoint', path: ['endpoint'] });

export type AddNetworkInput = z.infer<typeof addCustomInput> | z.infer<typeof addBittensorInput>;

const connitoInput = z
  .object({
    netuid: z.number().int().min(1).max(65_535),
    validatorUrl: endpointUrlSchema,
    roundBlocks: z.number().int().min(4).max(100_000),
    commitBlocks: z.number().int().min(2).max(100_000),
  })
  .strict()
  .refine((c) => c.commitBlocks < c.roundBlocks - 1, { message: 'the commit phase must leave at least two blocks of the round for submissions', path: ['commitBlocks'] });

const platformInput = z.object({ hubUrl: endpointUrlSchema, netuid: z.number().int().min(1).max(65_535) }).strict();

export const networksMethods = {
  'networks.list': method<NetworksView>()({ input: z.object({}).strict(), summary: 'Network profiles, the selected one, and the practice network state.' }),
  'networks.add': method<NetworksView>()({
    input: z.union([addCustomInput, addBittensorInput]),
    summary: 'Add a network (it is not selected): a practice-compatible one by its chain and hub endpoints, or a Bittensor one (finney, test or an endpoint), whose chain name, genesis hash and runtime are checked first.',
  }),
  'networks.remove': method<NetworksView>()({ input: z.object({ id: z.string().min(1).max(64) }).strict(), summary: 'Remove a network you added.' }),
  'networks.configure': method<NetworksView>()({
    input: z.object({ id: z.string().min(1).max(64), actionPrefix: z.enum(ACTION_PREFIXES).optional(), connito: connitoInput.nullable().optional(), platform: platformInput.nullable().optional() }).strict(),
    summary: 'Settings of a Bittensor network: the signing prefix of miner actions, the Connito checkpoint competition (subnet, validator, rounds) or none, and the Platform hub (address, subnet) or none.',
  }),
  'networks.select': method<NetworksView>()({ input: z.object({ id: z.string().min(1).max(64) }).strict(), summary: 'Switch to a network (explicit; recorded in the audit log).' }),
};

export const networksEvents = {
  'networks.changed': event<NetworksView>('Profiles, the selection or the practice network state changed.'),
};
