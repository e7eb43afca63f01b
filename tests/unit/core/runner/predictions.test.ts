/**
 * Predictions as coordinator calls reveal them, in a real SQLite file: each predict stored with
 * its tick, scored 1 / (1 + |error|) by the next tick's value, the newest `keep` kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '@core/create-core';
import { openDatabase, type Db } from '@core/db/open';
import { PredictionTracker, predictionNumber } from '@core/runner/predictions';
import { RunnerRepo } from '@core/runner/runner.repo';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'minerva-predictions-'));
  db = openDatabase(join(dir, 'minerva.db'), MIGRATIONS);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PredictionTracker', () => {
  it('scores a prediction by the next tick and keeps only the newest', () => {
    const repo = new RunnerRepo(db);
    const tracker = new PredictionTracker(repo, 'c1', () => new Date('2026-12-01T00:00:00.000Z'), 3);
    tracker.setup();
    for (let tick = 1; tick <= 5; tick += 1) {
      tracker.observe('tick', [tick], null);
      tracker.observe('predict', [], { predictions: { value: { mean: [tick + 0.5] } } });
    }
    tracker.observe('tick', [{ value: 7.5 }], null);
    const kept = repo.predictions('c1', 10);
    expect(kept.map((p) => p.tick)).toEqual([5, 4, 3]);
    expect(kept[0]!.score).toBeCloseTo(1 / (1 + Math.abs(5.5 - 7.5)));
    expect(kept[1]!.score).toBeCloseTo(1 / (1 + Math.abs(4.5 - 5)));
  });

  it('reads a plain number or the demo model’s mean, nothing else', () => {
    expect(predictionNumber(3.25)).toBe(3.25);
    expect(predictionNumber({ predictions: { value: { mean: [1.5, 2] } } })).toBe(1.5);
    expect(predictionNumber('3')).toBeNull();
    expect(predictionNumber(Number.NaN)).toBeNull();
  });
});
