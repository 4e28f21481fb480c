/**
 * Perpetual inventory, as pure domain code: positions per item × par location (quantity in base units,
 * value in minor units, lots and serials), movements with deterministic keys, moving-average valuation
 * in exact integers, the on-hand = Σ movements checker, and replenishment hints. No I/O: the store
 * persists `Movement` as `inventory_movements` rows and `Position` as `stock_on_hand` rows.
 */

export { divRoundHalfEven, type ExactDecimal, parseExactDecimal, type QuantityInput } from './arith.ts';
export type {
  CountCommand,
  InventoryCommand,
  IssueCommand,
  LotCount,
  PostAllResult,
  PostOutcome,
  PostResult,
  ReceiptCommand,
  ReturnCommand,
  SerialCount,
  TransferCommand,
} from './commands.ts';
export { lineKey, lineKeyOf, movementKey, positionKey, serialKey } from './keys.ts';
export { openingCommands, post, postAll } from './post.ts';
export { belowReorderPoint, type ParLevelLike, type ReplenishmentHint } from './replenish.ts';
export {
  type ApplyResult,
  applyMovements,
  emptyState,
  positionOf,
  sameMovement,
  serialOf,
} from './state.ts';
export {
  type InventoryFlag,
  type InventoryState,
  MOVEMENT_TYPES,
  type Movement,
  type MovementType,
  type Position,
  type SerialRecord,
  type SerialStatus,
} from './types.ts';
export {
  buildCatalog,
  type ItemCatalog,
  type StockItem,
  type StockItemMaster,
  type StockItemUom,
  toBaseUnits,
  uomFactor,
} from './uom.ts';
export {
  extendedCost,
  type Returned,
  returnValue,
  revaluedAfterInflow,
  shareOf,
  valueAtAverage,
} from './valuation.ts';
export { type OnHandMismatch, type OnHandReport, verifyOnHand } from './verify.ts';
