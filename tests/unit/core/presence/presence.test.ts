import { describe, expect, it } from 'vitest';
import { presenceOf, type PresenceInputs } from '@core/presence/presence';

const base: PresenceInputs = {
  host: 'electron',
  wallet: { state: 'locked', mining: true },
  memberships: ['joined', 'joined', 'left'],
  networkName: 'Practice network',
  paid: { amounts: ['1.25', '0.5', '0'], symbol: 'PRAC' },
  now: new Date('2026-12-06T14:00:00Z'),
};

describe('presence', () => {
  it('is mining with the work keys in memory and a competition joined', () => {
    expect(presenceOf(base)).toEqual({
      host: 'electron',
      state: 'mining',
      headline: 'Mining — 2 competitions',
      next: null,
      workKeysInMemory: true,
      walletUnlocked: false,
      networkName: 'Practice network',
      competitions: { joined: 2, joining: 0, failed: 0 },
      earnedToday: { amount: '1.75', symbol: 'PRAC' },
      updatedAt: '2026-12-06T14:00:00.000Z',
    });
    expect(presenceOf({ ...base, wallet: { state: 'unlocked', mining: false }, memberships: ['joined', 'joining', 'failed'] })).toMatchObject({
      state: 'mining',
      headline: 'Mining — 1 competition, 1 joining',
      walletUnlocked: true,
      competitions: { joined: 1, joining: 1, failed: 1 },
    });
  });

  it('is paused while locked without the work keys, whatever is joined', () => {
    const paused = presenceOf({ ...base, wallet: { state: 'locked', mining: false } });
    expect(paused).toMatchObject({ state: 'paused', headline: 'Mining paused — wallet locked', workKeysInMemory: false });
    expect(paused.next).toMatch(/password/);
  });

  it('is idle with the keys and nothing joined (or memberships unknown)', () => {
    expect(presenceOf({ ...base, memberships: ['left', 'failed'] })).toMatchObject({ state: 'idle', headline: 'Not mining', next: 'Join a competition to start mining.' });
    expect(presenceOf({ ...base, memberships: null, networkName: null, paid: null })).toMatchObject({ state: 'idle', earnedToday: null, networkName: null });
  });

  it('says when there is no wallet, or it is damaged', () => {
    expect(presenceOf({ ...base, wallet: { state: 'missing', mining: false } })).toMatchObject({ state: 'no-wallet', headline: 'Not set up' });
    const damaged = presenceOf({ ...base, wallet: { state: 'corrupt', mining: false } });
    expect(damaged).toMatchObject({ state: 'no-wallet', headline: 'Wallet damaged' });
    expect(damaged.next).toMatch(/backup/);
  });

  it('sums the last 24 hours exactly, tiny payments included, as a plain decimal', () => {
    // Per-competition amounts once arrived as String(number): "1e-7" was left out of the sum.
    expect(presenceOf({ ...base, paid: { amounts: ['0.0000001', '1e-7', '0.1', '0.2'], symbol: 'PRAC' } }).earnedToday).toEqual({ amount: '0.3000002', symbol: 'PRAC' });
    expect(presenceOf({ ...base, paid: { amounts: ['123456789012345678901234', '0.000000001'], symbol: 'TAO' } }).earnedToday).toEqual({ amount: '123456789012345678901234.000000001', symbol: 'TAO' });
  });
});
