import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import { formatAmount, formatMinor, MAX_LINE_AMOUNT, parseMinor } from './money.ts';

test('formatMinor places the decimal point by scale, with sign and leading zeros', () => {
  assert.equal(formatMinor(1234n, 2), '12.34');
  assert.equal(formatMinor(-1234n, 2), '-12.34');
  assert.equal(formatMinor(0n, 2), '0.00');
  assert.equal(formatMinor(5n, 2), '0.05');
  assert.equal(formatMinor(-5n, 2), '-0.05');
  assert.equal(formatMinor(100n, 2), '1.00');
  assert.equal(formatMinor(1234n, 0), '1234');
  assert.equal(formatMinor(-7n, 0), '-7');
  assert.equal(formatMinor(450n, 3), '0.450');
  assert.equal(formatMinor(MAX_LINE_AMOUNT, 2), '92233720368547758.07');
  assert.equal(formatAmount(1234n, { code: 'USD', scale: 2 }), '12.34 USD');
});

test('parseMinor reads exact decimals and refuses what it cannot represent', () => {
  assert.equal(parseMinor('12.34', 2), 1234n);
  assert.equal(parseMinor('12.3', 2), 1230n);
  assert.equal(parseMinor('12', 2), 1200n);
  assert.equal(parseMinor('-0.05', 2), -5n);
  assert.equal(parseMinor('9007199254740993', 0), 9007199254740993n);
  for (const bad of ['12.345', '1e3', '', '12.', '.5', '1,000.00', 'USD']) {
    assert.throws(
      () => parseMinor(bad, 2),
      (e: unknown) => e instanceof CrosswalkError && e.code === 'CW_ERR_LEDGER_BAD_AMOUNT',
      bad,
    );
  }
});

test('formatMinor and parseMinor are inverse for any amount and scale', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
      fc.integer({ min: 0, max: 6 }),
      (n, scale) => {
        assert.equal(parseMinor(formatMinor(n, scale), scale), n);
      },
    ),
    { seed: 20261101, numRuns: 500 },
  );
});
