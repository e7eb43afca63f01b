/**
 * Demo traffic (issue 7, item 5): sends completions to a session through the router's own
 * `POST /api/v2/completion` at a steady pace so that a practice miner sees work. At most
 * `maxInFlight` completions wait at once (each times out after `timeoutS`), so nothing piles up
 * while no miner serves the session. Logs counts and statuses only, never prompts or outputs.
 */
import type { DevnetLog } from '../common/http';

export const DEMO_PROMPTS: readonly string[] = [
  'Summarise why the sky looks blue in one sentence.',
  'Write a haiku about a lighthouse.',
  'List three uses for a paperclip.',
  'Translate "good morning" into French.',
  'What is 17 times 23?',
  'Name a prime number greater than 100.',
  'Describe a cat in five words.',
  'Give a short tip for writing clear code.',
];

export interface DemoTrafficOptions {
  /** Time between two completions (ms). */
  intervalMs: number;
  /** The session to send to (default: the practice-inference session, 101). */
  sessionId?: number;
  /** Each completion's `timeout_s` (default 60). */
  timeoutS?: number;
  /** At most this many completions wait at once (default 2). */
  maxInFlight?: number;
  prompts?: readonly string[];
}

export interface DemoTrafficStats {
  sent: number;
  answered: number;
  failed: number;
  skipped: number;
  inFlight: number;
}

export class DemoTraffic {
  private timer: NodeJS.Timeout | undefined;
  private readonly aborts = new Set<AbortController>();
  private next = 0;
  readonly stats: DemoTrafficStats = { sent: 0, answered: 0, failed: 0, skipped: 0, inFlight: 0 };

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly options: DemoTrafficOptions,
    private readonly log: DevnetLog,
  ) {
    if (!Number.isInteger(options.intervalMs) || options.intervalMs < 10) throw new RangeError('demo traffic intervalMs must be a whole number ≥ 10');
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
    this.log.info('router demo traffic on', { session: this.options.sessionId ?? 101, intervalMs: this.options.intervalMs });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
  }

  private tick(): void {
    if (this.stats.inFlight >= (this.options.maxInFlight ?? 2)) {
      this.stats.skipped += 1;
      return;
    }
    const prompts = this.options.prompts ?? DEMO_PROMPTS;
    const prompt = prompts[this.next % prompts.length]!;
    this.next += 1;
    const abort = new AbortController();
    this.aborts.add(abort);
    this.stats.sent += 1;
    this.stats.inFlight += 1;
    const started = Date.now();
    fetch(`${this.url}/api/v2/completion`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ session_id: this.options.sessionId ?? 101, prompt, timeout_s: this.options.timeoutS ?? 60, stream: false }),
      signal: abort.signal,
    })
      .then(async (res) => {
        await res.arrayBuffer(); // the answer is not looked at, nor logged
        if (res.status === 200) this.stats.answered += 1;
        else this.stats.failed += 1;
        this.log.info('demo completion', { status: res.status, ms: Date.now() - started });
      })
      .catch(() => {
        if (!abort.signal.aborted) this.stats.failed += 1;
      })
      .finally(() => {
        this.stats.inFlight -= 1;
        this.aborts.delete(abort);
      });
  }
}
