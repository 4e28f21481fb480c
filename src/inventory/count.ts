import { CrosswalkError } from '../errors/index.ts';
import type { CountCommand } from './commands.ts';
import { emit, type PlanContext, position } from './plan.ts';
import { serialOf } from './state.ts';
import { toBaseUnits } from './uom.ts';
import { valueAtAverage } from './valuation.ts';

/**
 * A physical count replaces the book quantity with what was found. Each variance becomes a
 * `count-adjustment` valued at the current average cost (valuation rule 1, signed), gains before losses
 * so that every gain is valued at the average of the stock it joins and the last loss of a count that
 * empties the position takes exactly the value left. A count that finds no variance still leaves one
 * zero movement: the record that it happened, and what makes posting it again a no-op.
 */
export function planCount(ctx: PlanContext, command: CountCommand): void {
  const { item } = ctx;
  const before = ctx.movements.length;
  const wrongShape = (reason: string) =>
    new CrosswalkError('CW_ERR_INVENTORY_TRACKING', { item: item.code, tracking: item.tracking, reason });
  switch (item.tracking) {
    case 'none': {
      if (command.quantity === undefined || command.lots !== undefined || command.serials !== undefined) {
        throw wrongShape('count it by quantity');
      }
      const counted = countedBase(ctx, command.quantity, command.uom);
      adjust(ctx, command, counted - position(ctx, command.parLocationCode).quantity, null, null);
      break;
    }
    case 'lot':
      if (command.lots === undefined || command.quantity !== undefined || command.serials !== undefined) {
        throw wrongShape('count it by lot');
      }
      countLots(ctx, command, command.lots);
      break;
    case 'lot-serial':
      if (command.serials === undefined || command.quantity !== undefined || command.lots !== undefined) {
        throw wrongShape('count it by serial number');
      }
      countSerials(ctx, command, command.serials);
      break;
  }
  if (ctx.movements.length === before) {
    emit(ctx, 'count-adjustment', command.parLocationCode, 0n, 0n, null, null, null);
  }
}

function countedBase(ctx: PlanContext, quantity: NonNullable<CountCommand['quantity']>, uom?: string) {
  const q = toBaseUnits(ctx.item, quantity, uom ?? ctx.item.baseUom);
  if (q < 0n) {
    throw new CrosswalkError('CW_ERR_INVENTORY_BAD_QUANTITY', {
      quantity: String(quantity),
      item: ctx.item.code,
      reason: 'a count cannot be negative',
    });
  }
  return q;
}

function adjust(
  ctx: PlanContext,
  command: CountCommand,
  variance: bigint,
  lotNumber: string | null,
  serialNumber: string | null,
  part: string | null = serialNumber ?? lotNumber,
): void {
  if (variance === 0n) return;
  const p = position(ctx, command.parLocationCode);
  const value = valueAtAverage(p, variance, ctx.item.unitCost);
  emit(ctx, 'count-adjustment', command.parLocationCode, variance, value, lotNumber, serialNumber, part);
}

function duplicate(command: CountCommand, what: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INVENTORY_BAD_COMMAND', {
    what: 'count',
    key: `${command.sourceEventId}#${command.line}`,
    reason: `${what} listed twice or empty`,
  });
}

/** Gains first, then losses; within each, by lot (the unattributed remainder, lot `null`, first). */
function byGainThenName(a: [string | null, bigint], b: [string | null, bigint]): number {
  if (a[1] > 0n !== b[1] > 0n) return a[1] > 0n ? -1 : 1;
  const an = a[0] ?? '';
  const bn = b[0] ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

function countLots(ctx: PlanContext, command: CountCommand, lots: NonNullable<CountCommand['lots']>): void {
  const counted = new Map<string, bigint>();
  for (const l of lots) {
    if (l.lotNumber === '' || counted.has(l.lotNumber)) throw duplicate(command, `lot ${l.lotNumber}`);
    counted.set(l.lotNumber, countedBase(ctx, l.quantity, command.uom));
  }
  const p = position(ctx, command.parLocationCode);
  let attributed = 0n;
  for (const q of p.lots.values()) attributed += q;
  // Stock on the books without a lot (movements from before the item was lot-tracked) counts as found 0.
  const variances: [string | null, bigint][] = [[null, -(p.quantity - attributed)]];
  for (const lot of new Set([...p.lots.keys(), ...counted.keys()])) {
    variances.push([lot, (counted.get(lot) ?? 0n) - (p.lots.get(lot) ?? 0n)]);
  }
  for (const [lot, d] of variances.filter(([, d]) => d !== 0n).sort(byGainThenName)) {
    adjust(ctx, command, d, lot, null);
  }
}

function countSerials(
  ctx: PlanContext,
  command: CountCommand,
  serials: NonNullable<CountCommand['serials']>,
): void {
  const { item, draft } = ctx;
  const location = command.parLocationCode;
  const counted = new Map<string, string | null>();
  for (const s of serials) {
    if (s.serialNumber === '' || counted.has(s.serialNumber))
      throw duplicate(command, `serial ${s.serialNumber}`);
    counted.set(s.serialNumber, s.lotNumber === '' ? null : s.lotNumber);
  }
  const onHand = new Map<string, string | null>();
  for (const r of draft.serials.values()) {
    if (r.itemCode === item.code && r.status === 'on-hand' && r.parLocationCode === location) {
      onHand.set(r.serialNumber, r.lotNumber);
    }
  }
  const changes: [string, bigint, string | null][] = [];
  for (const [serial, lot] of counted) {
    if (onHand.has(serial)) continue;
    const known = serialOf(draft, item.code, serial);
    // A unit the books do not have here: found stock. Its lot comes from the count, or from the record
    // of a unit written off earlier; the fold refuses units that are issued or on hand elsewhere.
    const foundLot = lot ?? (known?.status === 'written-off' ? known.lotNumber : null);
    if (foundLot === null && known === undefined) {
      throw new CrosswalkError('CW_ERR_INVENTORY_TRACKING', {
        item: item.code,
        tracking: item.tracking,
        reason: `found serial ${serial} needs its lot number`,
      });
    }
    changes.push([serial, 1n, foundLot]);
  }
  for (const [serial, lot] of onHand) if (!counted.has(serial)) changes.push([serial, -1n, lot]);
  changes.sort((a, b) => byGainThenName([a[0], a[1]], [b[0], b[1]]));
  for (const [serial, d, lot] of changes) adjust(ctx, command, d, lot, serial);
}
