import assert from 'node:assert/strict';
import { test } from 'node:test';
import { post } from './post.ts';
import { positionOf } from './state.ts';
import { count, issue, receipt, run, testCatalog, transfer } from './testing.ts';
import { returnValue, shareOf, valueAtAverage } from './valuation.ts';

const catalog = testCatalog();

test('1 cent over 3 units: issued one at a time, the cent goes with the units and none is left over', () => {
  // (3 EA, 1 cent) from a part-pack receipt: 0.3 BX at 3 cents a box is round(3 × 3 / 10) = 1 cent.
  const p = run([receipt('GAUZE', 'OR', '0.3', 3n, { uom: 'BX' })]);
  let state = p.state;
  assert.deepEqual(
    [positionOf(state, 'GAUZE', 'OR').quantity, positionOf(state, 'GAUZE', 'OR').value],
    [3n, 1n],
  );
  const values: bigint[] = [];
  for (let i = 0; i < 3; i++) {
    const next = post(state, catalog, issue('GAUZE', 'OR', 1));
    state = next.state;
    if (next.outcome.kind === 'posted') values.push(next.outcome.movements[0]!.value);
  }
  assert.deepEqual(values, [0n, 0n, -1n], '1/3 → 0, 1/2 → 0 (tie to even), last takes the cent');
  const end = positionOf(state, 'GAUZE', 'OR');
  assert.deepEqual([end.quantity, end.value], [0n, 0n]);
});

test('1 cent over 3 units counted to zero, and transferred away whole, leaves nothing behind', () => {
  const base = run([receipt('GAUZE', 'OR', '0.3', 3n, { uom: 'BX' })]).state;
  const counted = post(base, catalog, count('GAUZE', 'OR', { quantity: 0 })).state;
  assert.deepEqual(
    [positionOf(counted, 'GAUZE', 'OR').quantity, positionOf(counted, 'GAUZE', 'OR').value],
    [0n, 0n],
  );
  const moved = post(base, catalog, transfer('GAUZE', 'OR', 'ER', 3)).state;
  assert.equal(positionOf(moved, 'GAUZE', 'OR').value, 0n);
  assert.equal(positionOf(moved, 'GAUZE', 'ER').value, 1n);
});

test('values beyond 2^53 stay exact', () => {
  const unitCost = 2n ** 60n + 7n; // far beyond Number.MAX_SAFE_INTEGER
  const r = run([
    receipt('GAUZE', 'CS1', 3, unitCost),
    receipt('GAUZE', 'CS1', 1, 2n),
    issue('GAUZE', 'CS1', 2),
  ]);
  const p = positionOf(r.state, 'GAUZE', 'CS1');
  const total = 3n * unitCost + 2n; // 3·2^60 + 23, odd
  const issued = -r.movements.at(-1)!.value;
  // 2 × total / 4 = 3·2^59 + 11.5: a tie, rounded to the even neighbour.
  assert.equal(issued, 3n * 2n ** 59n + 12n);
  assert.equal(p.value, total - issued);
  assert.equal(p.quantity, 2n);
  assert.ok(p.value > BigInt(Number.MAX_SAFE_INTEGER));
  const rest = post(r.state, catalog, issue('GAUZE', 'CS1', 2)).state;
  assert.equal(positionOf(rest, 'GAUZE', 'CS1').value, 0n);
});

test('valuation helpers: average, shares that sum exactly, cumulative returns', () => {
  assert.equal(valueAtAverage({ quantity: 3n, value: 100n }, 1n, 999n), 33n);
  assert.equal(valueAtAverage({ quantity: 3n, value: 100n }, 3n, 999n), 100n);
  assert.equal(valueAtAverage({ quantity: 0n, value: 0n }, 2n, 999n), 1_998n);
  assert.equal(
    valueAtAverage({ quantity: -2n, value: -50n }, 1n, 999n),
    25n,
    'negative position: its own cost',
  );
  const shares = [1n, 2n, 3n].map((i) => shareOf(100n, 3n, i));
  assert.deepEqual(shares, [33n, 34n, 33n]);
  assert.equal(
    shares.reduce((a, b) => a + b),
    100n,
  );
  let returned = { quantity: 0n, value: 0n };
  for (let i = 0; i < 7; i++) {
    const v = returnValue(7n, 100n, returned, 1n);
    returned = { quantity: returned.quantity + 1n, value: returned.value + v };
  }
  assert.equal(returned.value, 100n);
});

test('a box of serial devices received at a pack price: per-unit shares sum to the pack price', () => {
  const r = run([
    receipt('STENT', 'CATH', 1, 1_000_000n, { uom: 'BX', lotNumber: 'L1', serialNumbers: ['A', 'B', 'C'] }),
  ]);
  assert.deepEqual(
    r.movements.map((m) => [m.serialNumber, m.quantity, m.value]),
    [
      ['A', 1n, 333_333n],
      ['B', 1n, 333_334n],
      ['C', 1n, 333_333n],
    ],
  );
  const p = positionOf(r.state, 'STENT', 'CATH');
  assert.deepEqual([p.quantity, p.value, p.lots.get('L1')], [3n, 1_000_000n, 3n]);
});
