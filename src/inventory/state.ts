import type { CurrencyCode } from '../demo/model.ts';
import { CrosswalkError } from '../errors/index.ts';
import { lineKeyOf, positionKey, serialKey } from './keys.ts';
import {
  type InventoryState,
  MOVEMENT_TYPES,
  type Movement,
  type MovementType,
  type Position,
  type SerialRecord,
  type SerialStatus,
} from './types.ts';

/**
 * The fold: a state is what its movements sum to. Applying a movement adds its quantity and value to its
 * position, its quantity to its lot, and moves its serial number through its life; nothing else. So a
 * state rebuilt from the stored rows (`applyMovements(emptyState(), rows)`) equals the state that wrote
 * them, and `verifyOnHand` can check any state against its rows.
 */

export function emptyState(): InventoryState {
  return { positions: new Map(), serials: new Map(), applied: new Map(), lines: new Map() };
}

const NO_LOTS: ReadonlyMap<string, bigint> = new Map();

export function zeroPosition(itemCode: string, parLocationCode: string, currency: CurrencyCode): Position {
  return { itemCode, parLocationCode, quantity: 0n, value: 0n, currency, lots: NO_LOTS };
}

/** The position of an item at a location; absent positions read as zero (in `currency`). */
export function positionOf(
  state: Pick<InventoryState, 'positions'>,
  itemCode: string,
  parLocationCode: string,
  currency: CurrencyCode = 'USD',
): Position {
  return (
    state.positions.get(positionKey(itemCode, parLocationCode)) ??
    zeroPosition(itemCode, parLocationCode, currency)
  );
}

export function serialOf(
  state: Pick<InventoryState, 'serials'>,
  itemCode: string,
  serialNumber: string,
): SerialRecord | undefined {
  return state.serials.get(serialKey(itemCode, serialNumber));
}

const INFLOWS: ReadonlySet<MovementType> = new Set(['opening', 'receipt', 'return', 'transfer-in']);
const OUTFLOWS: ReadonlySet<MovementType> = new Set(['issue', 'waste', 'transfer-out']);

function invalid(m: Movement, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INVENTORY_BAD_COMMAND', {
    what: 'movement',
    key: m.movementKey,
    reason,
  });
}

function checkShape(m: Movement): void {
  if (m.movementKey.length === 0) throw invalid(m, 'empty movement key');
  if (!MOVEMENT_TYPES.includes(m.movementType)) throw invalid(m, `unknown type ${m.movementType}`);
  if (m.currency.length === 0) throw invalid(m, 'no currency');
  const q = m.quantity;
  if (INFLOWS.has(m.movementType) && q <= 0n) throw invalid(m, `${m.movementType} of ${q}`);
  if (OUTFLOWS.has(m.movementType) && q >= 0n) throw invalid(m, `${m.movementType} of ${q}`);
  if (m.movementType === 'revaluation' && (q !== 0n || m.serialNumber !== null || m.lotNumber !== null)) {
    throw invalid(m, 'a revaluation moves value only');
  }
  if (m.serialNumber !== null && q !== 1n && q !== -1n) {
    throw invalid(m, `a serial number moves one unit, not ${q}`);
  }
}

export function sameMovement(a: Movement, b: Movement): boolean {
  return (
    a.movementKey === b.movementKey &&
    a.itemCode === b.itemCode &&
    a.parLocationCode === b.parLocationCode &&
    a.movementType === b.movementType &&
    a.quantity === b.quantity &&
    a.value === b.value &&
    a.currency === b.currency &&
    a.lotNumber === b.lotNumber &&
    a.serialNumber === b.serialNumber &&
    a.occurredAt === b.occurredAt
  );
}

function serialError(m: Movement, found: SerialRecord | undefined): CrosswalkError {
  const base = { serial: m.serialNumber ?? '', item: m.itemCode };
  if (found === undefined) {
    return new CrosswalkError('CW_ERR_INVENTORY_SERIAL_UNKNOWN', { ...base, location: m.parLocationCode });
  }
  if (found.status !== 'on-hand' && found.status !== 'in-transit') {
    return new CrosswalkError('CW_ERR_INVENTORY_SERIAL_USED', { ...base, status: found.status });
  }
  // The unit is somewhere in stock: a movement that would bring it in again duplicates it; one that
  // takes it from (or lands it at) a place it is not is about a unit that is not there.
  const bringsIn = m.quantity > 0n && m.movementType !== 'transfer-in';
  if (bringsIn) {
    return new CrosswalkError('CW_ERR_INVENTORY_SERIAL_EXISTS', {
      ...base,
      status: found.status,
      location: found.parLocationCode,
    });
  }
  return new CrosswalkError('CW_ERR_INVENTORY_SERIAL_UNKNOWN', { ...base, location: m.parLocationCode });
}

/** The serial's life: which statuses each movement accepts, and the status it leaves. */
function nextSerial(m: Movement, found: SerialRecord | undefined): SerialRecord {
  const serialNumber = m.serialNumber ?? '';
  const inflow = m.quantity > 0n;
  let accepts: (r: SerialRecord | undefined) => boolean;
  let status: SerialStatus;
  switch (m.movementType) {
    case 'opening':
    case 'receipt':
      accepts = (r) => r === undefined;
      status = 'on-hand';
      break;
    case 'count-adjustment':
      accepts = inflow
        ? (r) => r === undefined || r.status === 'written-off'
        : (r) => r?.status === 'on-hand' && r.parLocationCode === m.parLocationCode;
      status = inflow ? 'on-hand' : 'written-off';
      break;
    case 'return':
      accepts = (r) => r?.status === 'issued';
      status = 'on-hand';
      break;
    case 'transfer-in':
      accepts = (r) => r?.status === 'in-transit';
      status = 'on-hand';
      break;
    default:
      accepts = (r) => r?.status === 'on-hand' && r.parLocationCode === m.parLocationCode;
      status = m.movementType === 'issue' ? 'issued' : m.movementType === 'waste' ? 'wasted' : 'in-transit';
  }
  if (!accepts(found)) throw serialError(m, found);
  // A unit keeps its lot for life; a movement naming another lot contradicts the record.
  const keepsLot = found !== undefined && found.status !== 'written-off';
  if (keepsLot && m.lotNumber !== found.lotNumber) {
    throw new CrosswalkError('CW_ERR_INVENTORY_TRACKING', {
      item: m.itemCode,
      tracking: 'lot-serial',
      reason: `serial ${serialNumber} belongs to lot ${found.lotNumber ?? '(none)'}, not ${m.lotNumber ?? '(none)'}`,
    });
  }
  return {
    itemCode: m.itemCode,
    serialNumber,
    lotNumber: m.lotNumber,
    status,
    parLocationCode: m.parLocationCode,
  };
}

/**
 * A mutable working copy of a state. Operations build one, apply to it, and freeze it into the new
 * state; the input state's maps are copied, never written, so a failure half-way leaves the caller's
 * state untouched (all or nothing). Copying costs O(size of the state) per operation, which is why
 * callers hold only the positions they touch (the store loads them per batch).
 */
export class Draft {
  readonly positions: Map<string, Position>;
  readonly serials: Map<string, SerialRecord>;
  readonly applied: Map<string, Movement>;
  readonly lines: Map<string, readonly string[]>;

  constructor(base: InventoryState) {
    this.positions = new Map(base.positions);
    this.serials = new Map(base.serials);
    this.applied = new Map(base.applied);
    this.lines = new Map(base.lines);
  }

  position(itemCode: string, parLocationCode: string, currency: CurrencyCode): Position {
    return positionOf(this, itemCode, parLocationCode, currency);
  }

  /** Applies one movement; `false` when the same movement (same key, same content) was applied before. */
  apply(m: Movement): boolean {
    checkShape(m);
    const before = this.applied.get(m.movementKey);
    if (before !== undefined) {
      if (sameMovement(before, m)) return false;
      throw new CrosswalkError('CW_ERR_INVENTORY_KEY_CONFLICT', { key: m.movementKey });
    }
    const pKey = positionKey(m.itemCode, m.parLocationCode);
    const p = this.positions.get(pKey) ?? zeroPosition(m.itemCode, m.parLocationCode, m.currency);
    if (p.currency !== m.currency) {
      throw invalid(m, `currency ${m.currency} differs from the position's ${p.currency}`);
    }
    if (m.serialNumber !== null) {
      const sKey = serialKey(m.itemCode, m.serialNumber);
      this.serials.set(sKey, nextSerial(m, this.serials.get(sKey)));
    }
    let lots = p.lots;
    if (m.lotNumber !== null && m.quantity !== 0n) {
      const next = new Map(lots);
      const q = (next.get(m.lotNumber) ?? 0n) + m.quantity;
      if (q === 0n) next.delete(m.lotNumber);
      else next.set(m.lotNumber, q);
      lots = next;
    }
    this.positions.set(pKey, {
      ...p,
      quantity: p.quantity + m.quantity,
      value: p.value + m.value,
      lots,
    });
    this.applied.set(m.movementKey, m);
    const line = lineKeyOf(m.movementKey);
    if (line !== null) this.lines.set(line, [...(this.lines.get(line) ?? []), m.movementKey]);
    return true;
  }

  freeze(): InventoryState {
    return { positions: this.positions, serials: this.serials, applied: this.applied, lines: this.lines };
  }
}

export interface ApplyResult {
  readonly state: InventoryState;
  /** Movements that changed the state, in order. */
  readonly applied: readonly Movement[];
  /** Movements whose key had been applied already with the same content: no further effect. */
  readonly duplicates: readonly Movement[];
}

/**
 * Applies movements in order, all or nothing. A key applied before with the same content is skipped
 * (idempotent replay); with different content it is `CW_ERR_INVENTORY_KEY_CONFLICT`. A serial number
 * whose life the movement contradicts (issued twice, on hand elsewhere, unknown) is refused with the
 * serial error codes. Quantities may go negative here: whether that was allowed is the command's call.
 */
export function applyMovements(state: InventoryState, movements: readonly Movement[]): ApplyResult {
  const draft = new Draft(state);
  const applied: Movement[] = [];
  const duplicates: Movement[] = [];
  for (const m of movements) (draft.apply(m) ? applied : duplicates).push(m);
  return { state: draft.freeze(), applied, duplicates };
}
