import { AppError } from '@shared/contract/errors';
import type { InferenceWorkerView, PlaygroundAnswer, StoredPayloadView } from '@shared/contract/inference';
import { completionAnswerSchema, ROUTER_PATHS, routerErrorSchema, taskViewSchema } from '@shared/protocol/router-api';
import type { CompetitionsApi } from '../competitions/competitions.feature';
import type { NetworksApi } from '../network/networks.feature';
import type { PracticeNetworkHost } from '../network/practice';
import type { JobsRepo } from './jobs.repo';

/**
 * The practice network's Playground (docs/inference.md): a prompt sent through the practice
 * router's completion API with the router's own API token, answered by this app's own worker,
 * and what the router stored for it (URNs and sizes only).
 */
export interface PlaygroundDeps {
  networks: NetworksApi;
  competitions: CompetitionsApi;
  practiceHost: PracticeNetworkHost | undefined;
  repo: JobsRepo;
  /**
   * This app's worker of the competition, if one runs. Follows the membership: a competition
   * joined a moment ago gets its worker from a reconcile first (the catalogue says "joined"
   * before the worker's own event starts it).
   */
  worker(competitionId: string): Promise<InferenceWorkerView | undefined>;
}

export interface PlaygroundInput {
  competitionId: string;
  prompt: string;
  timeoutS: number;
}

export async function playgroundSend(deps: PlaygroundDeps, input: PlaygroundInput): Promise<PlaygroundAnswer> {
  const { sessionId, routerUrl, token } = await playgroundTarget(deps, input.competitionId);
  const auth = { authorization: `Bearer ${token}` };
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(`${routerUrl}${ROUTER_PATHS.completion}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: sessionId, prompt: input.prompt, timeout_s: input.timeoutS }),
      signal: AbortSignal.timeout((input.timeoutS + 10) * 1000),
    });
  } catch {
    throw new AppError('NETWORK_ERROR', 'The practice router cannot be reached. Check the practice network in Settings.');
  }
  if (!res.ok) throw await refusal(res);
  const parsed = completionAnswerSchema.safeParse(await res.json().catch(() => null));
  if (!parsed.success) throw new AppError('UNAVAILABLE', 'The router’s answer is malformed.');
  const answer = parsed.data;
  const elapsedMs = Date.now() - started;
  const stored = await storedPayloads(`${routerUrl}${ROUTER_PATHS.task(sessionId, answer.task_id)}`, auth);
  const row = deps.repo.byTask(sessionId, answer.task_id);
  return {
    competitionId: input.competitionId,
    sessionId,
    taskId: answer.task_id,
    output: answer.output,
    model: answer.model ?? '',
    usage: answer.usage ?? null,
    elapsedMs,
    jobRowId: row && row.competition_id === input.competitionId ? String(row.seq) : null,
    stored,
  };
}

/** Where the prompt goes, or why it cannot (in words, with what to do). */
async function playgroundTarget(deps: PlaygroundDeps, competitionId: string): Promise<{ sessionId: number; routerUrl: string; token: string }> {
  const network = await deps.networks.active();
  if (network.kind !== 'practice') {
    throw new AppError('UNSUPPORTED', 'The Playground works on the practice network only: it uses the practice router’s own API token. Select the practice network to try it.');
  }
  const { entry } = await deps.competitions.entry(competitionId);
  if (entry.kind !== 'private-inference') throw new AppError('VALIDATION', 'The Playground sends prompts to private-inference competitions only.');
  const sessionId = entry.sessionId ?? null;
  const routerUrl = entry.endpoints.router?.replace(/\/+$/, '') ?? null;
  if (sessionId === null || routerUrl === null) throw new AppError('UNAVAILABLE', 'The practice router is not running yet; wait for the practice network to start.');
  // The answer comes from this app's own worker: say so at once instead of waiting for a timeout.
  const mine = await deps.worker(competitionId);
  if (!mine) throw new AppError('FORBIDDEN', 'Join this competition first: your own miner answers the Playground’s prompts.');
  if (mine.state === 'paused-locked') throw new AppError('VAULT_LOCKED', 'Unlock your wallet first: your miner pauses while it is locked.');
  if (mine.state === 'forbidden') throw new AppError('FORBIDDEN', mine.detail);
  const token = (await deps.practiceHost?.routerApiToken?.()) ?? null;
  if (!token) throw new AppError('UNAVAILABLE', 'This app cannot read the practice router’s API token; the Playground needs the practice network started by this app.');
  return { sessionId, routerUrl, token };
}

/** What the router stored for the task; the answer stands without it. */
async function storedPayloads(url: string, auth: Record<string, string>): Promise<StoredPayloadView[]> {
  const stored: StoredPayloadView[] = [];
  try {
    const t = await fetch(url, { headers: auth, signal: AbortSignal.timeout(10_000) });
    const view = taskViewSchema.safeParse(t.ok ? await t.json() : null);
    if (view.success) {
      for (const [role, p] of [['input', view.data.input], ['result', view.data.result]] as const) {
        if (p) stored.push({ role, urn: p.urn, payloadType: p.payload_type, keyVersion: p.key_version, ciphertextBytes: p.bytes });
      }
    }
  } catch {
    // the answer stands without the stored view
  }
  return stored;
}

/** The router's refusal of a completion, in words. */
async function refusal(res: Response): Promise<AppError> {
  let code = `HTTP_${res.status}`;
  let message = '';
  try {
    const parsed = routerErrorSchema.safeParse(await res.json());
    if (parsed.success) ({ code, message } = parsed.data.error);
  } catch {
    // keep the status
  }
  if (res.status === 504) return new AppError('TIMEOUT', 'No miner answered in time. Check on the Jobs page that your worker is answering jobs (and that your wallet is unlocked).');
  if (code === 'MINER_FAILED') return new AppError('MODEL_FAILED', `The miner could not complete the job: ${message} See the Jobs page for the reason.`);
  if (code === 'RESULT_UNDECRYPTABLE') return new AppError('DECRYPT_FAILED', 'The router could not read the miner’s result.');
  if (res.status === 401) return new AppError('UNAUTHENTICATED', 'The practice router refused its own API token; restart the practice network.');
  return new AppError('UNAVAILABLE', `The router refused the completion (${code}).`);
}
