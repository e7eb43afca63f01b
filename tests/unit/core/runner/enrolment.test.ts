/**
 * The enrolment row as the flow engine sees it, over a real SQLite file: what a start in a new
 * process runs again, the FlowStore's saves surviving a reopen, and which errors the engine
 * retries, waits on (the unlock gate) or ends the flow with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { MIGRATIONS } from '@core/create-core';
import { openDatabase } from '@core/db/open';
import type { Db } from '@core/db/open';
import { permanent } from '@core/kernel/flow-engine';
import { currentStep, enrolmentId, enrolmentStore, newEnrolment, resetSteps, rowForStart, withStep } from '@core/runner/enrolment';
import { classifyEnrolmentError } from '@core/runner/enrolment-flow';
import { RunnerRepo, type EnrolmentRow, type StepRow } from '@core/runner/runner.repo';

const NOW = new Date('2026-12-01T00:00:00.000Z');
let dir: string;
let db: Db;
const open = (): Db => openDatabase(join(dir, 'minerva.db'), MIGRATIONS);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minerva-enrolment-'));
  db = open();
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const states = (steps: StepRow[]): string[] => steps.map((s) => `${s.id}:${s.state}`);

function stored(patch: Partial<EnrolmentRow> = {}): EnrolmentRow {
  return { ...newEnrolment('practice', 'c1', 'm1', NOW), ...patch };
}

function allDone(): StepRow[] {
  return stored().steps.map((s) => ({ ...s, state: 'done' as const }));
}

describe('the row a runner starts from', () => {
  it('runs again what was running and what lives in memory or on chain; keeps finished certificate and message', () => {
    let steps = withStep(stored().steps, 'tls-key', 'done', 'Key a');
    steps = withStep(steps, 'chain', 'done', 'on chain');
    steps = withStep(steps, 'certificate', 'done', 'valid');
    steps = withStep(steps, 'message', 'running', null);
    steps = withStep(steps, 'listen', 'done', 'listening');
    const row = rowForStart(stored({ steps, certPem: 'PEM', messageJson: '{}' }), { networkId: 'practice', competitionId: 'c1', modelId: 'm1' }, NOW);
    expect(states(row.steps)).toEqual(['tls-key:pending', 'chain:pending', 'certificate:done', 'message:pending', 'listen:pending']);
    expect(row.certPem).toBe('PEM');
    expect(currentStep(row)).toBe('tls-key');
  });

  it('another model id in the catalogue enrols again from the start, keeping the sealed key', () => {
    const steps = allDone();
    const row = rowForStart(stored({ steps, certPem: 'PEM', messageJson: '{}', tlsKeySealed: Uint8Array.of(1, 2, 3) }), { networkId: 'practice', competitionId: 'c1', modelId: 'm2' }, NOW);
    expect(row.modelId).toBe('m2');
    expect(row.steps.every((s) => s.state === 'pending')).toBe(true);
    expect(row.certPem).toBeNull();
    expect(row.messageJson).toBeNull();
    expect(row.tlsKeySealed).toEqual(Uint8Array.of(1, 2, 3));
  });
});

describe('the FlowStore over runner_enrolments', () => {
  it('saves patches in the file: a reopened database has the step the flow was at', () => {
    const repo = new RunnerRepo(db);
    repo.save(stored());
    const id = enrolmentId('practice', 'c1');
    const store = enrolmentStore(repo, () => NOW);
    let row = store.save(id, { steps: withStep(store.get(id)!.steps, 'tls-key', 'done', 'Key a') });
    row = store.save(id, { listenPort: 4242, steps: withStep(row.steps, 'chain', 'done', 'on chain') });
    expect(currentStep(row)).toBe('certificate');
    expect(store.unfinished().map((r) => r.competitionId)).toEqual(['c1']);

    db.close();
    db = open();
    const again = enrolmentStore(new RunnerRepo(db), () => NOW);
    const reopened = again.get(id)!;
    expect(currentStep(reopened)).toBe('certificate');
    expect(reopened.listenPort).toBe(4242);
    expect(reopened.steps.find((s) => s.id === 'chain')?.detail).toBe('on chain');

    again.save(id, { steps: allDone() });
    expect(again.unfinished()).toEqual([]);
    again.save(id, { steps: resetSteps(again.get(id)!.steps, ['certificate', 'message', 'listen']) });
    expect(currentStep(again.get(id)!)).toBe('certificate');
  });

  it('names rows by network and competition, whatever characters they hold', () => {
    const repo = new RunnerRepo(db);
    repo.save(newEnrolment('custom/"x"', 'c:1', 'm1', NOW));
    const store = enrolmentStore(repo, () => NOW);
    expect(store.get(enrolmentId('custom/"x"', 'c:1'))?.competitionId).toBe('c:1');
    expect(store.get(enrolmentId('custom', 'c:1'))).toBeUndefined();
  });
});

describe('what the engine does with an enrolment error', () => {
  it('waits for the unlock, retries what may pass, ends the flow on what will not', () => {
    expect(classifyEnrolmentError(new AppError('VAULT_LOCKED', 'Unlock your wallet.'))).toBe('unlock');
    expect(classifyEnrolmentError(new AppError('UNAVAILABLE', 'The certificate service is not running yet.'))).toBe('retry');
    expect(classifyEnrolmentError(new AppError('NETWORK_ERROR', 'The chain did not answer.'))).toBe('retry');
    expect(classifyEnrolmentError(new AppError('CONFLICT', 'Model id m1 belongs to another runner wallet on chain.'))).toBe('fail');
    expect(classifyEnrolmentError(new AppError('CERT_INVALID', 'The certificate is not for this key.'))).toBe('fail');
    expect(classifyEnrolmentError(new AppError('VAULT_MISSING', 'Your wallet has no runner wallet.'))).toBe('fail');
    expect(classifyEnrolmentError(permanent('UNAVAILABLE', 'gone for good'))).toBe('fail');
    expect(classifyEnrolmentError(new Error('a bug'))).toBe('fail');
  });
});
