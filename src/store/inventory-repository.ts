import type { CurrencyCode } from '../demo/model.ts';
import {
  type InventoryState,
  type Movement,
  type Position,
  positionKey,
  type SerialRecord,
  type SerialStatus,
  serialKey,
} from '../inventory/index.ts';
import { insertRows } from './bulk.ts';
import type { SqlExecutor } from './port.ts';
import { asBigInt } from './values.ts';

/** (item, par location) pairs and (item, serial) pairs a batch will touch. */
export interface InventoryKeys {
  readonly positions: readonly { itemCode: string; parLocationCode: string }[];
  readonly serials: readonly { itemCode: string; serialNumber: string }[];
}

const CHUNK = 400;

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

/**
 * Loads just the part of perpetual inventory a batch touches, as the inventory engine's state. The
 * engine's idempotency indexes (`applied`, `lines`) start empty: a message is applied once because the
 * apply cursor moves past it in the same transaction that writes its effects.
 */
export async function loadInventoryState(
  tx: SqlExecutor,
  keys: InventoryKeys,
  options: { readonly forUpdate?: boolean } = {},
): Promise<InventoryState> {
  const positions = new Map<string, Position>();
  const lots = new Map<string, Map<string, bigint>>();
  const uniquePositions = [
    ...new Map(keys.positions.map((k) => [positionKey(k.itemCode, k.parLocationCode), k])).values(),
  ];
  // By item (indexed, one short IN list) and then filtered to the wanted locations in code: a long OR of
  // (item, location) pairs is slow to plan on SQLite.
  const wanted = new Set(uniquePositions.map((k) => positionKey(k.itemCode, k.parLocationCode)));
  // Positions are shared by every ordering key: on PostgreSQL, where several processes apply different
  // keys at once, the rows a batch reads are locked until it commits (in a fixed order, so two batches
  // wait for each other instead of deadlocking), else both would write back their own sum and one
  // batch's movements would be lost from on-hand. SQLite has one writer, which already excludes that.
  // A read outside a transaction (`forUpdate: false`: the apply stage planning ahead) locks nothing it
  // could keep, and must not wait for the batch being written.
  const lock =
    tx.capabilities.concurrentWriters && options.forUpdate !== false
      ? ' ORDER BY item_code, par_location_code FOR UPDATE'
      : '';
  for (const part of chunks([...new Set(uniquePositions.map((k) => k.itemCode))])) {
    const list = part.map(() => '?').join(', ');
    for (const r of await tx.query(
      `SELECT item_code, par_location_code, lot_number, quantity FROM stock_lots WHERE item_code IN (${list})`,
      part,
    )) {
      const key = positionKey(String(r['item_code']), String(r['par_location_code']));
      if (!wanted.has(key)) continue;
      const m = lots.get(key) ?? new Map<string, bigint>();
      lots.set(key, m);
      m.set(String(r['lot_number']), asBigInt(r['quantity']));
    }
    for (const r of await tx.query(
      `SELECT item_code, par_location_code, quantity, value, currency FROM stock_on_hand WHERE item_code IN (${list})${lock}`,
      part,
    )) {
      const key = positionKey(String(r['item_code']), String(r['par_location_code']));
      if (!wanted.has(key)) continue;
      positions.set(key, {
        itemCode: String(r['item_code']),
        parLocationCode: String(r['par_location_code']),
        quantity: asBigInt(r['quantity']),
        value: asBigInt(r['value']),
        currency: String(r['currency']) as CurrencyCode,
        lots: lots.get(key) ?? new Map(),
      });
    }
  }
  const serials = new Map<string, SerialRecord>();
  const uniqueSerials = [
    ...new Map(keys.serials.map((k) => [serialKey(k.itemCode, k.serialNumber), k])).values(),
  ];
  for (const part of chunks(uniqueSerials)) {
    const where = part.map(() => '(item_code = ? AND serial_number = ?)').join(' OR ');
    for (const r of await tx.query(
      `SELECT item_code, serial_number, lot_number, status, par_location_code FROM stock_serials WHERE ${where}`,
      part.flatMap((k) => [k.itemCode, k.serialNumber]),
    )) {
      serials.set(serialKey(String(r['item_code']), String(r['serial_number'])), {
        itemCode: String(r['item_code']),
        serialNumber: String(r['serial_number']),
        lotNumber: r['lot_number'] === null ? null : String(r['lot_number']),
        status: String(r['status']) as SerialStatus,
        parLocationCode: String(r['par_location_code']),
      });
    }
  }
  return { positions, serials, applied: new Map(), lines: new Map() };
}

/**
 * Writes a batch's movements (append-only) and the resulting positions, lots and serials of the keys it
 * touched. `eventOf` names the canonical event each movement came from, for provenance.
 */
export async function saveInventory(
  tx: SqlExecutor,
  movements: readonly Movement[],
  state: InventoryState,
  eventOf: (m: Movement) => string | null,
): Promise<void> {
  if (movements.length === 0) return;
  await insertRows(
    tx,
    'inventory_movements',
    movements.map((m) => ({
      movementKey: m.movementKey,
      itemCode: m.itemCode,
      parLocationCode: m.parLocationCode,
      movementType: m.movementType,
      quantity: m.quantity,
      value: m.value,
      currency: m.currency,
      lotNumber: m.lotNumber,
      serialNumber: m.serialNumber,
      occurredAt: m.occurredAt,
      sourceEventId: eventOf(m),
    })),
  );
  const touched = new Set(movements.map((m) => positionKey(m.itemCode, m.parLocationCode)));
  const positions = [...touched]
    .map((k) => state.positions.get(k))
    .filter((p): p is Position => p !== undefined);
  await insertRows(
    tx,
    'stock_on_hand',
    positions.map((p) => ({
      itemCode: p.itemCode,
      parLocationCode: p.parLocationCode,
      quantity: p.quantity,
      value: p.value,
      currency: p.currency,
    })),
    'ON CONFLICT (item_code, par_location_code) DO UPDATE SET quantity = excluded.quantity, value = excluded.value',
  );
  const lotTouched = new Set(
    movements.filter((m) => m.lotNumber !== null).map((m) => positionKey(m.itemCode, m.parLocationCode)),
  );
  const withLots = positions.filter(
    (p) => p.lots.size > 0 || lotTouched.has(positionKey(p.itemCode, p.parLocationCode)),
  );
  // The touched positions' lots are rewritten whole: one DELETE per chunk of positions, not per position.
  for (const part of chunks(withLots)) {
    await tx.execute(
      `DELETE FROM stock_lots WHERE (item_code, par_location_code) IN (VALUES ${part.map(() => '(?, ?)').join(', ')})`,
      part.flatMap((p) => [p.itemCode, p.parLocationCode]),
    );
  }
  await insertRows(
    tx,
    'stock_lots',
    withLots.flatMap((p) =>
      [...p.lots].map(([lotNumber, quantity]) => ({
        itemCode: p.itemCode,
        parLocationCode: p.parLocationCode,
        lotNumber,
        quantity,
      })),
    ),
  );
  const serialKeys = new Set(
    movements.filter((m) => m.serialNumber !== null).map((m) => serialKey(m.itemCode, m.serialNumber!)),
  );
  const serials = [...serialKeys]
    .map((k) => state.serials.get(k))
    .filter((s): s is SerialRecord => s !== undefined);
  await insertRows(
    tx,
    'stock_serials',
    serials.map((s) => ({
      itemCode: s.itemCode,
      serialNumber: s.serialNumber,
      lotNumber: s.lotNumber,
      status: s.status,
      parLocationCode: s.parLocationCode,
    })),
    'ON CONFLICT (item_code, serial_number) DO UPDATE SET status = excluded.status, par_location_code = excluded.par_location_code, lot_number = excluded.lot_number',
  );
}
