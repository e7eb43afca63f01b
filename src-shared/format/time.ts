/**
 * The one way Minerva writes a moment and a length of time, in every page, the CLI and core's
 * messages: 24-hour clock, ISO-like date, local time (UTC when asked, and then it says so).
 *
 *   formatClock  a moment        "14:05:09" today, "2026-12-06 14:05" on another day
 *   formatDuration  a length     "850 ms", "12 s", "4 min 30 s", "2 h 5 min", "3 d 4 h"
 *   formatBlocks  blocks in time "30 blocks (about 1 min)"
 *
 * Pure (no Intl, no DOM): the same answer in the renderer, in core and in tests.
 */

export interface ClockOptions {
  /** Compare against this moment to decide "today" (default: now). */
  now?: number | Date;
  /** Write the moment in UTC (and say " UTC"); default local time. */
  utc?: boolean;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function toMs(at: string | number | Date): number {
  if (typeof at === 'number') return at;
  if (at instanceof Date) return at.getTime();
  return Date.parse(at);
}

interface Parts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

function parts(ms: number, utc: boolean): Parts {
  const t = new Date(ms);
  return utc
    ? { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() }
    : { y: t.getFullYear(), mo: t.getMonth() + 1, d: t.getDate(), h: t.getHours(), mi: t.getMinutes(), s: t.getSeconds() };
}

/** A moment: "14:05:09" when it is today, else "2026-12-06 14:05"; an em dash when missing or unreadable. */
export function formatClock(at: string | number | Date | null | undefined, options: ClockOptions = {}): string {
  if (at === null || at === undefined || at === '') return '—';
  const ms = toMs(at);
  if (!Number.isFinite(ms)) return typeof at === 'string' ? at : '—';
  const utc = options.utc ?? false;
  const p = parts(ms, utc);
  const n = parts(options.now === undefined ? Date.now() : toMs(options.now), utc);
  const today = p.y === n.y && p.mo === n.mo && p.d === n.d;
  const zone = utc ? ' UTC' : '';
  if (today) return `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${zone}`;
  return `${p.y}-${pad(p.mo)}-${pad(p.d)} ${pad(p.h)}:${pad(p.mi)}${zone}`;
}

/** A length of time in its two largest units: "850 ms", "12 s", "4 min 30 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${abs < 10 ? abs.toFixed(1).replace(/\.0$/u, '') : Math.round(abs)} ms`;
  if (abs < 59_500) return `${sign}${abs < 10_000 ? (Math.round(abs / 100) / 10).toString() : Math.round(abs / 1000)} s`;
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  const seconds = Math.round(abs / 1000) * 1000;
  const i = units.findIndex(([size]) => seconds >= size);
  const [big, bigName] = units[i]!;
  const [small, smallName] = units[i + 1]!;
  const first = Math.floor(seconds / big);
  const second = Math.floor((seconds - first * big) / small);
  return `${sign}${first} ${bigName}${second > 0 ? ` ${second} ${smallName}` : ''}`;
}

/** Blocks with the time they take: "30 blocks (about 1 min)"; blocks alone when the block time is unknown. */
export function formatBlocks(blocks: number, blockMs: number | null | undefined): string {
  const count = `${blocks} block${blocks === 1 ? '' : 's'}`;
  if (!blockMs || blockMs <= 0) return count;
  return `${count} (about ${formatDuration(blocks * blockMs)})`;
}
