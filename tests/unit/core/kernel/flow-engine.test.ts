/* eslint-disable @typescript-eslint/require-await -- step functions are async by contract, some finish at once */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { FlowEngine, type FlowSpec, type FlowStore, type StepFn } from '@core/kernel/flow-engine';
import { SimpleUnlockGate } from '@core/kernel/unlock-gate';
import type { ScopedLogger } from '@core/log/logger';

/** A flow row in a real SQLite file: step, attempts and the outcome, as a feature's table would. */
interface Row {
  id: string;
  step: 'a' | 'b' | 'c' | 'done' | 'failed' | 'cancelled';
  log: string;
  error: string | null;
  retry_at: string | null;
}

const entries: { level: string; msg: string }[] = [];
const log: ScopedLogger = {
  debug: (msg: string) => entries.push({ level: 'debug', msg }),
  info: (msg: string) => entries.push({ level: 'info', msg }),
  warn: (msg: string) => entries.push({ level: 'warn', msg }),
  error: (msg: string) => entries.push({ level: 'error', msg }),
} as unknown as ScopedLogger;

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minerva-flow-'));
  db = new Database(join(dir, 'flows.db'));
  db.exec(`CREATE TABLE t (id TEXT PRIMARY KEY, step TEXT NOT NULL, log TEXT NOT NULL, error TEXT, retry_at TEXT) STRICT`);
  entries.length = 0;
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function store(): FlowStore<Row> {
  return {
    get: (id) => db.prepare('SELECT * FROM t WHERE id = ?').get(id) as Row | undefined,
    unfinished: () => db.prepare(`SELECT * FROM t WHERE step NOT IN ('done','failed','cancelled')`).all() as Row[],
    save(id, patch) {
      const cols = Object.keys(patch);
      if (cols.length > 0) db.prepare(`UPDATE t SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`).run({ ...patch, id });
      return this.get(id)!;
    },
  };
}

function insert(id: string, step: Row['step'] = 'a'): void {
  db.prepare(`INSERT INTO t (id, step, log) VALUES (?, ?, '')`).run(id, step);
}

function spec(steps: Partial<Record<'a' | 'b' | 'c', StepFn<Row>>>, extra: Partial<FlowSpec<Row, 'a' | 'b' | 'c'>> = {}): FlowSpec<Row, 'a' | 'b' | 'c'> {
  const pass = (next: Row['step']): StepFn<Row> => async (row) => ({ step: next, log: `${row.log}${row.step}` });
  return {
    kind: 'test.flow',
    store: store(),
    idOf: (r) => r.id,
    stepOf: (r) => (r.step === 'done' || r.step === 'failed' || r.step === 'cancelled' ? null : r.step),
    steps: { a: pass('b'), b: pass('c'), c: pass('done'), ...steps },
    retry: { baseMs: 1, maxMs: 5, maxAttempts: 3 },
    record: {
      failed: (_row, error) => ({ step: 'failed', error: error instanceof AppError ? error.code : 'INTERNAL' }),
      retrying: (_row, { retryAt }) => ({ retry_at: retryAt.toISOString() }),
      resumed: () => ({ retry_at: null }),
      cancelled: () => ({ step: 'cancelled' }),
    },
    ...extra,
  };
}

const unlocked = (): SimpleUnlockGate => new SimpleUnlockGate(() => true);

describe('FlowEngine', () => {
  it('runs the steps in order and persists each result before the next step', async () => {
    const seen: string[] = [];
    const engine = new FlowEngine({ gate: unlocked(), log });
    const flows = engine.register(
      spec({
        b: async (row) => {
          seen.push((store().get(row.id) as Row).log); // a's result is in the file when b starts
          return { step: 'c', log: `${row.log}b` };
        },
      }),
    );
    insert('x');
    await flows.start('x');
    expect(store().get('x')).toMatchObject({ step: 'done', log: 'abc' });
    expect(seen).toEqual(['a']);
    await engine.close();
  });

  it('resumes after a crash at the step the file says, without redoing finished steps', async () => {
    insert('x');
    const first = new FlowEngine({ gate: unlocked(), log });
    const never = new Promise<never>(() => undefined);
    first.register(spec({ b: async (_row, ctx) => (await Promise.race([never, new Promise((r) => ctx.signal.addEventListener('abort', r))]), {}) }));
    void first.start('test.flow', 'x');
    await vi_waitFor(() => store().get('x')?.step === 'b');
    await first.close(); // "crash": the step is abandoned mid-way, nothing recorded
    expect(store().get('x')).toMatchObject({ step: 'b', log: 'a' });

    const ran: string[] = [];
    const second = new FlowEngine({ gate: unlocked(), log });
    second.register(spec({ a: async () => (ran.push('a'), { step: 'b' }) }));
    second.resume('test.flow');
    await vi_waitFor(() => store().get('x')?.step === 'done');
    expect(ran).toEqual([]);
    expect(store().get('x')?.log).toBe('abc');
    await second.close();
  });

  it('retries transient errors with backoff, records the retry, clears it on success', async () => {
    let calls = 0;
    const engine = new FlowEngine({ gate: unlocked(), log });
    const retryAts: (string | null)[] = [];
    const flows = engine.register(
      spec({
        b: async (row) => {
          calls += 1;
          retryAts.push(store().get(row.id)!.retry_at);
          if (calls < 3) throw new AppError('UNAVAILABLE', 'down');
          return { step: 'c' };
        },
      }),
    );
    insert('x');
    await flows.start('x');
    expect(calls).toBe(3);
    expect(retryAts[0]).toBeNull();
    expect(retryAts[1]).not.toBeNull();
    expect(store().get('x')).toMatchObject({ step: 'done', retry_at: null });
    await engine.close();
  });

  it('fails the flow when the attempts run out, and on a permanent or unexpected error at once', async () => {
    const engine = new FlowEngine({ gate: unlocked(), log });
    let calls = 0;
    const flows = engine.register(
      spec({
        a: async () => {
          calls += 1;
          throw new AppError('TIMEOUT', 'slow');
        },
        b: async () => {
          throw new AppError('UNAVAILABLE', 'gone for good', { details: { permanent: true } });
        },
        c: async () => {
          throw new TypeError('bug');
        },
      }),
    );
    insert('x');
    insert('y', 'b');
    insert('z', 'c');
    await Promise.all([flows.start('x'), flows.start('y'), flows.start('z')]);
    expect(calls).toBe(3);
    expect(store().get('x')).toMatchObject({ step: 'failed', error: 'TIMEOUT' });
    expect(store().get('y')).toMatchObject({ step: 'failed', error: 'UNAVAILABLE' });
    expect(store().get('z')).toMatchObject({ step: 'failed', error: 'INTERNAL' });
    expect(entries.some((e) => e.level === 'error' && e.msg.includes('unexpected'))).toBe(true);
    await engine.close();
  });

  it('waits for the unlock on VAULT_LOCKED without spending an attempt', async () => {
    let open = false;
    const gate = new SimpleUnlockGate(() => open);
    const engine = new FlowEngine({ gate, log });
    let calls = 0;
    const flows = engine.register(
      spec({
        b: async () => {
          calls += 1;
          if (!open) throw new AppError('VAULT_LOCKED', 'locked');
          return { step: 'c' };
        },
      }, { retry: { baseMs: 1, maxMs: 1, maxAttempts: 1 } }),
    );
    insert('x');
    const done = flows.start('x');
    await vi_waitFor(() => flows.status()[0]?.state === 'waiting-unlock');
    expect(store().get('x')?.step).toBe('b');
    open = true;
    gate.notify();
    await done;
    expect(calls).toBe(2);
    expect(store().get('x')?.step).toBe('done');
    await engine.close();
  });

  it('cancels a running flow and records it', async () => {
    const engine = new FlowEngine({ gate: unlocked(), log });
    const flows = engine.register(spec({ b: async (_row, ctx) => (await ctx.sleep(60_000), { step: 'c' }) }));
    insert('x');
    const done = flows.start('x');
    await vi_waitFor(() => flows.isRunning('x') && store().get('x')?.step === 'b');
    await flows.cancel('x');
    await done;
    expect(store().get('x')?.step).toBe('cancelled');
    await engine.close();
  });

  it('runs a waiting step again at the time it asked for', async () => {
    const engine = new FlowEngine({ gate: unlocked(), log });
    let calls = 0;
    const flows = engine.register(spec({ b: async (row, ctx) => (++calls < 2 ? ctx.wait(new Date(Date.now() + 20), 'phase not open', { log: `${row.log}w` }) : { step: 'c' }) }));
    insert('x');
    await flows.start('x');
    expect(calls).toBe(2);
    expect(store().get('x')).toMatchObject({ step: 'done', log: 'awc' });
    await engine.close();
  });

  it('ctx.call retries an inner call and gives up at the deadline', async () => {
    const engine = new FlowEngine({ gate: unlocked(), log });
    let n = 0;
    const flows = engine.register(
      spec({
        a: async (_row, ctx) => {
          const v = await ctx.call(async () => {
            n += 1;
            if (n < 3) throw new AppError('NETWORK_ERROR', 'blip');
            return 'ok';
          });
          return { step: 'b', log: v };
        },
        b: async (_row, ctx) => {
          await ctx.call(async () => {
            throw new AppError('UNAVAILABLE', 'down');
          }, { deadlineMs: Date.now() + 30 });
          return { step: 'c' };
        },
      }, { retry: { baseMs: 5, maxMs: 10, maxAttempts: 5 } }),
    );
    insert('x');
    await flows.start('x');
    expect(n).toBe(3);
    expect(store().get('x')).toMatchObject({ step: 'failed', log: 'ok', error: 'UNAVAILABLE' });
    await engine.close();
  });

  it('batches change events and carries the changed rows', async () => {
    const batches: Row[][] = [];
    const engine = new FlowEngine({ gate: unlocked(), log, batchMs: 20 });
    const flows = engine.register(spec({}, { onChanged: (rows) => batches.push(rows) }));
    insert('x');
    insert('y');
    await Promise.all([flows.start('x'), flows.start('y')]);
    await vi_waitFor(() => batches.length > 0);
    await new Promise((r) => setTimeout(r, 40));
    const last = new Map(batches.flat().map((r) => [r.id, r]));
    expect(last.get('x')?.step).toBe('done');
    expect(last.get('y')?.step).toBe('done');
    // six saves (3 steps × 2 flows) arrive in fewer events than saves
    expect(batches.length).toBeLessThan(6);
    await engine.close();
  });

  it('saves a row outside a step through the store and batches it into the change events', async () => {
    const batches: Row[][] = [];
    const engine = new FlowEngine({ gate: unlocked(), log, batchMs: 20 });
    const flows = engine.register(spec({}, { onChanged: (rows) => batches.push(rows) }));
    insert('x');
    expect(flows.save('x', { log: 'received' })).toMatchObject({ id: 'x', step: 'a', log: 'received' });
    expect(store().get('x')?.log).toBe('received');
    await vi_waitFor(() => batches.length > 0);
    expect(batches.flat().map((r) => [r.id, r.log])).toEqual([['x', 'received']]);
    await engine.close();
  });

  it('parks a step that neither advances nor waits instead of spinning', async () => {
    const engine = new FlowEngine({ gate: unlocked(), log });
    let calls = 0;
    const flows = engine.register(spec({ a: async () => (calls++, {}) }));
    insert('x');
    await flows.start('x');
    expect(calls).toBe(1);
    expect(flows.status()[0]?.state).toBe('stopped');
    expect(entries.some((e) => e.msg.includes('did not advance'))).toBe(true);
    await engine.close();
  });

  it('reports the last flow that ended', async () => {
    const engine = new FlowEngine({ gate: unlocked(), log });
    const flows = engine.register(spec({}, { describeEnd: (r) => ({ ok: r.step === 'done', detail: `ended ${r.step}` }) }));
    insert('x');
    await flows.start('x');
    expect(flows.lastActivity()).toMatchObject({ ok: true, detail: 'ended done' });
    await engine.close();
  });
});

async function vi_waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
