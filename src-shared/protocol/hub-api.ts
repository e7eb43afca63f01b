/**
 * The practice network's hub API (docs/practice-network.md): the competition catalogue and the
 * signed join/leave actions (PROTOCOLS §4, with the §2.9 EOA proof for private inference).
 * Every error body is `{"error":{"code","message"}}` (PROTOCOLS §2.3).
 */
import { z } from 'zod';
import { schemeSchema } from './chain-api';

export const COMPETITION_KINDS = ['private-inference', 'model-runner', 'checkpoint'] as const;
export type HubCompetitionKind = (typeof COMPETITION_KINDS)[number];

const url = z.string().url();

export const endpointsSchema = z
  .object({
    chain: url,
    hub: url,
    /** Private inference: the router (PROTOCOLS §2); null until that party runs. */
    router: url.nullable(),
    /** Checkpoint: the validator (PROTOCOLS §3); null until that party runs. */
    validator: url.nullable(),
    /** Model runner: the coordinator's certificate service (PROTOCOLS §5); null until that party runs. */
    coordinator: url.nullable(),
  })
  .strict();
export type HubEndpoints = z.infer<typeof endpointsSchema>;

export const requirementsSchema = z
  .object({
    /** In words, e.g. "none (CPU is enough)" or "NVIDIA, 8 GiB VRAM"; null = no GPU needed. */
    gpu: z.string().nullable(),
    memory_mib: z.number().int().min(0).nullable(),
    /** `name:tag@sha256:<digest>` of the model image (PROTOCOLS §7), null when the miner brings its own. */
    image_digest: z.string().nullable(),
    /** The demo bundle (resources/models/<name>) the image is built from locally, when there is no registry digest. */
    model_bundle: z.string().nullable(),
    cpu_cores: z.number().int().min(1).nullable(),
    disk_mib: z.number().int().min(0).nullable(),
  })
  .strict();

export const rewardsSchema = z
  .object({
    symbol: z.string(),
    /** Whole tokens per epoch, decimal string. */
    per_epoch: z.string(),
    epoch_blocks: z.number().int().min(1),
    /** How the epoch's emission is split, in words. */
    split: z.string(),
    summary: z.string(),
  })
  .strict();

const roundSchema = z
  .object({ round: z.number().int(), phase: z.enum(['commit', 'submit']), block: z.number().int(), blocks_left_in_phase: z.number().int() })
  .strict();

export const rulesSchema = z
  .object({
    /** The rules in plain words, one per line. */
    text: z.array(z.string()),
    /** Scheme of the hotkey registered (and signing actions) for this competition. */
    scheme: schemeSchema,
    /** PROTOCOLS §4 prefix of the signed miner actions. */
    action_prefix: z.string(),
    max_clock_skew_s: z.number().int(),
    // private inference (§2)
    session_id: z.number().int().nullable(),
    // model runner (§5)
    model_id: z.string().nullable(),
    class_name: z.string().nullable(),
    network_domain: z.string().nullable(),
    /**
     * A Crunch-style network (issue 15): runner certificates from its issuer API and the
     * coordinator's identity from its indexer (CPI), instead of the certificate service and chain;
     * absent or null = the practice shapes.
     */
    crunch: z.object({ issuer_url: url, cpi_url: url, ca_pem: z.string().max(20_000), coordinator_wallet: z.string().min(32).max(64) }).strict().nullable().optional(),
    // checkpoint (§3)
    round_blocks: z.number().int().nullable(),
    commit_blocks: z.number().int().nullable(),
    submit_blocks: z.number().int().nullable(),
    block_window: z.number().int().nullable(),
    /** Checkpoint message signatures: padded b64url or not. */
    padded_signature: z.boolean().nullable(),
    /** The current round when the hub could ask the chain; null otherwise. */
    current_round: roundSchema.nullable(),
  })
  .strict();

export const catalogueEntrySchema = z
  .object({
    id: z.string(),
    netuid: z.number().int().min(0),
    slug: z.string(),
    kind: z.enum(COMPETITION_KINDS),
    title: z.string(),
    description: z.string(),
    endpoints: endpointsSchema,
    requirements: requirementsSchema,
    rewards: rewardsSchema,
    rules: rulesSchema,
  })
  .strict();
export type CatalogueEntryWire = z.infer<typeof catalogueEntrySchema>;

/** `GET /v1/competitions` */
export const catalogueSchema = z.object({ network: z.string(), competitions: z.array(catalogueEntrySchema) }).strict();
export type CatalogueWire = z.infer<typeof catalogueSchema>;

/** `POST /v1/competitions/<id>/join` body: `{}` or, for private inference, the §2.9 EOA proof. */
export const joinBodySchema = z
  .object({
    eoa: z.string().regex(/^0x[0-9a-fA-F]{40}$/).optional(),
    eoa_signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/).optional(),
  })
  .strict();
export type JoinBody = z.infer<typeof joinBodySchema>;

/** `POST …/join` → 200. Private inference only: `session_tx_id` is the §2.9 chain write, already included when the hub answers. */
export interface JoinResult {
  competition_id: string;
  hotkey: string;
  joined_at: string;
  already_joined: boolean;
  eoa: string | null;
  session_tx_id: string | null;
}

/** `POST …/leave` → 200 (also when the hotkey was not a participant: leaving is idempotent). */
export interface LeaveResult {
  competition_id: string;
  hotkey: string;
  was_participant: boolean;
  session_tx_id: string | null;
  /** Model runner only: the `remove_runners` chain write (included when the hub answers), else null. */
  runners_tx_id?: string | null;
}

export interface ParticipantWire {
  hotkey: string;
  coldkey: string | null;
  eoa: string | null;
  joined_at: string;
}

/** `GET /v1/competitions/<id>/participants` */
export interface ParticipantsResult {
  competition_id: string;
  participants: ParticipantWire[];
}

/** Error codes of the hub; HTTP status beside each. */
export const HUB_ERRORS = {
  NOT_FOUND: 404,
  MALFORMED: 400,
  UNKNOWN_HOTKEY: 401,
  STALE_SIGNATURE: 401,
  BAD_SIGNATURE: 401,
  BAD_EOA_SIGNATURE: 401,
  NONCE_REPLAYED: 409,
  TOO_LARGE: 413,
  CHAIN_UNAVAILABLE: 503,
} as const;
export type HubErrorCode = keyof typeof HUB_ERRORS;

export interface HubErrorBody {
  /** A `HubErrorCode`, or `INTERNAL` / `METHOD_NOT_ALLOWED`. */
  error: { code: string; message: string };
}

/** `GET /health` of every party. */
export interface HealthWire {
  ok: boolean;
  party: string;
  pid: number;
  block?: number;
}
