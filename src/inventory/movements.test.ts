import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError } from '../errors/index.ts';
import { movementKey } from './keys.ts';
import { post, postAll } from './post.ts';
import { applyMovements, emptyState, positionOf } from './state.ts';
import { count, giveBack, issue, receipt, run, testCatalog, transfer } from './testing.ts';
import type { InventoryState, Movement } from './types.ts';
import { verifyOnHand } from './verify.ts';

const catalog = testCatalog();

function code(e: unknown): string {
  assert.ok(e instanceof CrosswalkError, String(e));
  return e.code;
}

function qv(state: InventoryState, item: string, location: string): [bigint, bigint] {
  const p = positionOf(state, item, location);
  return [p.quantity, p.value];
}

function posted(outcome: ReturnType<typeof post>['outcome']) {
  assert.equal(outcome.kind, 'posted');
  return outcome as Extract<typeof outcome, { kind: 'posted' }>;
}

test('receipt adds its extended cost; the unit cost is per the unit received in', () => {
  const r = run([receipt('GAUZE', 'CS1', 2, 1_000n, { uom: 'BX' }), receipt('GAUZE', 'CS1', 5, 30n)]);
  assert.deepEqual(qv(r.state, 'GAUZE', 'CS1'), [25n, 2_150n]);
  const [first] = r.movements as [Movement];
  assert.equal(first.movementType, 'receipt');
  assert.equal(first.quantity, 20n);
  assert.equal(first.value, 2_000n);
  assert.equal(first.currency, 'USD');
  assert.equal(first.occurredAt, '2025-01-06T08:00:00.000Z');
});

test('issue and waste take value at the moving average; the last unit takes what is left', () => {
  const r = run([
    receipt('GAUZE', 'OR', 3, 100n),
    receipt('GAUZE', 'OR', 1, 101n), // 4 units worth 401: average 100.25
    issue('GAUZE', 'OR', 1),
    { ...issue('GAUZE', 'OR', 2), type: 'waste' },
    issue('GAUZE', 'OR', 1),
  ]);
  const values = r.movements.slice(2).map((m) => [m.movementType, m.quantity, m.value]);
  assert.deepEqual(values, [
    ['issue', -1n, -100n], // 100.25 → 100
    ['waste', -2n, -201n], // 2 × 301/3 = 200.67 → 201
    ['issue', -1n, -100n], // exactly what was left
  ]);
  assert.deepEqual(qv(r.state, 'GAUZE', 'OR'), [0n, 0n]);
});

test('an issue beyond on-hand is refused unless the policy allows it, and then it is flagged', () => {
  const start = run([receipt('GAUZE', 'OR', 2, 100n)]).state;
  assert.throws(
    () => post(start, catalog, issue('GAUZE', 'OR', 3)),
    (e) => {
      assert.equal(code(e), 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND');
      assert.match((e as Error).message, /taking 3 of item GAUZE at OR exceeds the 2 on hand/);
      return true;
    },
  );
  const { state, outcome } = post(start, catalog, issue('GAUZE', 'OR', 3, { allowNegative: true }));
  const o = posted(outcome);
  assert.equal(o.movements[0]!.value, -300n, 'the short unit at the last average cost');
  assert.deepEqual(qv(state, 'GAUZE', 'OR'), [-1n, -100n]);
  assert.deepEqual(o.flags, [
    {
      code: 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND',
      movementKey: o.movements[0]!.movementKey,
      itemCode: 'GAUZE',
      parLocationCode: 'OR',
      lotNumber: null,
      shortQuantity: 1n,
      onHandQuantity: -1n,
      onHandValue: -100n,
    },
  ]);
  // With nothing on hand at all, the item master's unit cost is the estimate.
  const empty = post(emptyState(), catalog, issue('GAUZE', 'ER', 4, { allowNegative: true }));
  assert.deepEqual(qv(empty.state, 'GAUZE', 'ER'), [-4n, -100n]);
});

test('a receipt into negative stock revalues what remains at the receipt cost, flagged', () => {
  const r = run([
    receipt('GAUZE', 'OR', 1, 100n),
    issue('GAUZE', 'OR', 5, { allowNegative: true }), // -4 units at 100
    receipt('GAUZE', 'OR', 3, 130n), // -1 left: now known to cost 130
  ]);
  assert.deepEqual(qv(r.state, 'GAUZE', 'OR'), [-1n, -130n]);
  const reval = r.movements.at(-1)!;
  assert.equal(reval.movementType, 'revaluation');
  assert.equal(reval.quantity, 0n);
  assert.equal(reval.value, -120n, '4 short units cost 30 more each than they were issued at');
  assert.deepEqual(
    r.flags.map((f) => f.code),
    ['CW_ERR_INVENTORY_NEGATIVE_ON_HAND', 'CW_ERR_INVENTORY_NEGATIVE_REVALUED'],
  );
  const more = post(r.state, catalog, receipt('GAUZE', 'OR', 4, 130n));
  assert.deepEqual(qv(more.state, 'GAUZE', 'OR'), [3n, 390n], 'clean again once stock is back');
  assert.deepEqual(posted(more.outcome).flags, [], 'no revaluation when the cost was already right');
});

test('a return against its issue comes back at the value it left with, in parts, exactly', () => {
  const r = run([receipt('GAUZE', 'OR', 3, 100n), receipt('GAUZE', 'OR', 1, 0n), issue('GAUZE', 'OR', 3)]);
  const issued = r.movements.at(-1)!;
  assert.equal(issued.value, -225n);
  const a = post(r.state, catalog, giveBack('GAUZE', 'OR', 2, { origin: { movement: issued } }));
  const first = posted(a.outcome).movements[0]!;
  assert.equal(first.value, 150n);
  const b = post(
    a.state,
    catalog,
    giveBack('GAUZE', 'OR', 1, { origin: { movement: issued, returned: { quantity: 2n, value: 150n } } }),
  );
  assert.equal(posted(b.outcome).movements[0]!.value, 75n);
  assert.deepEqual(qv(b.state, 'GAUZE', 'OR'), [4n, 300n], 'issue then full return nets to zero');
  assert.throws(
    () =>
      post(
        b.state,
        catalog,
        giveBack('GAUZE', 'OR', 1, { origin: { movement: issued, returned: { quantity: 3n, value: 225n } } }),
      ),
    (e) => code(e) === 'CW_ERR_INVENTORY_RETURN_EXCEEDS',
  );
  const receiptRow = r.movements[0]!;
  assert.throws(
    () => post(b.state, catalog, giveBack('GAUZE', 'OR', 1, { origin: { movement: receiptRow } })),
    (e) => code(e) === 'CW_ERR_INVENTORY_BAD_COMMAND',
  );
});

test('an unlinked return comes back at the current average, or the master cost when none is on hand', () => {
  const r = run([receipt('GAUZE', 'OR', 4, 90n), giveBack('GAUZE', 'OR', 2), giveBack('GAUZE', 'ER', 2)]);
  assert.deepEqual(qv(r.state, 'GAUZE', 'OR'), [6n, 540n]);
  assert.deepEqual(qv(r.state, 'GAUZE', 'ER'), [2n, 50n]);
});

test('a transfer moves the same quantity and value out of one location and into another', () => {
  const r = run([
    receipt('GAUZE', 'CS1', 3, 101n),
    receipt('GAUZE', 'OR', 1, 50n),
    transfer('GAUZE', 'CS1', 'OR', 2, { uom: 'EA' }),
  ]);
  const [out, into] = r.movements.slice(-2) as [Movement, Movement];
  assert.deepEqual(
    [out.movementType, out.parLocationCode, out.quantity, out.value],
    ['transfer-out', 'CS1', -2n, -202n],
  );
  assert.deepEqual(
    [into.movementType, into.parLocationCode, into.quantity, into.value],
    ['transfer-in', 'OR', 2n, 202n],
  );
  assert.deepEqual(qv(r.state, 'GAUZE', 'CS1'), [1n, 101n]);
  assert.deepEqual(qv(r.state, 'GAUZE', 'OR'), [3n, 252n]);
  assert.throws(
    () => run([transfer('GAUZE', 'OR', 'OR', 1)]),
    (e) => code(e) === 'CW_ERR_INVENTORY_BAD_COMMAND',
  );
  assert.throws(
    () => run([transfer('GAUZE', 'OR', 'ER', 1)]),
    (e) => code(e) === 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND',
  );
});

test('opening stock is an inflow of its own type at the row cost', () => {
  const r = run([{ ...receipt('SUTURE', 'OR', 24, 480n, { lotNumber: 'L1' }), type: 'opening' }]);
  assert.equal(r.movements[0]!.movementType, 'opening');
  assert.equal(positionOf(r.state, 'SUTURE', 'OR').lots.get('L1'), 24n);
  assert.deepEqual(qv(r.state, 'SUTURE', 'OR'), [24n, 11_520n]);
});

test('bill-only items are not stocked: no movement, an outcome the caller turns into a requisition', () => {
  const c = issue('HIP', 'OR', 1, { lotNumber: 'LOT9', serialNumbers: ['SN1'] });
  const { state, outcome } = post(emptyState(), catalog, c);
  assert.deepEqual(outcome, {
    kind: 'not-stocked',
    reason: 'bill-only',
    commandType: 'issue',
    sourceEventId: c.sourceEventId,
    line: 1,
    itemCode: 'HIP',
    parLocationCode: 'OR',
    quantity: 1n,
    lotNumber: 'LOT9',
    serialNumbers: ['SN1'],
  });
  assert.equal(state.positions.size, 0);
  assert.equal(state.applied.size, 0);
});

test('movement keys are deterministic from source event, line and type, and unambiguous', () => {
  const c = receipt('GAUZE', 'OR', 1, 1n, { sourceEventId: 'ERP|RCV%42', line: 3 });
  const a = run([c]).movements[0]!;
  const b = run([c]).movements[0]!;
  assert.equal(a.movementKey, b.movementKey);
  assert.equal(a.movementKey, 'ERP%7CRCV%2542|3|receipt');
  assert.notEqual(movementKey('a|1', 2, 'issue'), movementKey('a', 1, 'issue', '2'));
  assert.equal(movementKey('E', 1, 'issue', 'SN|1'), 'E|1|issue|SN%7C1');
  assert.throws(
    () => movementKey('', 1, 'issue'),
    (e) => code(e) === 'CW_ERR_INVENTORY_BAD_COMMAND',
  );
  assert.throws(
    () => movementKey('E', 0, 'issue'),
    (e) => code(e) === 'CW_ERR_INVENTORY_BAD_COMMAND',
  );
});

test('posting a line again has no further effect; a different command under its key is a conflict', () => {
  const c = issue('GAUZE', 'OR', 1);
  const first = run([receipt('GAUZE', 'OR', 5, 10n), c]);
  const again = post(first.state, catalog, c);
  assert.deepEqual(again.outcome, { kind: 'duplicate', movementKeys: [first.movements[1]!.movementKey] });
  assert.deepEqual(qv(again.state, 'GAUZE', 'OR'), qv(first.state, 'GAUZE', 'OR'));
  assert.throws(
    () => post(first.state, catalog, { ...receipt('GAUZE', 'OR', 1, 1n), sourceEventId: c.sourceEventId }),
    (e) => code(e) === 'CW_ERR_INVENTORY_KEY_CONFLICT',
  );
});

test('a failing command leaves the caller state untouched (all or nothing)', () => {
  const start = run([receipt('GAUZE', 'OR', 2, 100n)]).state;
  const snapshot = qv(start, 'GAUZE', 'OR');
  assert.throws(() => postAll(start, catalog, [issue('GAUZE', 'OR', 1), issue('GAUZE', 'OR', 5)]));
  assert.deepEqual(qv(start, 'GAUZE', 'OR'), snapshot);
  assert.equal(start.applied.size, 1);
});

test('bad input gives typed errors', () => {
  const cases: [() => unknown, string][] = [
    [() => run([issue('NOPE', 'OR', 1)]), 'CW_ERR_INVENTORY_UNKNOWN_ITEM'],
    [() => run([issue('GAUZE', 'OR', 0)]), 'CW_ERR_INVENTORY_BAD_QUANTITY'],
    [() => run([issue('GAUZE', 'OR', -2)]), 'CW_ERR_INVENTORY_BAD_QUANTITY'],
    [() => run([issue('GAUZE', 'OR', 1, { uom: 'PALLET' })]), 'CW_ERR_INVENTORY_UNKNOWN_UOM'],
    [() => run([issue('GAUZE', 'OR', '0.5')]), 'CW_ERR_INVENTORY_FRACTIONAL_QUANTITY'],
    [() => run([receipt('GAUZE', 'OR', 1, -5n)]), 'CW_ERR_INVENTORY_BAD_COMMAND'],
    [() => run([receipt('GAUZE', 'OR', 1, 5n, { occurredAt: 'yesterday' })]), 'CW_ERR_INVENTORY_BAD_COMMAND'],
    [() => run([receipt('SUTURE', 'OR', 1, 5n)]), 'CW_ERR_INVENTORY_TRACKING'],
    [() => run([receipt('GAUZE', 'OR', 1, 5n, { serialNumbers: ['S'] })]), 'CW_ERR_INVENTORY_TRACKING'],
    [() => run([count('GAUZE', 'OR', { quantity: -1 })]), 'CW_ERR_INVENTORY_BAD_QUANTITY'],
  ];
  for (const [f, want] of cases) assert.throws(f, (e) => code(e) === want, want);
});

test('every posted result satisfies on-hand = Σ movements', () => {
  const r = run([
    receipt('GAUZE', 'CS1', 3, 1_000n, { uom: 'CS' }),
    transfer('GAUZE', 'CS1', 'OR', 4, { uom: 'BX' }),
    issue('GAUZE', 'OR', 7),
    giveBack('GAUZE', 'OR', 2),
    count('GAUZE', 'OR', { quantity: 30 }),
  ]);
  const report = verifyOnHand(r.movements, r.state.positions.values());
  assert.deepEqual(report.mismatches, []);
  assert.equal(report.ok, true);
});

test('applyMovements skips a repeated row, refuses a conflicting or malformed one', () => {
  const r = run([receipt('GAUZE', 'OR', 5, 10n), issue('GAUZE', 'OR', 2)]);
  const [row] = r.movements as [Movement];
  const again = applyMovements(r.state, [row]);
  assert.deepEqual([again.applied.length, again.duplicates.length], [0, 1]);
  assert.equal(again.state.positions.get([...r.state.positions.keys()][0]!)?.value, 30n);
  assert.throws(
    () => applyMovements(r.state, [{ ...row, value: row.value + 1n }]),
    (e) => code(e) === 'CW_ERR_INVENTORY_KEY_CONFLICT',
  );
  const fresh = { ...row, movementKey: 'X|1|issue' };
  const malformed: Movement[] = [
    { ...fresh, movementType: 'issue' }, // an issue with a positive quantity
    { ...fresh, movementType: 'revaluation' }, // a revaluation that moves quantity
    { ...fresh, serialNumber: 'S1' }, // a serial moving five units
    { ...fresh, currency: 'EUR' as 'USD' }, // another currency than the position's
    { ...fresh, movementKey: '' },
  ];
  for (const m of malformed) {
    assert.throws(
      () => applyMovements(r.state, [m]),
      (e) => code(e) === 'CW_ERR_INVENTORY_BAD_COMMAND',
      m.movementType,
    );
  }
});
