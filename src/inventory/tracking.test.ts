import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError } from '../errors/index.ts';
import { post } from './post.ts';
import { applyMovements, emptyState, positionOf, serialOf } from './state.ts';
import { count, giveBack, issue, receipt, run, testCatalog, transfer } from './testing.ts';
import { verifyOnHand } from './verify.ts';

const catalog = testCatalog();

function code(e: unknown): string {
  assert.ok(e instanceof CrosswalkError, String(e));
  return e.code;
}

const stents = () =>
  run([receipt('STENT', 'CATH', 2, 150_000n, { lotNumber: 'L1', serialNumbers: ['SN1', 'SN2'] })]).state;

test('a serial is on hand at one location at a time and is issued once', () => {
  let state = stents();
  assert.deepEqual(serialOf(state, 'STENT', 'SN1'), {
    itemCode: 'STENT',
    serialNumber: 'SN1',
    lotNumber: 'L1',
    status: 'on-hand',
    parLocationCode: 'CATH',
  });
  state = post(state, catalog, issue('STENT', 'CATH', 1, { serialNumbers: ['SN1'] })).state;
  assert.equal(serialOf(state, 'STENT', 'SN1')?.status, 'issued');
  assert.equal(positionOf(state, 'STENT', 'CATH').lots.get('L1'), 1n);
  assert.throws(
    () => post(state, catalog, issue('STENT', 'CATH', 1, { serialNumbers: ['SN1'] })),
    (e) => {
      assert.equal(code(e), 'CW_ERR_INVENTORY_SERIAL_USED');
      assert.match((e as Error).message, /serial SN1 of item STENT is issued/);
      return true;
    },
  );
  assert.throws(
    () => post(state, catalog, issue('STENT', 'OR', 1, { serialNumbers: ['SN2'] })),
    (e) => code(e) === 'CW_ERR_INVENTORY_SERIAL_UNKNOWN',
  );
  assert.throws(
    () => post(state, catalog, issue('STENT', 'CATH', 1, { serialNumbers: ['SN9'] })),
    (e) => code(e) === 'CW_ERR_INVENTORY_SERIAL_UNKNOWN',
  );
  assert.throws(
    () => post(state, catalog, receipt('STENT', 'OR', 1, 1n, { lotNumber: 'L2', serialNumbers: ['SN2'] })),
    (e) => code(e) === 'CW_ERR_INVENTORY_SERIAL_EXISTS',
  );
  assert.throws(
    () => post(state, catalog, issue('STENT', 'CATH', 1, { serialNumbers: ['SN2'], lotNumber: 'L7' })),
    (e) => code(e) === 'CW_ERR_INVENTORY_TRACKING',
    'the line names another lot than the unit belongs to',
  );
});

test('serials move with transfers and come back with returns', () => {
  let state = stents();
  state = post(state, catalog, transfer('STENT', 'CATH', 'OR', 1, { serialNumbers: ['SN2'] })).state;
  assert.deepEqual(
    [serialOf(state, 'STENT', 'SN2')?.status, serialOf(state, 'STENT', 'SN2')?.parLocationCode],
    ['on-hand', 'OR'],
  );
  assert.equal(positionOf(state, 'STENT', 'OR').lots.get('L1'), 1n);
  const used = post(state, catalog, issue('STENT', 'OR', 1, { serialNumbers: ['SN2'] }));
  assert.equal(used.outcome.kind, 'posted');
  const movement = used.outcome.kind === 'posted' ? used.outcome.movements[0]! : undefined;
  const back = post(
    used.state,
    catalog,
    giveBack('STENT', 'CATH', 1, { serialNumbers: ['SN2'], origin: { movement: movement! } }),
  );
  assert.equal(serialOf(back.state, 'STENT', 'SN2')?.status, 'on-hand');
  assert.deepEqual(
    [positionOf(back.state, 'STENT', 'CATH').quantity, positionOf(back.state, 'STENT', 'CATH').value],
    [2n, 300_000n],
  );
  assert.throws(
    () => post(back.state, catalog, giveBack('STENT', 'CATH', 1, { serialNumbers: ['SN2'] })),
    (e) => code(e) === 'CW_ERR_INVENTORY_SERIAL_EXISTS',
  );
});

test('serial-tracked lines need one serial per unit, a lot when they create units', () => {
  const cases = [
    receipt('STENT', 'CATH', 2, 1n, { lotNumber: 'L1', serialNumbers: ['A'] }),
    receipt('STENT', 'CATH', 2, 1n, { lotNumber: 'L1', serialNumbers: ['A', 'A'] }),
    receipt('STENT', 'CATH', 1, 1n, { serialNumbers: ['A'] }),
    issue('STENT', 'CATH', 1),
  ];
  for (const c of cases)
    assert.throws(
      () => run([c]),
      (e) => code(e) === 'CW_ERR_INVENTORY_TRACKING',
    );
});

test('lot-tracked issues draw on the named lot; short of the lot is short of stock', () => {
  const state = run([
    receipt('SUTURE', 'OR', 5, 100n, { lotNumber: 'A' }),
    receipt('SUTURE', 'OR', 5, 120n, { lotNumber: 'B' }),
  ]).state;
  assert.throws(
    () => post(state, catalog, issue('SUTURE', 'OR', 6, { lotNumber: 'A' })),
    (e) => code(e) === 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND',
  );
  const r = post(state, catalog, issue('SUTURE', 'OR', 6, { lotNumber: 'A', allowNegative: true }));
  const flag = r.outcome.kind === 'posted' ? r.outcome.flags[0] : undefined;
  assert.equal(flag?.code, 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND');
  assert.equal(flag.code === 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND' && flag.shortQuantity, 1n);
  assert.equal(flag.lotNumber, 'A');
  assert.deepEqual(
    [...positionOf(r.state, 'SUTURE', 'OR').lots],
    [
      ['A', -1n],
      ['B', 5n],
    ],
  );
});

test('count of an untracked item adjusts by the variance at the average cost', () => {
  const state = run([receipt('GAUZE', 'OR', 10, 33n)]).state;
  const short = post(state, catalog, count('GAUZE', 'OR', { quantity: 7 }));
  const m = short.outcome.kind === 'posted' ? short.outcome.movements : [];
  assert.deepEqual(
    m.map((x) => [x.movementType, x.quantity, x.value]),
    [['count-adjustment', -3n, -99n]],
  );
  const gain = post(state, catalog, count('GAUZE', 'OR', { quantity: 1, uom: 'BX' }));
  assert.deepEqual(
    [positionOf(gain.state, 'GAUZE', 'OR').quantity, positionOf(gain.state, 'GAUZE', 'OR').value],
    [10n, 330n],
  );
  const none = gain.outcome.kind === 'posted' ? gain.outcome.movements : [];
  assert.deepEqual(
    none.map((x) => [x.quantity, x.value, x.lotNumber]),
    [[0n, 0n, null]],
    'the count is recorded',
  );
  const found = post(emptyState(), catalog, count('GAUZE', 'ER', { quantity: 4 }));
  assert.equal(positionOf(found.state, 'GAUZE', 'ER').value, 100n, 'found stock at the master cost');
});

test('count of a lot-tracked item: lots not listed are counted zero; gains before losses', () => {
  const state = run([
    receipt('SUTURE', 'OR', 4, 100n, { lotNumber: 'A' }),
    receipt('SUTURE', 'OR', 2, 130n, { lotNumber: 'B' }),
  ]).state;
  const r = post(
    state,
    catalog,
    count('SUTURE', 'OR', {
      lots: [
        { lotNumber: 'B', quantity: 3 },
        { lotNumber: 'C', quantity: 1 },
      ],
    }),
  );
  const ms = r.outcome.kind === 'posted' ? r.outcome.movements : [];
  assert.deepEqual(
    ms.map((m) => [m.lotNumber, m.quantity]),
    [
      ['B', 1n],
      ['C', 1n],
      ['A', -4n],
    ],
  );
  const p = positionOf(r.state, 'SUTURE', 'OR');
  assert.deepEqual(
    [p.quantity, [...p.lots]],
    [
      4n,
      [
        ['B', 3n],
        ['C', 1n],
      ],
    ],
  );
  const zero = post(state, catalog, count('SUTURE', 'OR', { lots: [] })).state;
  assert.deepEqual(
    [positionOf(zero, 'SUTURE', 'OR').quantity, positionOf(zero, 'SUTURE', 'OR').value],
    [0n, 0n],
  );
  assert.throws(
    () => post(state, catalog, count('SUTURE', 'OR', { quantity: 3 })),
    (e) => code(e) === 'CW_ERR_INVENTORY_TRACKING',
  );
});

test('count of serial units writes off the missing and takes in the found', () => {
  let state = stents();
  state = post(
    state,
    catalog,
    count('STENT', 'CATH', {
      serials: [
        { serialNumber: 'SN2', lotNumber: null },
        { serialNumber: 'SN7', lotNumber: 'L3' },
      ],
    }),
  ).state;
  assert.equal(serialOf(state, 'STENT', 'SN1')?.status, 'written-off');
  assert.equal(serialOf(state, 'STENT', 'SN7')?.status, 'on-hand');
  assert.deepEqual(
    [...positionOf(state, 'STENT', 'CATH').lots],
    [
      ['L1', 1n],
      ['L3', 1n],
    ],
  );
  // A later count that finds the written-off unit takes it back in its old lot.
  state = post(
    state,
    catalog,
    count('STENT', 'CATH', {
      serials: ['SN1', 'SN2', 'SN7'].map((s) => ({ serialNumber: s, lotNumber: null })),
    }),
  ).state;
  assert.equal(serialOf(state, 'STENT', 'SN1')?.lotNumber, 'L1');
  assert.throws(
    () =>
      post(state, catalog, count('STENT', 'CATH', { serials: [{ serialNumber: 'NEW', lotNumber: null }] })),
    (e) => code(e) === 'CW_ERR_INVENTORY_TRACKING',
  );
});

test('the fold alone rebuilds the state from the rows, serials included', () => {
  const r = run([
    receipt('STENT', 'CATH', 2, 150_000n, { lotNumber: 'L1', serialNumbers: ['SN1', 'SN2'] }),
    transfer('STENT', 'CATH', 'OR', 1, { serialNumbers: ['SN2'] }),
    issue('STENT', 'OR', 1, { serialNumbers: ['SN2'] }),
    receipt('SUTURE', 'OR', 1, 480n, { lotNumber: 'X', uom: 'BX' }),
  ]);
  const rebuilt = applyMovements(emptyState(), r.movements).state;
  assert.deepEqual(rebuilt.positions, r.state.positions);
  assert.deepEqual(rebuilt.serials, r.state.serials);
  assert.ok(verifyOnHand(r.movements, rebuilt.positions.values()).ok);
});

test('lot-tracked usage that names no lot draws lots in lot order; what they lack comes from the last', () => {
  const catalog = testCatalog();
  const { state } = run([
    receipt('SUTURE', 'OR', 3, 100n, { lotNumber: 'B' }),
    receipt('SUTURE', 'OR', 2, 100n, { lotNumber: 'A' }),
  ]);
  const r = post(state, catalog, issue('SUTURE', 'OR', 4));
  assert.equal(r.outcome.kind, 'posted');
  const moves = r.outcome.kind === 'posted' ? r.outcome.movements : [];
  assert.deepEqual(
    moves.map((m) => [m.lotNumber, m.quantity]),
    [
      ['A', -2n],
      ['B', -2n],
    ],
  );
  assert.deepEqual([...positionOf(r.state, 'SUTURE', 'OR').lots], [['B', 1n]]);
  const short = post(r.state, catalog, issue('SUTURE', 'OR', 3, { allowNegative: true }));
  const shortMoves = short.outcome.kind === 'posted' ? short.outcome.movements : [];
  assert.deepEqual(
    shortMoves.map((m) => [m.lotNumber, m.quantity]),
    [['B', -3n]],
    'one unit on hand in B, two beyond it, all drawn from the last lot',
  );
  assert.equal(positionOf(short.state, 'SUTURE', 'OR').quantity, -2n);
});
