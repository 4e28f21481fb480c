import type { DemoHealthSystem } from '../demo/model.ts';
import { buildCatalog, emptyState, openingCommands, postAll } from '../inventory/index.ts';
import { type ColumnKind, fromRows, insertRows } from './bulk.ts';
import { saveInventory } from './inventory-repository.ts';
import type { SqlExecutor, Store } from './port.ts';
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

/**
 * Writes a whole master-data set and its opening stock in one transaction: opening stock becomes
 * `opening` inventory movements (the immutable record) and the on-hand, lots and serials they sum to.
 */
export async function loadMasterData(store: Store, system: DemoHealthSystem): Promise<void> {
  await store.transaction(async (tx) => {
    for (const [kind, table] of TABLES) await insertRows(tx, table, system[kind]);
    // Opening stock goes through the inventory engine, so its movements, lots and serials are keyed and
    // valued exactly as later postings will be.
    const catalog = buildCatalog(system.items, system.itemUoms);
    const opening = postAll(
      emptyState(),
      catalog,
      openingCommands(system.openingStock, `${system.openingDate}T00:00:00.000Z`),
    );
    await saveInventory(tx, opening.movements, opening.state, () => null);
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

/** Column kinds of the master tables that are not text. */
const KINDS: Readonly<Record<string, ColumnKind>> = {
  unitCost: 'bigint',
  price: 'bigint',
  hourlyRate: 'bigint',
  chargeable: 'bool',
  implant: 'bool',
  billOnly: 'bool',
  expires: 'bool',
  isBase: 'bool',
  isPurchaseUnit: 'bool',
  baseQuantity: 'int',
  paymentTermsDays: 'int',
  parQuantity: 'bigint',
  reorderPoint: 'bigint',
  quantity: 'int',
  ftePercent: 'int',
};

/** Reads master-data tables back in the shapes the generator (and the engines) use. */
export async function readMasterData<K extends MasterDataKind>(
  store: SqlExecutor,
  kinds: readonly K[],
): Promise<Pick<DemoHealthSystem, K>> {
  const out: Record<string, unknown> = {};
  for (const [kind, table] of TABLES) {
    if (!kinds.includes(kind as K)) continue;
    out[kind] = fromRows(await store.query(`SELECT * FROM ${table} ORDER BY code`), KINDS);
  }
  return out as Pick<DemoHealthSystem, K>;
}
