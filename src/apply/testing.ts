/**
 * Test support for the apply stage (imported by tests only, not exported from index.ts): the demo's
 * books in a database, the pure apply context of the demo, and the reads that compare two databases'
 * books.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoHealthSystem } from '../demo/index.ts';
import { defaultRegistry } from '../governance/index.ts';
import {
  buildCatalog,
  emptyState,
  type InventoryState,
  type Movement,
  openingCommands,
  type Position,
  postAll,
} from '../inventory/index.ts';
import { createLedgerContext } from '../ledger/index.ts';
import { approve, createRelease, demoRelease } from '../mapping/index.ts';
import { asBigInt, migrate, type SqlExecutor, type Store } from '../store/index.ts';
import { loadMasterData } from '../store/master-data.ts';
import {
  DEMO_RELEASE_APPROVER,
  DEMO_RELEASE_AUTHOR,
  DEMO_SOURCES,
  demoPeriods,
  setUpDemoBooks,
} from './demo-books.ts';
import type { ApplyContext } from './plan.ts';
import { rulesFromRelease } from './rules.ts';

/** Every apply test posts at this instant (the demo day's evening), so plans compare across runs. */
export const POSTED_AT = '2026-11-24T23:00:00.000Z';

/** Migrates a fresh database and loads the demo: master data, opening stock, periods, release, opening balances. */
export async function loadDemo(store: Store, system: DemoHealthSystem): Promise<void> {
  await migrate(store);
  await loadMasterData(store, system);
  await setUpDemoBooks(store, system, new Date(`${system.openingDate}T00:00:00.000Z`));
}

/** A temp folder holding a fixed 32-byte token key (two runs that share it produce the same tokens). */
export function tokenKeyFolder(): { dir: string; keyFile: string; key: Buffer; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cw-apply-'));
  const key = Buffer.alloc(32, 0x42);
  const keyFile = join(dir, 'token.key');
  writeFileSync(keyFile, key, { mode: 0o600 });
  return { dir, keyFile, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The context the Applier builds from the database, built from the generated system instead. */
export function demoApplyContext(system: DemoHealthSystem, tokenKey: Uint8Array): ApplyContext {
  const release = approve(createRelease(demoRelease(system), DEMO_RELEASE_AUTHOR), DEMO_RELEASE_APPROVER);
  return {
    release,
    tokenKey,
    ledger: createLedgerContext({
      entities: system.entities,
      accounts: system.accounts,
      costCenters: system.costCenters,
      intercompany: system.intercompanyRelationships,
    }),
    rules: rulesFromRelease(release),
    periods: demoPeriods(system),
    catalog: buildCatalog(system.items, system.itemUoms),
    items: new Map(
      system.items.map((i) => [
        i.code,
        {
          category: i.category,
          vendorCode: i.vendorCode,
          unitCost: i.unitCost,
          currency: i.currency,
          billOnly: i.billOnly,
        },
      ]),
    ),
    parCostCenters: new Map(system.parLocations.map((p) => [p.code, p.costCenterCode])),
    postedAt: POSTED_AT,
    ownership: defaultRegistry(DEMO_SOURCES),
  };
}

/** The opening stock as the inventory engine's state, and the opening movements it is the sum of. */
export function openingState(system: DemoHealthSystem) {
  const r = postAll(
    emptyState(),
    buildCatalog(system.items, system.itemUoms),
    openingCommands(system.openingStock, `${system.openingDate}T00:00:00.000Z`),
  );
  return { state: r.state as InventoryState, movements: r.movements };
}

/** Per entity × currency × account: Σ debit and Σ credit of every posted line, as text for exact comparison. */
export async function accountBalances(db: SqlExecutor): Promise<string[]> {
  const rows = await db.query(
    `SELECT entity, currency, account,
            SUM(CASE WHEN side = 'debit' THEN amount ELSE 0 END) AS debit,
            SUM(CASE WHEN side = 'credit' THEN amount ELSE 0 END) AS credit
     FROM journal_lines GROUP BY entity, currency, account ORDER BY entity, currency, account`,
  );
  return rows.map(
    (r) =>
      `${r['entity']} ${r['currency']} ${r['account']} Dr ${asBigInt(r['debit'])} Cr ${asBigInt(r['credit'])}`,
  );
}

/** Stock on hand with its lots, as the inventory engine's positions. */
export async function storedPositions(db: SqlExecutor): Promise<Position[]> {
  const lots = new Map<string, Map<string, bigint>>();
  for (const r of await db.query(
    'SELECT item_code, par_location_code, lot_number, quantity FROM stock_lots',
  )) {
    const k = `${r['item_code']}\u0000${r['par_location_code']}`;
    const m = lots.get(k) ?? new Map<string, bigint>();
    lots.set(k, m);
    m.set(String(r['lot_number']), asBigInt(r['quantity']));
  }
  return (
    await db.query('SELECT item_code, par_location_code, quantity, value, currency FROM stock_on_hand')
  ).map((r) => ({
    itemCode: String(r['item_code']),
    parLocationCode: String(r['par_location_code']),
    quantity: asBigInt(r['quantity']),
    value: asBigInt(r['value']),
    currency: String(r['currency']) as Position['currency'],
    lots: lots.get(`${r['item_code']}\u0000${r['par_location_code']}`) ?? new Map(),
  }));
}

/** Every stored inventory movement, as the inventory engine's movements. */
export async function storedMovements(db: SqlExecutor): Promise<Movement[]> {
  return (
    await db.query(
      `SELECT movement_key, item_code, par_location_code, movement_type, quantity, value, currency,
              lot_number, serial_number, occurred_at FROM inventory_movements`,
    )
  ).map((r) => ({
    movementKey: String(r['movement_key']),
    itemCode: String(r['item_code']),
    parLocationCode: String(r['par_location_code']),
    movementType: String(r['movement_type']) as Movement['movementType'],
    quantity: asBigInt(r['quantity']),
    value: asBigInt(r['value']),
    currency: String(r['currency']) as Movement['currency'],
    lotNumber: r['lot_number'] === null ? null : String(r['lot_number']),
    serialNumber: r['serial_number'] === null ? null : String(r['serial_number']),
    occurredAt: String(r['occurred_at']),
  }));
}
