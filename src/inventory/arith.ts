/**
 * Exact integer arithmetic for quantities and money. Nothing here touches a float: values beyond 2^53
 * are ordinary.
 */

/**
 * `numerator / denominator` rounded to the nearest integer, ties to even (banker's rounding): unbiased
 * over many roundings, and symmetric in sign, so rounding `-x` gives `-round(x)`. The denominator is
 * never zero in this module's callers (they divide by a non-zero on-hand quantity or unit count).
 */
export function divRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('divRoundHalfEven: zero denominator');
  let n = numerator;
  let d = denominator;
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncates toward zero
  const r = n % d; // carries n's sign
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  if (twice > d || (twice === d && q % 2n !== 0n)) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/** A decimal quantity as an exact fraction `numerator / denominator`, denominator a power of ten. */
export interface ExactDecimal {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** What callers may pass as a quantity: an integer, or a decimal written out (`"2.5"`, as HL7 sends it). */
export type QuantityInput = bigint | number | string;

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/**
 * Reads a quantity exactly, or returns `null` when it is not a plain decimal. Numbers must be safe
 * integers or print as plain decimals (no exponent): a float such as 1e21 has already lost digits.
 */
export function parseExactDecimal(input: QuantityInput): ExactDecimal | null {
  if (typeof input === 'bigint') return { numerator: input, denominator: 1n };
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return null;
    if (Number.isInteger(input)) {
      return Number.isSafeInteger(input) ? { numerator: BigInt(input), denominator: 1n } : null;
    }
  }
  const m = DECIMAL.exec(String(input).trim());
  if (m === null) return null;
  const fraction = m[3] ?? '';
  const magnitude = BigInt((m[2] ?? '') + fraction);
  return { numerator: m[1] === '-' ? -magnitude : magnitude, denominator: 10n ** BigInt(fraction.length) };
}
