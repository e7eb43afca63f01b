import { existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '@core/create-core';
import { CheckpointsRepo, type SubmissionRow } from '@core/checkpoints/checkpoints.repo';
import { tempDir } from '../../unit/vault/helpers';

/**
 * Issue 19: browser uploads that no submission used (a cancelled publish confirmation, a tab
 * closed before submitting, a kill mid-upload) stayed in `<data dir>/uploads` forever. A real core
 * started on a data folder with such uploads removes those older than the grace period (one day
 * by default) and never one that a submission which may still read it names.
 */
const DAY = 24 * 60 * 60 * 1000;
const dirs: { cleanup: () => void }[] = [];
let core: Core | undefined;

afterEach(async () => {
  await core?.close();
  core = undefined;
  dirs.splice(0).forEach((d) => d.cleanup());
});

function upload(dataDir: string, id: string, ageMs: number): string {
  const dir = join(dataDir, 'uploads', id);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'model.ckpt');
  writeFileSync(file, 'checkpoint bytes');
  const at = new Date(Date.now() - ageMs);
  utimesSync(file, at, at);
  utimesSync(dir, at, at);
  return file;
}

function submission(id: string, filePath: string, state: SubmissionRow['state']): SubmissionRow {
  const at = new Date(Date.now() - 3 * DAY).toISOString();
  return {
    id,
    networkId: 'practice',
    competitionId: 'practice-checkpoint',
    expertGroup: '0',
    filePath,
    fileSize: null,
    fileMtimeMs: null,
    sha256: null,
    hotkey: '5Hotkey',
    state,
    steps: [],
    commitTx: null,
    commitBlock: null,
    commitRound: null,
    publishUrl: null,
    submitBlock: null,
    submitMessage: null,
    submissionId: null,
    verdict: null,
    errorCode: state === 'failed' ? 'UNAVAILABLE' : null,
    errorMessage: state === 'failed' ? 'The validator is not running.' : null,
    createdAt: at,
    updatedAt: at,
  };
}

const open = (dataDir: string, home: string): Core => createCore({ dataDir, host: 'headless', version: 'test', logConsole: false, homeDir: home });

describe('abandoned browser uploads', () => {
  it('are removed at start after the grace period; uploads a live submission names, and recent ones, are kept', async () => {
    const data = tempDir('uploads-cleanup-data');
    const home = tempDir('uploads-cleanup-home');
    const outside = tempDir('uploads-cleanup-outside');
    dirs.push(data, home, outside);
    // A first start creates the database (its migrations); the rows are written while it is closed.
    core = open(data.path, home.path);
    await core.close();
    core = undefined;

    const abandoned = upload(data.path, 'abandoned', 2 * DAY);
    const recent = upload(data.path, 'recent', 60_000);
    const forRetry = upload(data.path, 'for-retry', 2 * DAY);
    const judged = upload(data.path, 'judged', 2 * DAY);
    // Cut off by a kill mid-upload: a folder with a partial file, no submission.
    const partial = upload(data.path, 'partial', 2 * DAY);
    // Not an upload folder: a link to a folder outside, which must not be followed.
    writeFileSync(join(outside.path, 'keep.bin'), 'not Minerva’s');
    symlinkSync(outside.path, join(data.path, 'uploads', 'link'));
    const db = new Database(join(data.path, 'minerva.db'));
    const repo = new CheckpointsRepo(db);
    repo.save(submission('00000000-0000-4000-8000-000000000001', forRetry, 'failed'));
    repo.save(submission('00000000-0000-4000-8000-000000000002', judged, 'accepted'));
    db.close();

    core = open(data.path, home.path);
    await expect.poll(() => existsSync(abandoned), { timeout: 15_000 }).toBe(false);
    expect(existsSync(partial)).toBe(false);
    expect(existsSync(judged)).toBe(false);
    expect(existsSync(forRetry)).toBe(true);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(join(data.path, 'uploads', 'link'))).toBe(true);
    expect(existsSync(join(outside.path, 'keep.bin'))).toBe(true);
  });
});
