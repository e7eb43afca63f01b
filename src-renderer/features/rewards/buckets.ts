import type { RewardEntry, RewardsRange } from '@shared/contract/rewards';

export interface Bucket {
  start: number;
  label: string;
  total: number;
}

/** Rewards summed per hour (day range) or per day (week range), oldest first, empty buckets kept. */
export function bucketRewards(entries: readonly RewardEntry[], range: RewardsRange, now: number): Bucket[] {
  const size = range === 'day' ? 3_600_000 : 86_400_000;
  const count = range === 'day' ? 24 : 7;
  const end = Math.floor(now / size) * size + size;
  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => {
    const start = end - (count - i) * size;
    const d = new Date(start);
    const label = range === 'day' ? `${String(d.getHours()).padStart(2, '0')}:00` : d.toLocaleDateString(undefined, { weekday: 'short' });
    return { start, label, total: 0 };
  });
  for (const e of entries) {
    const t = Date.parse(e.at);
    const i = Math.floor((t - (end - count * size)) / size);
    const bucket = buckets[i];
    if (bucket) bucket.total += Number(e.amount);
  }
  return buckets;
}
