import type { ParLevel } from '../demo/model.ts';
import { CrosswalkError } from '../errors/index.ts';
import { positionKey } from './keys.ts';
import type { Position } from './types.ts';
import type { ItemCatalog } from './uom.ts';

/**
 * Replenishment hints: every par level whose on-hand has fallen to its reorder point or below, with the
 * quantity that refills it to par. A negative on-hand (issued ahead of stock) is refilled too: the
 * suggestion covers the hole. Hints only: the requisition that follows is the caller's.
 */

export interface ReplenishmentHint {
  readonly parLocationCode: string;
  readonly itemCode: string;
  /** Base units. */
  readonly onHand: bigint;
  readonly reorderPoint: bigint;
  readonly parQuantity: bigint;
  /** parQuantity − onHand, base units. */
  readonly suggestedQuantity: bigint;
  /**
   * With a catalog: the suggestion in the item's purchase unit, rounded up to whole packs (so it can
   * exceed par by less than one pack).
   */
  readonly purchase: { readonly uom: string; readonly quantity: bigint } | null;
}

export type ParLevelLike = Pick<ParLevel, 'parLocationCode' | 'itemCode' | 'parQuantity' | 'reorderPoint'>;

function whole(p: ParLevelLike, field: 'parQuantity' | 'reorderPoint'): bigint {
  const v = p[field];
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new CrosswalkError('CW_ERR_INVENTORY_MASTER_INVALID', {
      item: p.itemCode,
      reason: `par level at ${p.parLocationCode} has ${field} ${v}`,
    });
  }
  return BigInt(v);
}

/** Sorted by par location, then item. */
export function belowReorderPoint(
  positions: Iterable<Pick<Position, 'itemCode' | 'parLocationCode' | 'quantity'>>,
  parLevels: readonly ParLevelLike[],
  catalog?: ItemCatalog,
): ReplenishmentHint[] {
  const onHand = new Map<string, bigint>();
  for (const p of positions) onHand.set(positionKey(p.itemCode, p.parLocationCode), p.quantity);
  const hints: ReplenishmentHint[] = [];
  for (const level of parLevels) {
    const parQuantity = whole(level, 'parQuantity');
    const reorderPoint = whole(level, 'reorderPoint');
    const q = onHand.get(positionKey(level.itemCode, level.parLocationCode)) ?? 0n;
    if (q > reorderPoint || q >= parQuantity) continue;
    const suggestedQuantity = parQuantity - q;
    const item = catalog?.get(level.itemCode);
    const factor = item?.uoms.get(item.purchaseUom);
    hints.push({
      parLocationCode: level.parLocationCode,
      itemCode: level.itemCode,
      onHand: q,
      reorderPoint,
      parQuantity,
      suggestedQuantity,
      purchase:
        item === undefined || factor === undefined
          ? null
          : { uom: item.purchaseUom, quantity: (suggestedQuantity + factor - 1n) / factor },
    });
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return hints.sort((a, b) => cmp(a.parLocationCode, b.parLocationCode) || cmp(a.itemCode, b.itemCode));
}
