/** Round scoring: prediction i is judged against the value revealed at tick i + 1. */
import { expect, it } from 'vitest';
import { demoSeries, scoreRound } from '@devnet/coordinator/rounds';

it('the demo series is deterministic and continues across rounds', () => {
  expect(demoSeries(0, 3)).toEqual([0, 2.0367, 3.9942]);
  expect(demoSeries(8, 4)).toEqual(demoSeries(0, 12).slice(8));
});

it('scores 1 for exact predictions, 1/(1+error) otherwise, 0 for missing or non-numeric ones', () => {
  const truth = [1, 2, 4];
  expect(scoreRound([2, 4, 99], truth)).toBe(1);
  expect(scoreRound([1, 2], truth)).toBeCloseTo((1 / 2 + 1 / 3) / 2, 12);
  expect(scoreRound([null, 'x'], truth)).toBe(0);
  expect(scoreRound([2n, { json: 4 }], truth)).toBe(0.5);
  expect(scoreRound([Number.NaN, 4], truth)).toBe(0.5);
  expect(scoreRound([1], [1])).toBe(0);
});
