import { CrosswalkError } from '../errors/index.ts';
import type { InventoryCommand } from './commands.ts';
import { movementKey } from './keys.ts';
import { type Draft, serialOf } from './state.ts';
import type { InventoryFlag, Movement, MovementType, Position } from './types.ts';
import type { StockItem } from './uom.ts';
import { revaluedAfterInflow, valueAtAverage } from './valuation.ts';

/**
 * The building blocks planners share. A planner values each movement against the draft as it stands,
 * applies it, and values the next against the result: a line of several serials, or a count of several
 * lots, is a sequence of movements each of which sees the one before.
 */
export interface PlanContext {
  readonly draft: Draft;
  readonly item: StockItem;
  readonly command: InventoryCommand;
  readonly movements: Movement[];
  readonly flags: InventoryFlag[];
  /** Set when lots were allocated (allocateLots): each lot's movement is keyed by its lot. */
  lotParts?: boolean;
}

export function position(ctx: PlanContext, location: string): Position {
  return ctx.draft.position(ctx.item.code, location, ctx.item.currency);
}

/**
 * Usage documented without a lot, as EHRs often send it for sutures and other lot-tracked disposables
 * scanned by item only: the quantity is drawn from the position's lots in lot-number order, so the
 * result is deterministic and a replay produces the same movements. What the lots cannot cover (stock
 * the books do not show, posted only under the negative-stock policy) is drawn from the last lot, or
 * recorded without a lot when the position has none.
 */
export function allocateLots(ctx: PlanContext, location: string, q: bigint): Unit[] {
  const lots = [...position(ctx, location).lots]
    .filter(([, n]) => n > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const units: Unit[] = [];
  let left = q;
  for (const [lotNumber, onHand] of lots) {
    if (left === 0n) break;
    // biome-ignore lint/complexity/useMathMinMax: bigint, which Math.min does not take
    const take = onHand < left ? onHand : left;
    units.push({ quantity: take, lotNumber, serialNumber: null });
    left -= take;
  }
  if (left > 0n) {
    const last = units.at(-1);
    if (last) units[units.length - 1] = { ...last, quantity: last.quantity + left };
    else units.push({ quantity: left, lotNumber: lots.at(-1)?.[0] ?? null, serialNumber: null });
  }
  return units;
}

/** Builds, applies and records one movement of the command's line. */
export function emit(
  ctx: PlanContext,
  movementType: MovementType,
  location: string,
  quantity: bigint,
  value: bigint,
  lotNumber: string | null,
  serialNumber: string | null,
  part: string | null = serialNumber ?? (ctx.lotParts ? lotNumber : null),
): Movement {
  const c = ctx.command;
  const m: Movement = {
    movementKey: movementKey(c.sourceEventId, c.line, movementType, part),
    itemCode: ctx.item.code,
    parLocationCode: location,
    movementType,
    quantity,
    value,
    currency: ctx.item.currency,
    lotNumber,
    serialNumber,
    occurredAt: c.occurredAt,
  };
  ctx.draft.apply(m);
  ctx.movements.push(m);
  return m;
}

/**
 * Takes `q` units out at average cost. Beyond what is on hand (of the lot, when one is named) it needs
 * `allowNegative`, and then it is flagged. Serial units are not checked here: a serial on hand means
 * a unit on hand, and the fold refuses a serial that is not.
 */
export function outflow(
  ctx: PlanContext,
  movementType: 'issue' | 'waste' | 'transfer-out',
  location: string,
  q: bigint,
  lotNumber: string | null,
  serialNumber: string | null,
  allowNegative: boolean,
): Movement {
  const p = position(ctx, location);
  let short = 0n;
  if (serialNumber === null) {
    const inLot = lotNumber === null ? p.quantity : (p.lots.get(lotNumber) ?? 0n);
    const available = inLot < p.quantity ? inLot : p.quantity;
    short = available >= q ? 0n : available > 0n ? q - available : q;
    if (short > 0n && !allowNegative) {
      throw new CrosswalkError('CW_ERR_INVENTORY_NEGATIVE_ON_HAND', {
        quantity: q,
        item: ctx.item.code,
        location,
        onHand: available,
      });
    }
  }
  const value = -valueAtAverage(p, q, ctx.item.unitCost);
  const m = emit(ctx, movementType, location, -q, value, lotNumber, serialNumber);
  if (short > 0n) {
    const after = position(ctx, location);
    ctx.flags.push({
      code: 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND',
      movementKey: m.movementKey,
      itemCode: ctx.item.code,
      parLocationCode: location,
      lotNumber,
      shortQuantity: short,
      onHandQuantity: after.quantity,
      onHandValue: after.value,
    });
  }
  return m;
}

/**
 * Brings `q` units worth `value` in. Into a negative position, what remains is revalued at this
 * inflow's cost and the difference becomes a flagged `revaluation` movement (valuation rule 4).
 */
export function inflow(
  ctx: PlanContext,
  movementType: 'opening' | 'receipt' | 'return' | 'transfer-in',
  location: string,
  q: bigint,
  value: bigint,
  lotNumber: string | null,
  serialNumber: string | null,
): Movement {
  const before = position(ctx, location);
  const m = emit(ctx, movementType, location, q, value, lotNumber, serialNumber);
  if (before.quantity < 0n) {
    const after = position(ctx, location);
    const revaluation = revaluedAfterInflow(after.quantity, q, value) - after.value;
    if (revaluation !== 0n) {
      const r = emit(ctx, 'revaluation', location, 0n, revaluation, null, null, serialNumber);
      ctx.flags.push({
        code: 'CW_ERR_INVENTORY_NEGATIVE_REVALUED',
        movementKey: r.movementKey,
        itemCode: ctx.item.code,
        parLocationCode: location,
        lotNumber: null,
        revaluation,
        onHandQuantity: after.quantity,
        onHandValue: after.value + revaluation,
      });
    }
  }
  return m;
}

function trackingError(item: StockItem, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INVENTORY_TRACKING', {
    item: item.code,
    tracking: item.tracking,
    reason,
  });
}

/** One unit group of a line: the whole quantity, or one unit per serial. */
export interface Unit {
  readonly quantity: bigint;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
}

/**
 * Splits a line into the units its movements carry, per the item's tracking. `lotRequired` says whether
 * the line must name the lot of serial units (it must when it brings them into being); otherwise their
 * lot comes from the serial's record unless the line names one (which the fold then checks).
 */
export function unitsOf(
  ctx: PlanContext,
  q: bigint,
  lotNumber: string | null | undefined,
  serialNumbers: readonly string[] | undefined,
  lotRequired: boolean,
): Unit[] {
  const { item } = ctx;
  const lot = lotNumber === undefined || lotNumber === null || lotNumber === '' ? null : lotNumber;
  const serials = serialNumbers ?? [];
  if (item.tracking !== 'lot-serial') {
    if (serials.length > 0) throw trackingError(item, 'serial numbers given for an item without serials');
    if (item.tracking === 'none') return [{ quantity: q, lotNumber: null, serialNumber: null }];
    if (lot === null) throw trackingError(item, 'a lot number is required');
    return [{ quantity: q, lotNumber: lot, serialNumber: null }];
  }
  if (BigInt(serials.length) !== q) {
    throw trackingError(item, `${q} units need ${q} serial numbers, got ${serials.length}`);
  }
  if (new Set(serials).size !== serials.length || serials.some((s) => s === '')) {
    throw trackingError(item, 'serial numbers must be distinct and non-empty');
  }
  if (lotRequired && lot === null) throw trackingError(item, 'a lot number is required');
  return serials.map((serialNumber) => ({
    quantity: 1n,
    lotNumber: lot ?? serialOf(ctx.draft, item.code, serialNumber)?.lotNumber ?? null,
    serialNumber,
  }));
}
