/**
 * Exact money: integers of minor units with a fixed decimal scale per currency. Nothing here touches a
 * float; formatting and parsing work on the digits.
 */

import { CrosswalkError } from '../errors/index.ts';
import type { Currency, MinorUnits } from './model.ts';

/** The currencies the demo and the tests book in; a deployment passes its own list to the context. */
export const DEFAULT_CURRENCIES: readonly Currency[] = [{ code: 'USD', scale: 2 }];

/**
 * The largest amount a single line may carry: the top of a signed 64-bit `BIGINT` column, so any line
 * fits both database engines. Totals are computed in `bigint` and are not bounded.
 */
export const MAX_LINE_AMOUNT: MinorUnits = 2n ** 63n - 1n;

export function assertScale(scale: number, currency: string): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > 18) {
    throw new CrosswalkError('CW_ERR_LEDGER_BAD_SETUP', {
      reason: `currency ${currency} has scale ${scale}; expected an integer in 0..18`,
    });
  }
}

/**
 * `1234n`, scale 2 → `12.34`; `-5n` → `-0.05`; `0n` → `0.00`; scale 0 → `1234`. No grouping separators:
 * the output is read back by machines (hledger, ERP import files) as often as by people.
 */
export function formatMinor(amount: MinorUnits, scale: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString();
  if (scale === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(scale + 1, '0');
  const whole = padded.slice(0, padded.length - scale);
  const fraction = padded.slice(padded.length - scale);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** `formatMinor` followed by the currency code, the way hledger and most ERP files expect it. */
export function formatAmount(amount: MinorUnits, currency: Currency): string {
  return `${formatMinor(amount, currency.scale)} ${currency.code}`;
}

/**
 * The inverse of `formatMinor`: `'12.34'` at scale 2 → `1234n`. Refuses more decimals than the scale
 * rather than rounding: a value that cannot be represented exactly is an input error.
 */
export function parseMinor(text: string, scale: number): MinorUnits {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m)
    throw new CrosswalkError('CW_ERR_LEDGER_BAD_AMOUNT', { amount: text, reason: 'not a decimal number' });
  const fraction = m[3] ?? '';
  if (fraction.length > scale) {
    throw new CrosswalkError('CW_ERR_LEDGER_BAD_AMOUNT', {
      amount: text,
      reason: `more than ${scale} decimal places`,
    });
  }
  const value = BigInt(`${m[2]}${fraction.padEnd(scale, '0')}`);
  return m[1] ? -value : value;
}
