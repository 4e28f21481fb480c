import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { CrosswalkError } from '../errors/index.ts';
import { testCatalog } from './testing.ts';
import { buildCatalog, toBaseUnits, uomFactor } from './uom.ts';

function code(e: unknown): string {
  assert.ok(e instanceof CrosswalkError, String(e));
  return e.code;
}

test('toBaseUnits converts packs to base units exactly', () => {
  const gauze = testCatalog().get('GAUZE')!;
  assert.equal(toBaseUnits(gauze, 3), 3n);
  assert.equal(toBaseUnits(gauze, 2, 'BX'), 20n);
  assert.equal(toBaseUnits(gauze, 2n, 'CS'), 200n);
  assert.equal(toBaseUnits(gauze, '1.5', 'bx'), 15n, 'units match case-insensitively');
  assert.equal(toBaseUnits(gauze, '0.37', 'CS'), 37n);
  assert.equal(toBaseUnits(gauze, 10n ** 20n, 'CS'), 10n ** 22n, 'beyond 2^53');
  assert.equal(toBaseUnits(gauze, -1, 'BX'), -10n, 'sign kept');
  assert.equal(gauze.purchaseUom, 'CS');
});

test('toBaseUnits refuses fractional base units, unknown units and non-numbers with typed errors', () => {
  const gauze = testCatalog().get('GAUZE')!;
  assert.throws(
    () => toBaseUnits(gauze, '0.25', 'BX'),
    (e) => code(e) === 'CW_ERR_INVENTORY_FRACTIONAL_QUANTITY',
  );
  assert.throws(
    () => toBaseUnits(gauze, '1.5'),
    (e) => code(e) === 'CW_ERR_INVENTORY_FRACTIONAL_QUANTITY',
  );
  assert.throws(
    () => toBaseUnits(gauze, 1, 'PK'),
    (e) => {
      assert.equal(code(e), 'CW_ERR_INVENTORY_UNKNOWN_UOM');
      assert.match((e as Error).message, /GAUZE has no unit PK \(EA, BX, CS\)/);
      return true;
    },
  );
  assert.throws(
    () => toBaseUnits(gauze, 'two', 'BX'),
    (e) => code(e) === 'CW_ERR_INVENTORY_BAD_QUANTITY',
  );
  assert.throws(
    () => uomFactor(gauze, ''),
    (e) => code(e) === 'CW_ERR_INVENTORY_UNKNOWN_UOM',
  );
});

test('buildCatalog refuses unusable packaging', () => {
  const item = {
    code: 'X',
    baseUom: 'EA' as const,
    unitCost: 1n,
    currency: 'USD' as const,
    tracking: 'none' as const,
    billOnly: false,
  };
  const uom = (u: string, baseQuantity: number) => ({
    itemCode: 'X',
    uom: u as 'EA',
    baseQuantity,
    isPurchaseUnit: false,
  });
  for (const rows of [[uom('BX', 0)], [uom('BX', 2.5)], [uom('EA', 2)], [uom('BX', 5), uom('bx', 5)]]) {
    assert.throws(
      () => buildCatalog([item], rows),
      (e) => code(e) === 'CW_ERR_INVENTORY_MASTER_INVALID',
    );
  }
  assert.throws(
    () => buildCatalog([item, item], []),
    (e) => code(e) === 'CW_ERR_INVENTORY_MASTER_INVALID',
  );
  assert.throws(
    () => buildCatalog([{ ...item, unitCost: -1n }], []),
    (e) => code(e) === 'CW_ERR_INVENTORY_MASTER_INVALID',
  );
  // The base unit needs no row of its own.
  assert.equal(toBaseUnits(buildCatalog([item], []).get('X')!, 4, 'EA'), 4n);
});

test('every unit of the demo item master converts one of it to its base quantity', () => {
  const demo = generateDemoHealthSystem({ seed: 7 });
  const catalog = buildCatalog(demo.items, demo.itemUoms);
  assert.equal(catalog.size, demo.items.length);
  for (const u of demo.itemUoms) {
    assert.equal(toBaseUnits(catalog.get(u.itemCode)!, 1, u.uom), BigInt(u.baseQuantity), u.code);
  }
});
