import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { divRoundHalfEven, parseExactDecimal } from './arith.ts';

test('divRoundHalfEven rounds to nearest, ties to even, symmetric in sign', () => {
  const cases: [bigint, bigint, bigint][] = [
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [1n, 2n, 0n],
    [3n, 2n, 2n],
    [5n, 2n, 2n],
    [7n, 2n, 4n],
    [-1n, 2n, 0n],
    [-3n, 2n, -2n],
    [-5n, 2n, -2n],
    [-2n, 3n, -1n],
    [5n, -2n, -2n],
    [10n, 5n, 2n],
    [0n, 7n, 0n],
  ];
  for (const [n, d, want] of cases) assert.equal(divRoundHalfEven(n, d), want, `${n}/${d}`);
  assert.throws(() => divRoundHalfEven(1n, 0n), RangeError);
});

test('divRoundHalfEven is exact beyond 2^53 and never more than half away', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
      fc.bigInt({ min: 1n, max: 2n ** 70n }),
      (n, d) => {
        const r = divRoundHalfEven(n, d);
        const err = n - r * d; // |err| <= d/2
        assert.ok(2n * (err < 0n ? -err : err) <= d);
        assert.equal(divRoundHalfEven(-n, d), -r);
      },
    ),
    { seed: 20250106, numRuns: 500 },
  );
  const big = 2n ** 64n + 1n;
  assert.equal(divRoundHalfEven(big * 3n, 3n), big);
});

test('parseExactDecimal reads integers and plain decimals exactly, refuses the rest', () => {
  assert.deepEqual(parseExactDecimal(3n), { numerator: 3n, denominator: 1n });
  assert.deepEqual(parseExactDecimal(12), { numerator: 12n, denominator: 1n });
  assert.deepEqual(parseExactDecimal('2.50'), { numerator: 250n, denominator: 100n });
  assert.deepEqual(parseExactDecimal(' -1.5 '), { numerator: -15n, denominator: 10n });
  assert.deepEqual(parseExactDecimal(0.25), { numerator: 25n, denominator: 100n });
  assert.deepEqual(parseExactDecimal('98765432109876543210'), {
    numerator: 98765432109876543210n,
    denominator: 1n,
  });
  for (const bad of [
    '',
    '1e3',
    'abc',
    '1.',
    '.5',
    '1,5',
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 60,
    1e-7,
  ]) {
    assert.equal(parseExactDecimal(bad as never), null, String(bad));
  }
});
