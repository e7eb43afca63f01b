import type { JobStepId, JobView } from '@shared/contract/inference';
import { STEP_IDS, STEP_WORDS, formatMs } from './jobs-model';

export type StepPhase = 'done' | 'active' | 'failed' | 'pending' | 'skipped';

/** Where each step of a job is: done (with its time), the one in progress, the one it failed at, or not reached. */
export function stepPhases(job: JobView): { id: JobStepId; phase: StepPhase; ms: number | null }[] {
  const timing = new Map(job.steps.map((s) => [s.id, s.ms]));
  let failedMarked = false;
  return STEP_IDS.map((id) => {
    const ms = timing.get(id) ?? null;
    if (ms !== null) return { id, phase: 'done', ms };
    if (job.state === id) return { id, phase: 'active', ms };
    if (job.state === 'failed' && !failedMarked) {
      failedMarked = true;
      return { id, phase: 'failed', ms };
    }
    if (job.state === 'withdrawn' || job.state === 'failed' || job.state === 'reported') return { id, phase: 'skipped', ms };
    return { id, phase: 'pending', ms };
  });
}

/** Words for a screen reader: "key 12 ms, decrypt 1 ms, run: in progress, …". */
export function stepsInWords(job: JobView): string {
  return stepPhases(job)
    .filter((s) => s.phase !== 'pending' && s.phase !== 'skipped')
    .map((s) => `${STEP_WORDS[s.id].toLowerCase()} ${s.phase === 'done' ? formatMs(s.ms) : s.phase === 'active' ? 'in progress' : 'failed'}`)
    .join(', ');
}

const BAR_W = 128;
const BAR_H = 10;
const GAP = 2;
const MIN_W = 6;

/**
 * The compact step bar of a row: six segments coloured by phase; once every step is done, each is
 * as wide as its share of the job's time (at least a sliver). Drawn as SVG (the CSP allows no style attributes); it is
 * decorative — the row's label says the same in words.
 */
export function StepBar({ job }: { job: JobView }) {
  const phases = stepPhases(job);
  const free = BAR_W - GAP * (phases.length - 1) - MIN_W * phases.length;
  // A finished job shows where its time went; one in flight or stopped shows how far it got.
  const timed = phases.every((s) => s.phase === 'done');
  const total = timed ? phases.reduce((sum, s) => sum + (s.ms ?? 0), 0) : 0;
  let x = 0;
  return (
    <svg className="step-bar" width={BAR_W} height={BAR_H} viewBox={`0 0 ${BAR_W} ${BAR_H}`} aria-hidden="true" focusable="false">
      {phases.map((s) => {
        const w = MIN_W + (total > 0 ? ((s.ms ?? 0) / total) * free : free / phases.length);
        const rect = <rect key={s.id} x={x} y={0} width={w} height={BAR_H} rx={2} className={`step-seg step-seg-${s.phase}`} />;
        x += w + GAP;
        return rect;
      })}
    </svg>
  );
}

const MARK: Record<StepPhase, string> = { pending: '○', active: '◔', done: '●', skipped: '–', failed: '✕' };

/** The steps of one job as a list, with the time each took. */
export function JobStepList({ job, label }: { job: JobView; label: string }) {
  return (
    <ol className="step-list" aria-label={label}>
      {stepPhases(job).map((s) => (
        <li key={s.id} className={`step step-${s.phase === 'done' ? 'done' : s.phase}`}>
          <span className="step-mark" aria-hidden="true">
            {MARK[s.phase]}
          </span>
          <span className="step-body step-timed">
            <span className="step-label">{STEP_WORDS[s.id]}</span>
            <span className="step-detail">
              {s.phase === 'done' ? formatMs(s.ms) : s.phase === 'active' ? 'in progress…' : s.phase === 'failed' ? 'failed here' : s.phase === 'skipped' ? 'not reached' : 'waiting'}
            </span>
          </span>
        </li>
      ))}
    </ol>
  );
}
