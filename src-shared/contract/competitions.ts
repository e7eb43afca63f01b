import { z } from 'zod';
import { event, method } from './define';

/**
 * Competitions of the selected network and this miner's memberships. Joining is a resumable
 * flow persisted in core: register the hotkey on chain if needed → send the signed join → joined.
 */
/** `challenge`: a challenge of a Platform-style hub on a Bittensor subnet (docs/networks.md), entered with signed file submissions. */
export type CompetitionKind = 'private-inference' | 'model-runner' | 'checkpoint' | 'challenge';

export interface CompetitionView {
  id: string;
  netuid: number;
  slug: string;
  kind: CompetitionKind;
  title: string;
  description: string;
  requirements: { gpu: string | null; memoryMiB: number | null; imageDigest: string | null };
  /** Reward schedule in words and numbers, e.g. "100 PRAC per epoch of 30 blocks". */
  rewards: { summary: string; symbol: string; perEpoch: string; epochBlocks: number };
  /** The rules in plain words, one per line. */
  rules: string[];
  participants: number | null;
  membership: MembershipView | null;
  /** A Platform challenge's submissions from this app, newest first (at most 5); empty for other kinds. */
  submissions: ChallengeSubmissionView[];
}

export type MembershipState = 'joining' | 'joined' | 'leaving' | 'left' | 'failed';
export type StepState = 'pending' | 'active' | 'done' | 'failed' | 'skipped';

export interface MembershipStep {
  id: 'register' | 'join' | 'leave' | 'deregister';
  label: string;
  state: StepState;
  detail: string | null;
}

export interface MembershipView {
  competitionId: string;
  networkId: string;
  state: MembershipState;
  hotkey: string;
  steps: MembershipStep[];
  error: { code: string; message: string } | null;
  /** When the flow will try again after a network error (iso), if it will. */
  retryAt: string | null;
  attempts: number;
  joinedAt: string | null;
  updatedAt: string;
}

/**
 * Where a challenge's evaluation of a submission stands, as the challenge says it. The public
 * Platform hub passes its challenge's answer through (`GET /v1/challenges/<slug>/submissions/<id>`);
 * the words below are PRISM's (`SubmissionStatus`: pending, running, held, then completed,
 * failed or rejected). Another challenge's word is kept as it came.
 */
export type ChallengeSubmissionStatus = 'pending' | 'running' | 'held' | 'completed' | 'failed' | 'rejected' | (string & {});

/** The challenge's statuses after which nothing changes any more: Minerva stops asking. */
export const TERMINAL_SUBMISSION_STATUSES: readonly string[] = ['completed', 'failed', 'rejected'];

/**
 * A signed submission to a Platform challenge: what was sent, what the hub answered, and where its
 * evaluation stands (followed by core until a final status; docs/networks.md "Platform").
 */
export interface ChallengeSubmissionView {
  competitionId: string;
  /** The challenge's id for it and its status, when the hub said (`{"id","status",…}`). */
  submissionId: string | null;
  /** The last status the challenge gave (the first answer's until it is asked again). */
  status: ChallengeSubmissionStatus | null;
  /** The challenge's score once it says one (`final_score`), else null. */
  score: number | null;
  /** The challenge's own words about it (`error`: why it failed, was rejected or is held), else null. */
  reason: string | null;
  hotkey: string;
  fileName: string;
  bytes: number;
  sha256: string;
  at: string;
  /**
   * Whether core still asks the hub: `following` (a check is due at `nextCheckAt`), `done` (a final
   * status arrived), `stopped` (Minerva gave up asking: the hub did not answer, forgot it, or the
   * follow window ended; `error` says which; "Check again" asks once more).
   */
  following: 'following' | 'done' | 'stopped';
  /** When the hub last answered about it (iso), and when core asks next. */
  checkedAt: string | null;
  nextCheckAt: string | null;
  /** The last check's problem in words (the hub not answering, …); the status above stays the last known. */
  error: { code: string; message: string } | null;
}

export interface CompetitionsView {
  networkId: string;
  competitions: CompetitionView[];
  fetchedAt: string | null;
  /** The chain's block time (ms) when known: epochs and phases in blocks are also shown in time. */
  blockMs: number | null;
  /** Why the catalogue could not be loaded, in words; the last known list is still shown. */
  error: string | null;
}

const idSchema = z.string().min(1).max(128);

export const competitionsMethods = {
  'competitions.list': method<CompetitionsView>()({
    input: z.object({ refresh: z.boolean().default(false) }).strict(),
    summary: 'The catalogue of the selected network with this miner’s memberships.',
  }),
  'competitions.join': method<MembershipView>()({ input: z.object({ id: idSchema }).strict(), summary: 'Join a competition (registers the hotkey first if needed).' }),
  'competitions.leave': method<MembershipView>()({ input: z.object({ id: idSchema }).strict(), summary: 'Leave a competition.' }),
  'competitions.retry': method<MembershipView>()({ input: z.object({ id: idSchema }).strict(), summary: 'Retry a failed join or leave now.' }),
  'competitions.submit': method<ChallengeSubmissionView>()({
    input: z
      .object({
        id: idSchema,
        fileName: z.string().trim().min(1).max(200),
        /** The file, base64 (at most 2,000,000 bytes once decoded: the public Platform hub's cap). */
        contentBase64: z.string().min(1).max(2_700_000),
        contentType: z.string().max(100).default('application/octet-stream'),
      })
      .strict(),
    summary: 'Send a file to a joined Platform challenge, signed by your hotkey (PROTOCOLS §4).',
  }),
  'competitions.checkSubmission': method<ChallengeSubmissionView>()({
    input: z.object({ id: idSchema, submissionId: z.string().min(1).max(200) }).strict(),
    summary: 'Ask the hub now where a submission’s evaluation stands (and keep following it).',
  }),
};

export const competitionsEvents = {
  'competitions.changed': event<CompetitionsView>('The catalogue or a membership changed.'),
};
