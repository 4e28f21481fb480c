import type { DemoHealthSystem } from '../demo/model.ts';
import type { SqlExecutor, SqlValue, Store } from './port.ts';
import { asNumber } from './values.ts';

/** Master-data arrays in foreign-key order, with the table each lands in. */
const TABLES = [
  ['entities', 'entities'],
  ['accounts', 'accounts'],
  ['intercompanyRelationships', 'intercompany_relationships'],
  ['costCenters', 'cost_centers'],
  ['departments', 'departments'],
  ['parLocations', 'par_locations'],
  ['careLocations', 'care_locations'],
  ['vendors', 'vendors'],
  ['items', 'items'],
  ['itemUoms', 'item_uoms'],
  ['chargeMaster', 'charge_master'],
  ['parLevels', 'par_levels'],
  ['openingStock', 'opening_stock'],
  ['jobCodes', 'job_codes'],
  ['practitioners', 'practitioners'],
  ['employees', 'employees'],
  ['identityLinks', 'identity_links'],
] as const satisfies readonly (readonly [keyof DemoHealthSystem, string])[];

export type MasterDataKind = (typeof TABLES)[number][0];

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Rows per INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters. */
const ROWS_PER_STATEMENT = 200;

async function insertAll(tx: SqlExecutor, table: string, records: readonly object[]): Promise<void> {
  if (records.length === 0) return;
  const keys = Object.keys(records[0]!);
  const columns = keys.map(snake).join(', ');
  for (let i = 0; i < records.length; i += ROWS_PER_STATEMENT) {
    const chunk = records.slice(i, i + ROWS_PER_STATEMENT);
    const row = `(${keys.map(() => '?').join(', ')})`;
    const params: SqlValue[] = [];
    for (const r of chunk) for (const k of keys) params.push((r as Record<string, SqlValue>)[k] ?? null);
    await tx.execute(`INSERT INTO ${table} (${columns}) VALUES ${chunk.map(() => row).join(', ')}`, params);
  }
}

/**
 * Writes a whole master-data set and its opening stock in one transaction: opening stock becomes
 * `opening` inventory movements (the immutable record) and the on-hand they sum to.
 */
export async function loadMasterData(store: Store, system: DemoHealthSystem): Promise<void> {
  await store.transaction(async (tx) => {
    for (const [kind, table] of TABLES) await insertAll(tx, table, system[kind]);
    const occurredAt = `${system.openingDate}T00:00:00.000Z`;
    const movements = system.openingStock.map((s) => ({
      movementKey: `opening:${s.code}`,
      itemCode: s.itemCode,
      parLocationCode: s.parLocationCode,
      movementType: 'opening',
      quantity: BigInt(s.quantity),
      value: BigInt(s.quantity) * s.unitCost,
      currency: s.currency,
      lotNumber: s.lotNumber,
      serialNumber: s.serialNumber,
      occurredAt,
    }));
    await insertAll(tx, 'inventory_movements', movements);
    await tx.execute(
      `INSERT INTO stock_on_hand (item_code, par_location_code, quantity, value, currency)
       SELECT item_code, par_location_code, SUM(quantity), SUM(value), MIN(currency)
       FROM inventory_movements GROUP BY item_code, par_location_code`,
    );
  });
}

/** Row counts per master-data kind, as stored. */
export async function countMasterData(store: SqlExecutor): Promise<Record<MasterDataKind, number>> {
  const out = {} as Record<MasterDataKind, number>;
  for (const [kind, table] of TABLES) {
    const rows = await store.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`);
    out[kind] = asNumber(rows[0]!.n);
  }
  return out;
}

/** True when no master data has been loaded yet (the demo loads only into an empty database). */
export async function isMasterDataEmpty(store: SqlExecutor): Promise<boolean> {
  const rows = await store.query<{ n: unknown }>(
    'SELECT (SELECT COUNT(*) FROM entities) + (SELECT COUNT(*) FROM items) + (SELECT COUNT(*) FROM inventory_movements) AS n',
  );
  return asNumber(rows[0]!.n) === 0;
}

export async function getMeta(store: SqlExecutor, key: string): Promise<string | null> {
  const rows = await store.query<{ value: string }>('SELECT value FROM crosswalk_meta WHERE key = ?', [key]);
  return rows[0]?.value ?? null;
}

export async function setMeta(store: SqlExecutor, key: string, value: string): Promise<void> {
  await store.execute(
    'INSERT INTO crosswalk_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, value],
  );
}
