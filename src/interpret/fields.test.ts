import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import { DEFAULT_DELIMITERS, Segment } from '../hl7v2/index.ts';
import { minorDigits } from '../mapping/index.ts';
import { type Amount, money, quantity } from './fields.ts';

/**
 * Amounts and quantities are read by hand (no regexes on the hot path). These hold the readers to the
 * regular expressions that define them, on values built from the characters that matter.
 */

/** The definition of an NM quantity. */
function quantityByPattern(raw: string, position: string): number | null {
  const v = raw.trim();
  if (v === '') return null;
  if (!/^[+-]?(\d{1,12}(\.\d{0,6})?|\.\d{1,6})$/.test(v)) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_QUANTITY', {
      value: v.slice(0, 30),
      position,
      reason: 'not a number',
    });
  }
  return Number(v);
}

/** The definition of a CP/MO amount: `1234.50&USD` in the first component. */
function moneyByPattern(v: string, currencyText: string, position: string, dflt: string): Amount | null {
  if (v === '') return null;
  const currency = currencyText === '' ? null : currencyText;
  const cur = currency ?? dflt;
  const digits = minorDigits(cur);
  const m = /^([+-]?)(\d{1,15})(?:\.(\d*))?$/.exec(v);
  const frac = (m?.[3] ?? '').replace(/0+$/, '');
  if (m === null || frac.length > digits) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_AMOUNT', {
      value: v.slice(0, 30),
      position,
      reason: m === null ? 'not a decimal amount' : `${cur} has ${digits} decimals`,
    });
  }
  if (currency !== null && !/^[A-Z]{3}$/.test(currency)) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_AMOUNT', {
      value: v.slice(0, 30),
      position,
      reason: `currency ${currency.slice(0, 10)} is not an ISO 4217 code`,
    });
  }
  const minor = BigInt(m[2]!) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, '0') || '0');
  return { amount: m[1] === '-' ? -minor : minor, currency };
}

function outcome(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (e) {
    assert.ok(e instanceof CrosswalkError, String(e));
    return { code: e.code, message: e.message, params: e.params };
  }
}

const numberText = fc
  .array(fc.constantFrom('0', '1', '5', '9', '00', '.', '+', '-', ' ', 'e', 'x', '٣', '123456', '000000'), {
    maxLength: 8,
  })
  .map((xs) => xs.join(''));

test('quantity reads exactly what its pattern defines', () => {
  fc.assert(
    fc.property(numberText, (v) => {
      assert.deepEqual(
        outcome(() => quantity(v, 'FT1-10')),
        outcome(() => quantityByPattern(v, 'FT1-10')),
      );
    }),
    { seed: 11, numRuns: 5000 },
  );
});

test('money reads exactly what its pattern defines, in each currency scale', () => {
  const currencies = fc.constantFrom('', 'USD', 'JPY', 'KWD', 'usd', 'US', 'EURO', 'constructor');
  fc.assert(
    fc.property(numberText, currencies, fc.constantFrom('USD', 'JPY', 'BHD'), (v, cur, dflt) => {
      const field = cur === '' ? v : `${v}&${cur}`;
      const seg = new Segment(`FT1|${field}`, DEFAULT_DELIMITERS);
      const expected = outcome(() => moneyByPattern(v.trim(), cur.trim(), 'FT1-1', dflt));
      assert.deepEqual(
        outcome(() => money(seg, 1, 'FT1-1', dflt)),
        expected,
      );
    }),
    { seed: 12, numRuns: 5000 },
  );
  // Long amounts take the string path to BigInt; the sign applies to the whole.
  const seg = new Segment('FT1|-999999999999999.99&USD', DEFAULT_DELIMITERS);
  assert.deepEqual(money(seg, 1, 'FT1-1', 'USD'), { amount: -99999999999999999n, currency: 'USD' });
});
