import type { QuantityInput } from './arith.ts';
import type {
  CountCommand,
  InventoryCommand,
  IssueCommand,
  ReceiptCommand,
  ReturnCommand,
  TransferCommand,
} from './commands.ts';
import { postAll } from './post.ts';
import { emptyState } from './state.ts';
import { buildCatalog, type ItemCatalog } from './uom.ts';

/** A small item master for tests: one item per tracking level, and a bill-only implant. */
export function testCatalog(): ItemCatalog {
  const item = (
    code: string,
    tracking: 'none' | 'lot' | 'lot-serial',
    unitCost: bigint,
    billOnly = false,
  ) => ({
    code,
    baseUom: 'EA' as const,
    unitCost,
    currency: 'USD' as const,
    tracking,
    billOnly,
  });
  return buildCatalog(
    [
      item('GAUZE', 'none', 25n),
      item('SUTURE', 'lot', 480n),
      item('STENT', 'lot-serial', 150_000n),
      item('HIP', 'lot-serial', 420_000n, true),
    ],
    [
      { itemCode: 'GAUZE', uom: 'EA', baseQuantity: 1, isPurchaseUnit: false },
      { itemCode: 'GAUZE', uom: 'BX', baseQuantity: 10, isPurchaseUnit: false },
      { itemCode: 'GAUZE', uom: 'CS', baseQuantity: 100, isPurchaseUnit: true },
      { itemCode: 'SUTURE', uom: 'BX', baseQuantity: 12, isPurchaseUnit: true },
      { itemCode: 'STENT', uom: 'BX', baseQuantity: 3, isPurchaseUnit: false },
    ],
  );
}

export const AT = '2025-01-06T08:00:00.000Z';

let counter = 0;

function source(): { sourceEventId: string; line: number; occurredAt: string } {
  counter += 1;
  return { sourceEventId: `EVT${counter}`, line: 1, occurredAt: AT };
}

/** Command builders with a fresh source event each; `extra` overrides anything. */
export function receipt(
  itemCode: string,
  parLocationCode: string,
  quantity: QuantityInput,
  unitCost: bigint,
  extra: Partial<ReceiptCommand> = {},
): ReceiptCommand {
  return { type: 'receipt', ...source(), itemCode, parLocationCode, quantity, unitCost, ...extra };
}

export function issue(
  itemCode: string,
  parLocationCode: string,
  quantity: QuantityInput,
  extra: Partial<IssueCommand> = {},
): IssueCommand {
  return { type: 'issue', ...source(), itemCode, parLocationCode, quantity, ...extra };
}

export function giveBack(
  itemCode: string,
  parLocationCode: string,
  quantity: QuantityInput,
  extra: Partial<ReturnCommand> = {},
): ReturnCommand {
  return { type: 'return', ...source(), itemCode, parLocationCode, quantity, ...extra };
}

export function transfer(
  itemCode: string,
  from: string,
  to: string,
  quantity: QuantityInput,
  extra: Partial<TransferCommand> = {},
): TransferCommand {
  return {
    type: 'transfer',
    ...source(),
    itemCode,
    parLocationCode: from,
    toParLocationCode: to,
    quantity,
    ...extra,
  };
}

export function count(
  itemCode: string,
  parLocationCode: string,
  extra: Partial<CountCommand> = {},
): CountCommand {
  return { type: 'count', ...source(), itemCode, parLocationCode, ...extra };
}

/** Posts commands in turn from an empty state; returns the final state and every movement. */
export function run(commands: readonly InventoryCommand[], catalog: ItemCatalog = testCatalog()) {
  return postAll(emptyState(), catalog, commands);
}
