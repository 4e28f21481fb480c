import type { OpeningStock } from '../demo/model.ts';
import { CrosswalkError } from '../errors/index.ts';
import type {
  InventoryCommand,
  PostAllResult,
  PostOutcome,
  PostResult,
  ReceiptCommand,
  ReturnCommand,
} from './commands.ts';
import { planCount } from './count.ts';
import { lineKey } from './keys.ts';
import { allocateLots, inflow, outflow, type PlanContext, position, unitsOf } from './plan.ts';
import { Draft } from './state.ts';
import type { InventoryFlag, InventoryState, Movement, MovementType } from './types.ts';
import { type ItemCatalog, type StockItem, toBaseUnits, uomFactor } from './uom.ts';
import { extendedCost, returnValue, shareOf, valueAtAverage } from './valuation.ts';

/**
 * Posting: commands in, movements out. Each command is planned against the state as the previous one
 * left it and applied at once, all in one draft: `postAll` is all or nothing, and its result's
 * `movements` are exactly the rows that took the state from the input to the output.
 */

export function post(state: InventoryState, catalog: ItemCatalog, command: InventoryCommand): PostResult {
  const r = postAll(state, catalog, [command]);
  return { state: r.state, outcome: r.outcomes[0]! };
}

export function postAll(
  state: InventoryState,
  catalog: ItemCatalog,
  commands: readonly InventoryCommand[],
): PostAllResult {
  const draft = new Draft(state);
  const outcomes: PostOutcome[] = [];
  const movements: Movement[] = [];
  const flags: InventoryFlag[] = [];
  for (const command of commands) {
    const outcome = postOne(draft, catalog, command);
    outcomes.push(outcome);
    if (outcome.kind === 'posted') {
      movements.push(...outcome.movements);
      flags.push(...outcome.flags);
    }
  }
  return { state: draft.freeze(), outcomes, movements, flags };
}

const PRIMARY: Readonly<Record<InventoryCommand['type'], MovementType>> = {
  receipt: 'receipt',
  opening: 'opening',
  issue: 'issue',
  waste: 'waste',
  return: 'return',
  transfer: 'transfer-out',
  count: 'count-adjustment',
};

function badCommand(command: InventoryCommand, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INVENTORY_BAD_COMMAND', {
    what: command.type,
    key: `${command.sourceEventId}#${command.line}`,
    reason,
  });
}

function postOne(draft: Draft, catalog: ItemCatalog, command: InventoryCommand): PostOutcome {
  const item = catalog.get(command.itemCode);
  if (item === undefined)
    throw new CrosswalkError('CW_ERR_INVENTORY_UNKNOWN_ITEM', { item: command.itemCode });
  const line = lineKey(command.sourceEventId, command.line);
  if (!/^\d{4}-\d{2}-\d{2}/.test(command.occurredAt)) {
    throw badCommand(command, `occurredAt ${command.occurredAt} is not an ISO-8601 date-time`);
  }
  const earlier = draft.lines.get(line);
  if (earlier !== undefined) {
    // Replay of a line: same item and the same kind of movement at the same place, or it is not a replay.
    const before = earlier.map((k) => draft.applied.get(k)!);
    const same =
      before.every((m) => m.itemCode === command.itemCode) &&
      before.some(
        (m) => m.movementType === PRIMARY[command.type] && m.parLocationCode === command.parLocationCode,
      );
    if (!same) throw new CrosswalkError('CW_ERR_INVENTORY_KEY_CONFLICT', { key: line });
    return { kind: 'duplicate', movementKeys: earlier };
  }
  if (item.billOnly) return notStocked(item, command);
  const ctx: PlanContext = { draft, item, command, movements: [], flags: [] };
  switch (command.type) {
    case 'receipt':
    case 'opening':
      planReceipt(ctx, command);
      break;
    case 'issue':
    case 'waste': {
      const q = positiveBase(item, command.quantity, command.uom);
      ctx.lotParts = needsAllocation(item, command);
      const units = ctx.lotParts
        ? allocateLots(ctx, command.parLocationCode, q)
        : unitsOf(ctx, q, command.lotNumber, command.serialNumbers, false);
      for (const u of units) {
        outflow(
          ctx,
          command.type,
          command.parLocationCode,
          u.quantity,
          u.lotNumber,
          u.serialNumber,
          !!command.allowNegative,
        );
      }
      break;
    }
    case 'return':
      planReturn(ctx, command);
      break;
    case 'transfer': {
      if (command.toParLocationCode === command.parLocationCode || command.toParLocationCode === '') {
        throw badCommand(command, 'a transfer needs a different destination');
      }
      const q = positiveBase(item, command.quantity, command.uom);
      ctx.lotParts = needsAllocation(item, command);
      const units = ctx.lotParts
        ? allocateLots(ctx, command.parLocationCode, q)
        : unitsOf(ctx, q, command.lotNumber, command.serialNumbers, false);
      for (const u of units) {
        const out = outflow(
          ctx,
          'transfer-out',
          command.parLocationCode,
          u.quantity,
          u.lotNumber,
          u.serialNumber,
          !!command.allowNegative,
        );
        inflow(
          ctx,
          'transfer-in',
          command.toParLocationCode,
          u.quantity,
          -out.value,
          u.lotNumber,
          u.serialNumber,
        );
      }
      break;
    }
    case 'count':
      planCount(ctx, command);
      break;
  }
  return { kind: 'posted', movements: ctx.movements, flags: ctx.flags };
}

/** A lot-tracked item moved out with no lot named: the lots are allocated (see allocateLots). */
function needsAllocation(item: StockItem, command: { lotNumber?: string | null }): boolean {
  return (
    item.tracking === 'lot' &&
    (command.lotNumber === undefined || command.lotNumber === null || command.lotNumber === '')
  );
}

function positiveBase(
  item: StockItem,
  quantity: ReceiptCommand['quantity'],
  uom: string | undefined,
): bigint {
  const q = toBaseUnits(item, quantity, uom ?? item.baseUom);
  if (q <= 0n) {
    throw new CrosswalkError('CW_ERR_INVENTORY_BAD_QUANTITY', {
      quantity: String(quantity),
      item: item.code,
      reason: 'must be positive',
    });
  }
  return q;
}

function planReceipt(ctx: PlanContext, command: ReceiptCommand): void {
  const { item } = ctx;
  const uom = command.uom ?? item.baseUom;
  const q = positiveBase(item, command.quantity, uom);
  if (command.unitCost < 0n) throw badCommand(command, `negative unit cost ${command.unitCost}`);
  const total = extendedCost(q, command.unitCost, uomFactor(item, uom));
  const units = unitsOf(ctx, q, command.lotNumber, command.serialNumbers, true);
  const n = BigInt(units.length);
  units.forEach((u, i) => {
    const value = n === 1n ? total : shareOf(total, n, BigInt(i + 1));
    inflow(ctx, command.type, command.parLocationCode, u.quantity, value, u.lotNumber, u.serialNumber);
  });
}

function planReturn(ctx: PlanContext, command: ReturnCommand): void {
  const { item } = ctx;
  const q = positiveBase(item, command.quantity, command.uom);
  const origin = command.origin;
  // A lot-tracked return that names no lot goes back to the first lot on hand (see allocateLots).
  const lot =
    command.lotNumber ??
    origin?.movement.lotNumber ??
    (item.tracking === 'lot' ? (allocateLots(ctx, command.parLocationCode, 1n)[0]?.lotNumber ?? null) : null);
  const units = unitsOf(ctx, q, lot, command.serialNumbers, false);
  if (origin === undefined) {
    for (const u of units) {
      const value = valueAtAverage(position(ctx, command.parLocationCode), u.quantity, item.unitCost);
      inflow(ctx, 'return', command.parLocationCode, u.quantity, value, u.lotNumber, u.serialNumber);
    }
    return;
  }
  const o = origin.movement;
  if (o.movementType !== 'issue' || o.itemCode !== item.code || o.currency !== item.currency) {
    throw badCommand(
      command,
      `origin ${o.movementKey} is not an issue of item ${item.code} in ${item.currency}`,
    );
  }
  const unit = units[0]!;
  if (units.length !== 1 || unit.serialNumber !== o.serialNumber) {
    throw badCommand(command, `a return against ${o.movementKey} must bring back the units it issued`);
  }
  const returned = origin.returned ?? { quantity: 0n, value: 0n };
  const remaining = -o.quantity - returned.quantity;
  if (q > remaining) {
    throw new CrosswalkError('CW_ERR_INVENTORY_RETURN_EXCEEDS', {
      quantity: q,
      remaining,
      origin: o.movementKey,
    });
  }
  const value = returnValue(-o.quantity, -o.value, returned, q);
  inflow(ctx, 'return', command.parLocationCode, q, value, unit.lotNumber, unit.serialNumber);
}

function notStocked(item: StockItem, command: InventoryCommand): PostOutcome {
  const quantity =
    command.quantity === undefined ? 0n : toBaseUnits(item, command.quantity, command.uom ?? item.baseUom);
  const lotNumber = command.type === 'count' ? null : (command.lotNumber ?? null);
  const serialNumbers = command.type === 'count' ? [] : (command.serialNumbers ?? []);
  return {
    kind: 'not-stocked',
    reason: 'bill-only',
    commandType: command.type,
    sourceEventId: command.sourceEventId,
    line: command.line,
    itemCode: item.code,
    parLocationCode: command.parLocationCode,
    quantity,
    lotNumber,
    serialNumbers: [...serialNumbers],
  };
}

/**
 * Opening stock rows as `opening` commands, one event per row (`opening:<row code>`, line 1), valued at
 * the row's unit cost per base unit.
 */
export function openingCommands(rows: readonly OpeningStock[], occurredAt: string): ReceiptCommand[] {
  return rows.map((row) => ({
    type: 'opening',
    sourceEventId: `opening:${row.code}`,
    line: 1,
    itemCode: row.itemCode,
    parLocationCode: row.parLocationCode,
    occurredAt,
    quantity: BigInt(row.quantity),
    unitCost: row.unitCost,
    lotNumber: row.lotNumber,
    serialNumbers: row.serialNumber === null ? [] : [row.serialNumber],
  }));
}
