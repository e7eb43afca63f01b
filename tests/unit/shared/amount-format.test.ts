/** src-shared/format/amount.ts: every amount printed as a plain decimal with its unit, never in exponent form. */
import { describe, expect, it } from 'vitest';
import { amountText, isPositiveAmount, plainDecimal, SHORT_AMOUNT, sumAmounts } from '@shared/format/amount';

describe('plainDecimal', () => {
  it('writes tiny and huge numbers without an exponent (String(1e-7) is "1e-7")', () => {
    expect(String(1e-7)).toBe('1e-7');
    expect(plainDecimal(1e-7)).toBe('0.0000001');
    expect(plainDecimal(1.5e-10)).toBe('0.00000000015');
    expect(plainDecimal(5e-324)).toBe(`0.${'0'.repeat(323)}5`);
    expect(String(1.5e21)).toBe('1.5e+21');
    expect(plainDecimal(1.5e21)).toBe('1500000000000000000000');
    expect(plainDecimal(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(plainDecimal(-2.5e-8)).toBe('-0.000000025');
  });

  it('keeps decimal strings and bigints exact, and reads an exponent a number left in a string', () => {
    expect(plainDecimal('0.000000001')).toBe('0.000000001');
    expect(plainDecimal('123456789012345678901234567890.123456789')).toBe('123456789012345678901234567890.123456789');
    expect(plainDecimal('12.500')).toBe('12.5');
    expect(plainDecimal('1e-7')).toBe('0.0000001');
    expect(plainDecimal('2.5E+3')).toBe('2500');
    expect(plainDecimal('.5')).toBe('0.5');
    expect(plainDecimal(10n ** 30n)).toBe(`1${'0'.repeat(30)}`);
    expect(plainDecimal('-0.0')).toBe('0');
  });

  it('refuses what is not an amount', () => {
    for (const bad of ['', 'NaN', 'abc', '1.2.3', '1e', '0x10', NaN, Infinity, -Infinity]) expect(plainDecimal(bad)).toBeNull();
  });
});

describe('amountText', () => {
  it('tiny amounts: a plain decimal with the unit', () => {
    expect(amountText(1e-7, 'TAO')).toBe('0.0000001 TAO');
    expect(amountText('0.000000001', 'PRAC')).toBe('0.000000001 PRAC');
    expect(amountText('1e-7', 'PRAC')).toBe('0.0000001 PRAC');
  });

  it('huge amounts: every digit, thousands grouped, no exponent', () => {
    expect(amountText(1e21, 'TAO')).toBe('1,000,000,000,000,000,000,000 TAO');
    expect(amountText('123456789012345678901234.5', 'PRAC')).toBe('123,456,789,012,345,678,901,234.5 PRAC');
    expect(amountText(2n ** 70n, 'rao')).toBe('1,180,591,620,717,411,303,424 rao');
    expect(amountText('-1234567.25')).toBe('-1,234,567.25');
  });

  it('ordinary amounts as they are; no unit given: the number alone', () => {
    expect(amountText('12.5', 'PRAC')).toBe('12.5 PRAC');
    expect(amountText('0', 'PRAC')).toBe('0 PRAC');
    expect(amountText(999.5)).toBe('999.5');
    expect(amountText('1000')).toBe('1,000');
  });

  it('short: four digits after the point, but a tiny amount keeps two significant digits and never reads as 0', () => {
    expect(amountText(12.345678, 'PRAC', SHORT_AMOUNT)).toBe('12.3457 PRAC');
    expect(amountText(0.1 + 0.2, undefined, SHORT_AMOUNT)).toBe('0.3');
    expect(amountText(1e-7, 'PRAC', SHORT_AMOUNT)).toBe('0.0000001 PRAC');
    expect(amountText('0.000000123456', 'PRAC', SHORT_AMOUNT)).toBe('0.00000012 PRAC');
    expect(amountText(3e-7 + 1e-7, undefined, SHORT_AMOUNT)).toBe('0.0000004');
    expect(amountText('0.99999', undefined, SHORT_AMOUNT)).toBe('1');
    expect(amountText('9999.99999', undefined, SHORT_AMOUNT)).toBe('10,000');
    expect(amountText(1e21 + 0.5, 'TAO', SHORT_AMOUNT)).toBe('1,000,000,000,000,000,000,000 TAO');
    expect(amountText('-0.00004', undefined, { fractionDigits: 2 })).toBe('-0.00004');
    expect(amountText('-0.004', undefined, { fractionDigits: 0 })).toBe('-0.004');
    expect(amountText('-0.5', undefined, { fractionDigits: 0 })).toBe('-0.5');
    expect(amountText('-2.5', undefined, { fractionDigits: 0 })).toBe('-3');
  });

  it('what is not an amount reads as a dash, never "NaN"', () => {
    expect(amountText(NaN, 'PRAC')).toBe('—');
    expect(amountText('soon', 'PRAC')).toBe('—');
  });
});

describe('sumAmounts', () => {
  it('adds decimal amounts exactly', () => {
    expect(sumAmounts(['0.1', '0.2'])).toBe('0.3');
    expect(sumAmounts(['1', '2.500', '0.000000001'])).toBe('3.500000001');
    expect(sumAmounts([])).toBe('0');
    expect(sumAmounts(['0', '0.0'])).toBe('0');
    expect(sumAmounts(['100', 'NaN', '-1'])).toBe('100');
  });

  it('tiny and huge amounts stay plain and exact', () => {
    expect(sumAmounts(['0.0000001', '0.0000002'])).toBe('0.0000003');
    expect(sumAmounts(['1e-7', 1e-7])).toBe('0.0000002');
    expect(sumAmounts(['999999999999999999999999.999999999', '0.000000001'])).toBe('1000000000000000000000000');
  });
});

describe('isPositiveAmount', () => {
  it('a tiny payment counts; zero, negatives and words do not', () => {
    expect(isPositiveAmount('0.000000001')).toBe(true);
    expect(isPositiveAmount(1e-7)).toBe(true);
    for (const v of ['0', '0.000', '-1', 'NaN', 0]) expect(isPositiveAmount(v)).toBe(false);
  });
});
