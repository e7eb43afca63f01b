import type { ChallengeSubmissionView } from '@shared/contract/competitions';

/** A submission's status in words: the challenge's words (PRISM's statuses), its score, its reason. */
export function submissionVerdict(s: Pick<ChallengeSubmissionView, 'status' | 'score' | 'reason'>): { text: string; tone: 'ok' | 'bad' | 'wait' } {
  const reason = s.reason ? `: ${s.reason}` : '';
  switch (s.status) {
    case 'pending':
      return { text: 'Waiting for the challenge to evaluate it', tone: 'wait' };
    case 'running':
      return { text: 'Being evaluated by the challenge', tone: 'wait' };
    case 'held':
      return { text: `Held for review by the challenge${reason}`, tone: 'wait' };
    case 'completed':
      return { text: s.score !== null ? `Scored ${scoreText(s.score)} by the challenge` : 'Evaluated by the challenge (no score given)', tone: 'ok' };
    case 'failed':
      return { text: `The challenge’s evaluation failed${reason}`, tone: 'bad' };
    case 'rejected':
      return { text: `Rejected by the challenge${reason}`, tone: 'bad' };
    case null:
      return { text: 'The hub gave no status for it', tone: 'wait' };
    default:
      return { text: `The challenge says “${s.status}”${reason}`, tone: 'wait' };
  }
}

function scoreText(score: number): string {
  return Number.isInteger(score) ? String(score) : String(Number(score.toFixed(4)));
}
