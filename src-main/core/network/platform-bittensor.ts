import { z } from 'zod';
import { AppError } from '@shared/contract/errors';
import type { BittensorSettings, PlatformSettings } from '@shared/contract/networks';
import { to0xHex } from '@shared/protocol/encoding';
import { actionCanonical, actionNonce } from '@shared/protocol/miner-action';
import type { BittensorClient } from './bittensor/bittensor-client';
import type { CatalogueEntry, KeySigner } from './client';
import { httpError, httpJson } from './http';

/**
 * Platform on Bittensor (issue 14 part 4; PROTOCOLS §4, docs/networks.md "Platform"): a
 * Platform-style hub in front of a subnet, as the public Platform code builds it
 * (PlatformNetwork/platform `src/base/master/app_proxy.py`, `src/base/schemas/challenge.py`,
 * `src/base/security/miner_auth.py`; the same file as BaseIntelligence/base):
 *
 * - the challenges are the hub's `GET /v1/registry` (`{challenges: [{slug, name, status,
 *   description, …}]}`), only `active` ones are offered;
 * - there is no join request: a miner takes part by holding a UID on the subnet (the hub checks
 *   every signed request against the subnet's metagraph, and refuses UID 0), so "joining" here is
 *   being registered, by burn on the Bittensor card, with its cost and a confirmation;
 * - a submission is `POST /v1/challenges/<slug>/submissions` with the raw file as the body,
 *   signed per §4 with the profile's prefix (`base-upload-v1` for the public code), `netuid` the
 *   subnet's, `path` exactly that path; the hub answers what the challenge answers
 *   (`{"id","status"}`), refusals as FastAPI's `{"detail": "…"}`;
 * - a submission's status is `GET /v1/challenges/<slug>/submissions/<id>`, unsigned (app_proxy.py
 *   `bridge_status`: the challenge must be active, else 404 "Challenge not found"; the hub asks the
 *   challenge's `GET /v1/submissions/<id>` and passes its answer through, 502 "Challenge
 *   unavailable" when it cannot reach it). PRISM's answer (PlatformNetwork/prism
 *   `src/prism_challenge/routes.py` `submission_status`, `models.py` `SubmissionStatusResponse` @
 *   113ed55e30882f182497b84e964747faeeb78621) is `{id, hotkey, epoch_id, status, code_hash,
 *   created_at, error, final_score, q_arch, q_recipe, anti_cheat_multiplier, diversity_bonus,
 *   penalty}`, 404 "submission not found" for an id it does not know.
 */
export const PLATFORM_ID_PREFIX = 'platform-sn';
/** The public hub's default cap on a submission body (`upload_max_body_bytes`), checked before the signature. */
export const PLATFORM_MAX_SUBMISSION_BYTES = 2_000_000;

const SLUG = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;

/** `RegistryResponse` of the public code; fields Minerva does not use are allowed and ignored. */
const registrySchema = z.object({
  challenges: z.array(
    z.object({
      slug: z.string().regex(SLUG).max(128),
      name: z.string().min(1).max(200),
      status: z.string(),
      description: z.string().max(4000).nullable().optional(),
      version: z.string().max(100).optional(),
    }),
  ),
});

export function platformId(p: PlatformSettings, slug: string): string {
  return `${PLATFORM_ID_PREFIX}${p.netuid}-${slug}`;
}

export function isPlatformId(p: PlatformSettings | null | undefined, id: string): boolean {
  return p !== null && p !== undefined && id.startsWith(`${PLATFORM_ID_PREFIX}${p.netuid}-`);
}

function hubUrl(p: PlatformSettings, path: string): string {
  return `${p.hubUrl.replace(/\/$/, '')}${path}`;
}

/** The hub's active challenges as catalogue entries. */
export async function platformCatalogue(settings: BittensorSettings, p: PlatformSettings, symbol: string): Promise<CatalogueEntry[]> {
  const answer = await httpJson('Platform hub', hubUrl(p, '/v1/registry'), { method: 'GET' });
  if (answer.status !== 200) throw httpError('Platform hub', answer);
  const parsed = registrySchema.safeParse(answer.json);
  if (!parsed.success) throw new AppError('NETWORK_ERROR', 'The Platform hub sent a challenge list Minerva cannot read (GET /v1/registry). Check the hub address in Settings → Networks.');
  return parsed.data.challenges
    .filter((c) => c.status === 'active')
    .map((c) => ({
      id: platformId(p, c.slug),
      netuid: p.netuid,
      slug: c.slug,
      kind: 'challenge' as const,
      title: c.name,
      description: c.description ?? `A challenge of the Platform hub on subnet ${p.netuid}.`,
      requirements: { gpu: null, memoryMiB: null, imageDigest: null },
      rewards: { summary: `Emission on subnet ${p.netuid}, as the hub's validators weigh your hotkey`, symbol, perEpoch: '0', epochBlocks: 360 },
      rules: [
        `Your hotkey must hold a UID on subnet ${p.netuid} (Settings → Bittensor; registering costs TAO). UID 0 is the subnet owner's and is refused.`,
        `Submissions are files of at most ${(PLATFORM_MAX_SUBMISSION_BYTES / 1_000_000).toFixed(0)} MB, signed by your hotkey (${settings.actionPrefix}).`,
        'Your computer clock must be right to within 5 minutes: the hub refuses older signatures.',
      ],
      hotkeyScheme: 'sr25519' as const,
      actionPrefix: settings.actionPrefix,
      endpoints: { validator: null, router: null, coordinator: null },
      blockWindow: null,
      paddedSignature: false,
    }));
}

export interface PlatformSubmission {
  bytes: Uint8Array<ArrayBuffer>;
  fileName: string;
  contentType: string;
}

/**
 * Sends a signed submission; returns the challenge's id and status for it. `networkName` names the
 * profile in the refusals' "what to do" (its settings card is titled with it).
 */
export async function platformSubmit(
  p: PlatformSettings,
  entry: CatalogueEntry,
  hotkey: KeySigner,
  file: PlatformSubmission,
  now: () => Date,
  networkName = 'this network',
): Promise<{ id: string | null; status: string | null }> {
  if (file.bytes.length === 0) throw new AppError('VALIDATION', 'The file is empty. Choose the file you want to submit.');
  if (file.bytes.length > PLATFORM_MAX_SUBMISSION_BYTES) throw new AppError('TOO_LARGE', `The file is ${file.bytes.length.toLocaleString('en-US')} bytes; the hub takes at most ${PLATFORM_MAX_SUBMISSION_BYTES.toLocaleString('en-US')}.`);
  const path = `/v1/challenges/${entry.slug}/submissions`;
  const nonce = actionNonce();
  const timestamp = String(Math.floor(now().getTime() / 1000));
  const canonical = actionCanonical({ prefix: entry.actionPrefix, netuid: p.netuid, slug: entry.slug, method: 'POST', path, body: file.bytes }, hotkey.address, nonce, timestamp);
  const headers: Record<string, string> = {
    'content-type': file.contentType,
    'X-Hotkey': hotkey.address,
    'X-Signature': to0xHex(hotkey.sign(canonical)),
    'X-Nonce': nonce,
    'X-Timestamp': timestamp,
  };
  // The public hub forwards this header to the challenge; a name it cannot carry is left out.
  if (/^[\x20-\x7e]{1,200}$/.test(file.fileName)) headers['X-Submission-Filename'] = file.fileName;
  const answer = await httpJson('Platform hub', hubUrl(p, path), { method: 'POST', headers, body: file.bytes, timeoutMs: 60_000 });
  if (answer.status === 401 && /unknown hotkey|blocked uid/.test(String((answer.json as { detail?: unknown } | null)?.detail))) {
    throw new AppError('FORBIDDEN', `The hub does not see your hotkey ${hotkey.address} among subnet ${p.netuid}'s miners (${String((answer.json as { detail: string }).detail)}). Register it on subnet ${p.netuid} in Settings → Bittensor, then submit again.`, {
      details: { status: 401, reason: String((answer.json as { detail: string }).detail) },
    });
  }
  if (answer.status < 200 || answer.status >= 300) throw withWhatToDo(httpError('Platform hub', answer), entry.actionPrefix, networkName);
  const body = (answer.json ?? {}) as { id?: unknown; status?: unknown };
  return { id: typeof body.id === 'string' ? body.id : null, status: typeof body.status === 'string' ? body.status : null };
}

/**
 * The hub's signature refusals (`MinerUploadVerifier`'s words) with what the miner can change: the
 * signing prefix (the one setting that makes a good key's signature "invalid" to a hub) or the clock.
 */
function withWhatToDo(error: AppError, prefix: string, networkName: string): AppError {
  const reason = (error.details as { reason?: unknown } | undefined)?.reason;
  const where = `Settings → Competitions on ${networkName}`;
  let next: string | null = null;
  if (error.code === 'UNAUTHENTICATED' && reason === 'invalid signature') {
    next =
      prefix === 'base-upload-v1'
        ? `This network signs with base-upload-v1, the public Platform code's prefix; if the subnet names another one, set it in ${where}, then submit again.`
        : `This network signs with ${prefix}; the public Platform code checks base-upload-v1. Choose the prefix the subnet names in ${where} (base-upload-v1 unless it says otherwise), then submit again.`;
  } else if (error.code === 'UNAUTHENTICATED' && reason === 'stale signature') {
    next = "The hub takes signatures made within 5 minutes of its own clock: set this computer's clock right (automatic date and time), then submit again.";
  } else if (error.code === 'CONFLICT') {
    next = 'Submit again: each try is signed with a fresh nonce.';
  }
  return next ? new AppError(error.code, `${error.message} ${next}`, { details: { ...error.details } }) : error;
}

/** What Minerva reads of a challenge's status answer; the rest of PRISM's fields are allowed and ignored. */
const statusSchema = z.object({
  status: z.string().min(1).max(64),
  error: z.string().max(4000).nullable().optional(),
  final_score: z.number().finite().nullable().optional(),
});

export interface PlatformSubmissionStatus {
  status: string;
  score: number | null;
  reason: string | null;
}

/**
 * Where a submission's evaluation stands, as the challenge says (through the hub). Throws an
 * AppError in words: UNAVAILABLE / NETWORK_ERROR / TIMEOUT when the hub or its challenge does not
 * answer (worth asking again later), NOT_FOUND when the challenge is gone or does not know the id.
 */
export async function platformSubmissionStatus(p: PlatformSettings, slug: string, submissionId: string): Promise<PlatformSubmissionStatus> {
  const path = `/v1/challenges/${slug}/submissions/${encodeURIComponent(submissionId)}`;
  const answer = await httpJson('Platform hub', hubUrl(p, path), { method: 'GET', timeoutMs: 30_000 });
  if (answer.status === 404) {
    const raw = (answer.json as { detail?: unknown } | null)?.detail;
    const detail = typeof raw === 'string' ? raw : '';
    const words =
      detail === 'Challenge not found'
        ? `The hub no longer offers this challenge (${detail}), so it cannot say how submission ${submissionId} was judged.`
        : `The challenge does not know submission ${submissionId} (${detail || 'HTTP 404'}).`;
    throw new AppError('NOT_FOUND', words, { details: { status: 404, reason: detail.toLowerCase(), permanent: true } });
  }
  if (answer.status < 200 || answer.status >= 300) throw httpError('Platform hub', answer);
  const parsed = statusSchema.safeParse(answer.json);
  if (!parsed.success) throw new AppError('NETWORK_ERROR', `The Platform hub sent a submission status Minerva cannot read (GET ${path}).`, { details: { permanent: true } });
  return { status: parsed.data.status, score: parsed.data.final_score ?? null, reason: parsed.data.error ?? null };
}

/** Is the hotkey on the subnet (a UID other than the owner's 0, which the hub refuses)? */
export async function platformRegistered(p: PlatformSettings, chain: () => Promise<BittensorClient>, hotkey: string): Promise<boolean> {
  const uid = await (await chain()).uid(p.netuid, hotkey);
  return uid !== null && uid !== 0;
}
