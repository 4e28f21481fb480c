import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import { openingCommands, postAll } from './post.ts';
import { belowReorderPoint } from './replenish.ts';
import { applyMovements, emptyState } from './state.ts';
import { issue, receipt, run, testCatalog } from './testing.ts';
import { buildCatalog } from './uom.ts';
import { verifyOnHand } from './verify.ts';

test('verifyOnHand names every position, lot and key that disagrees with the movements', () => {
  const r = run([
    receipt('GAUZE', 'OR', 5, 10n),
    receipt('SUTURE', 'OR', 2, 100n, { lotNumber: 'A' }),
    issue('GAUZE', 'OR', 1),
  ]);
  const good = verifyOnHand(r.movements, r.state.positions.values());
  assert.deepEqual([good.ok, good.positionsChecked, good.movementsChecked], [true, 2, 3]);

  const positions = [...r.state.positions.values()];
  const tampered = positions.map((p) =>
    p.itemCode === 'GAUZE' ? { ...p, value: p.value + 1n } : { ...p, lots: new Map([['A', 1n]]) },
  );
  const bad = verifyOnHand([...r.movements, r.movements[0]!], tampered);
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.mismatches.map((m) => [m.kind, m.itemCode, m.lotNumber]).sort(), [
    ['duplicate-key', 'GAUZE', null],
    ['lot', 'SUTURE', 'A'],
    ['position', 'GAUZE', null],
  ]);
  const missing = verifyOnHand(r.movements, positions.slice(1));
  assert.deepEqual(
    missing.mismatches.map((m) => [m.kind, m.itemCode, m.expectedQuantity, m.actualQuantity]),
    [['position', positions[0]!.itemCode, positions[0]!.quantity, 0n]],
  );
});

test('belowReorderPoint suggests refilling to par when on-hand falls to the reorder point', () => {
  const catalog = testCatalog();
  const positions = [
    { itemCode: 'GAUZE', parLocationCode: 'OR', quantity: 20n },
    { itemCode: 'SUTURE', parLocationCode: 'OR', quantity: -3n },
    { itemCode: 'GAUZE', parLocationCode: 'ER', quantity: 21n },
  ];
  const levels = [
    { parLocationCode: 'OR', itemCode: 'GAUZE', parQuantity: 150, reorderPoint: 20 },
    { parLocationCode: 'OR', itemCode: 'SUTURE', parQuantity: 24, reorderPoint: 6 },
    { parLocationCode: 'ER', itemCode: 'GAUZE', parQuantity: 40, reorderPoint: 20 },
    { parLocationCode: 'CATH', itemCode: 'STENT', parQuantity: 2, reorderPoint: 1 },
  ];
  const hints = belowReorderPoint(positions, levels, catalog);
  assert.deepEqual(
    hints.map((h) => [h.parLocationCode, h.itemCode, h.onHand, h.suggestedQuantity, h.purchase]),
    [
      ['CATH', 'STENT', 0n, 2n, { uom: 'EA', quantity: 2n }],
      ['OR', 'GAUZE', 20n, 130n, { uom: 'CS', quantity: 2n }],
      ['OR', 'SUTURE', -3n, 27n, { uom: 'BX', quantity: 3n }],
    ],
  );
  assert.equal(belowReorderPoint(positions, levels)[0]!.purchase, null);
  assert.throws(
    () =>
      belowReorderPoint([], [{ parLocationCode: 'OR', itemCode: 'X', parQuantity: 1.5, reorderPoint: 0 }]),
    (e) => e instanceof CrosswalkError && e.code === 'CW_ERR_INVENTORY_MASTER_INVALID',
  );
});

test('the demo opening stock posts cleanly and sums to its rows', () => {
  const demo = generateDemoHealthSystem({ seed: 11 });
  const catalog = buildCatalog(demo.items, demo.itemUoms);
  const r = postAll(
    emptyState(),
    catalog,
    openingCommands(demo.openingStock, `${demo.openingDate}T00:00:00.000Z`),
  );
  assert.equal(r.movements.length, demo.openingStock.length);
  assert.ok(verifyOnHand(r.movements, r.state.positions.values()).ok);
  let total = 0n;
  for (const row of demo.openingStock) total += BigInt(row.quantity) * row.unitCost;
  let booked = 0n;
  for (const p of r.state.positions.values()) booked += p.value;
  assert.equal(booked, total);
  // Posting it again is a no-op.
  const again = postAll(
    r.state,
    catalog,
    openingCommands(demo.openingStock, `${demo.openingDate}T00:00:00.000Z`),
  );
  assert.ok(again.outcomes.every((o) => o.kind === 'duplicate'));
  assert.equal(applyMovements(r.state, r.movements).applied.length, 0);
  const hints = belowReorderPoint(r.state.positions.values(), demo.parLevels, catalog);
  assert.ok(hints.length > 0, 'the demo starts with some locations at or below their reorder point');
  for (const h of hints)
    assert.ok(h.onHand <= h.reorderPoint && h.suggestedQuantity === h.parQuantity - h.onHand);
});
