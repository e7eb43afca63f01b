/**
 * The one way Minerva writes an amount of tokens, in every page, the CLI, the tray and core's
 * messages: a plain decimal with its unit after it — never `1e-7` or `1.5e+21`, which is what a
 * JavaScript number turns into when it is printed as it is.
 *
 *   amountText("0.0000001", "PRAC")            "0.0000001 PRAC"
 *   amountText(1e21, "TAO")                     "1,000,000,000,000,000,000,000 TAO"
 *   amountText(12.345678, "PRAC", { fractionDigits: 4 })   "12.3457 PRAC"
 *   sumAmounts(["0.1", "0.2"])                 "0.3" (exact, no float rounding)
 *
 * Amounts travel as decimal strings (the contract's `amount`, `balance`); sums are taken on those
 * strings exactly. A number is accepted where a chart has only one (its scale, a bar's total).
 * Pure (no Intl, no DOM): the same answer in the renderer, in core and in tests.
 */

export type AmountValue = number | bigint | string;

/** An amount as sign, all its digits and how many of them are after the point: -12.5 = {neg, 125n, 1}. */
interface Fixed {
  negative: boolean;
  digits: bigint;
  scale: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/u;
const LEADING_DOT = /^([+-]?)\.(\d+)(?:[eE]([+-]?\d+))?$/u;

function parse(value: AmountValue): Fixed | null {
  if (typeof value === 'bigint') return { negative: value < 0n, digits: value < 0n ? -value : value, scale: 0 };
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  // String(number) is the shortest text that reads back as the same number ("1e-7", "0.1", "1.5e+21").
  const written = (typeof value === 'number' ? String(value) : value).trim();
  let sign: string;
  let whole: string;
  let frac: string;
  let exp: string | undefined;
  const m = DECIMAL.exec(written);
  if (m) {
    [, sign = '', whole = '0', frac = '', exp] = m;
  } else {
    const d = LEADING_DOT.exec(written);
    if (!d) return null;
    [, sign = '', frac = '', exp] = d;
    whole = '0';
  }
  const shift = exp === undefined ? 0 : Number(exp);
  if (!Number.isSafeInteger(shift) || Math.abs(shift) > 1000) return null;
  let digits = BigInt(`${whole}${frac}`);
  let scale = frac.length - shift;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { negative: sign === '-' && digits !== 0n, digits, scale };
}

/** Drops zeros after the point that say nothing (12.500 → 12.5). */
function trim(f: Fixed): Fixed {
  let { digits, scale } = f;
  while (scale > 0 && digits % 10n === 0n) {
    digits /= 10n;
    scale -= 1;
  }
  return { negative: f.negative && digits !== 0n, digits, scale };
}

function rescale(f: Fixed, scale: number): bigint {
  return f.digits * 10n ** BigInt(scale - f.scale);
}

function text(f: Fixed, group: boolean): string {
  const all = f.digits.toString().padStart(f.scale + 1, '0');
  const whole = all.slice(0, all.length - f.scale);
  const frac = all.slice(all.length - f.scale);
  const grouped = group ? whole.replace(/\B(?=(\d{3})+(?!\d))/gu, ',') : whole;
  return `${f.negative ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/**
 * The amount as a plain decimal string ("0.0000001", "1500000000000000000000", "-2.5"), exact for
 * strings and bigints and for a number as JavaScript prints it; null when it is not a finite amount.
 */
export function plainDecimal(value: AmountValue): string | null {
  const f = parse(value);
  return f ? text(trim(f), false) : null;
}

/**
 * Exact sum of non-negative amounts ("1.25" + "0.5" = "1.75"), as a plain decimal string.
 * Anything that is not a non-negative amount ("NaN", "-1", "") is left out.
 */
export function sumAmounts(amounts: readonly AmountValue[]): string {
  const valid = amounts.map(parse).filter((f): f is Fixed => f !== null && !f.negative);
  const scale = Math.max(0, ...valid.map((f) => f.scale));
  const total = valid.reduce((sum, f) => sum + rescale(f, scale), 0n);
  return text(trim({ negative: false, digits: total, scale }), false);
}

/** Whether an amount is more than zero ("0.0000001" is; "0", "0.000", "-1" and garbage are not). */
export function isPositiveAmount(value: AmountValue): boolean {
  const f = parse(value);
  return f !== null && !f.negative && f.digits > 0n;
}

export interface AmountTextOptions {
  /**
   * Round to at most this many digits after the point (default: every digit the amount has).
   * An amount below 1 keeps its first two significant digits however small it is, so a tiny
   * payment never reads as "0": 0.000000123 → "0.00000012".
   */
  fractionDigits?: number;
}

/** Pages and sentences: four digits after the point at most (a tiny amount keeps two significant ones). */
export const SHORT_AMOUNT: AmountTextOptions = { fractionDigits: 4 };

/**
 * An amount for people: a plain decimal with thousands grouped ("12,345.6"), then its unit when
 * one is given. Not an amount (NaN, Infinity, a word): "—".
 */
export function amountText(value: AmountValue, symbol?: string, options: AmountTextOptions = {}): string {
  const parsed = parse(value);
  if (!parsed) return '—';
  let f = trim(parsed);
  const max = options.fractionDigits;
  if (max !== undefined && f.scale > max) {
    let keep = Math.max(0, Math.floor(max));
    const scaleOfOne = 10n ** BigInt(f.scale);
    if (f.digits > 0n && f.digits < scaleOfOne) {
      // Below 1: where its first significant digit is (0.000000123 → the 7th after the point).
      const firstSignificant = f.scale - f.digits.toString().length + 1;
      keep = Math.max(keep, firstSignificant + 1);
    }
    if (f.scale > keep) {
      const drop = 10n ** BigInt(f.scale - keep);
      const rounded = (f.digits + drop / 2n) / drop; // half up, away from zero (digits are unsigned)
      f = trim({ negative: f.negative, digits: rounded, scale: keep });
    }
  }
  const shown = text(f, true);
  return symbol ? `${shown} ${symbol}` : shown;
}
