import type { CurrencyCode } from '../demo/model.ts';

/**
 * The shapes of perpetual inventory. `Movement` is one row of `inventory_movements` and `Position` one
 * row of `stock_on_hand` (plus its lot breakdown), field for field, so the store can persist them
 * without translation. Quantities are signed base units, values signed minor units, both `bigint`.
 */

/**
 * Why stock moved. Inflows carry a positive quantity (opening, receipt, return, transfer-in), outflows a
 * negative one (issue, waste, transfer-out); a count adjustment carries the signed variance (zero when a
 * count found none: the record that the count happened); a revaluation moves value only (quantity 0).
 */
export type MovementType =
  | 'opening'
  | 'receipt'
  | 'issue'
  | 'waste'
  | 'return'
  | 'transfer-out'
  | 'transfer-in'
  | 'count-adjustment'
  | 'revaluation';

export const MOVEMENT_TYPES: readonly MovementType[] = [
  'opening',
  'receipt',
  'issue',
  'waste',
  'return',
  'transfer-out',
  'transfer-in',
  'count-adjustment',
  'revaluation',
];

/** One immutable row of `inventory_movements`. */
export interface Movement {
  /** Deterministic from (source event id, line, movement type[, serial or lot]); see `movementKey`. */
  readonly movementKey: string;
  readonly itemCode: string;
  readonly parLocationCode: string;
  readonly movementType: MovementType;
  /** Signed base units. */
  readonly quantity: bigint;
  /** Signed minor units: what the movement added to (or took from) the position's value. */
  readonly value: bigint;
  readonly currency: CurrencyCode;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  /** ISO-8601 instant of the source event. */
  readonly occurredAt: string;
}

/**
 * On-hand of one item at one par location: the running sum of its movements. `lots` breaks the quantity
 * down by lot for movements that named one (lot-tracked items); lots that reach zero are dropped.
 */
export interface Position {
  readonly itemCode: string;
  readonly parLocationCode: string;
  readonly quantity: bigint;
  readonly value: bigint;
  readonly currency: CurrencyCode;
  readonly lots: ReadonlyMap<string, bigint>;
}

/**
 * Where a serial number is. A serial is on hand at one location at a time; `issued`, `wasted` and
 * `written-off` are final except that a return brings an `issued` unit back and a count can find a
 * `written-off` one. `in-transit` lasts between the two legs of a transfer.
 */
export type SerialStatus = 'on-hand' | 'in-transit' | 'issued' | 'wasted' | 'written-off';

export interface SerialRecord {
  readonly itemCode: string;
  readonly serialNumber: string;
  readonly lotNumber: string | null;
  readonly status: SerialStatus;
  /** Where the unit is (on hand) or was last (otherwise). */
  readonly parLocationCode: string;
}

/**
 * The whole state of the books as far as this module knows them. Immutable: every operation returns a
 * new state and leaves its input as it was. `applied` and `lines` make replays idempotent: they index the
 * movements already applied by movement key and by source line (`lineKey`).
 */
export interface InventoryState {
  readonly positions: ReadonlyMap<string, Position>;
  readonly serials: ReadonlyMap<string, SerialRecord>;
  readonly applied: ReadonlyMap<string, Movement>;
  readonly lines: ReadonlyMap<string, readonly string[]>;
}

/**
 * A movement that went through but needs a person: the exception queue stores `code` (a registry code,
 * the same one the refusal would carry without the policy flag).
 */
export type InventoryFlag =
  | {
      readonly code: 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND';
      readonly movementKey: string;
      readonly itemCode: string;
      readonly parLocationCode: string;
      readonly lotNumber: string | null;
      /** Base units issued beyond what was on hand (of the lot, when a lot was named). */
      readonly shortQuantity: bigint;
      readonly onHandQuantity: bigint;
      readonly onHandValue: bigint;
    }
  | {
      readonly code: 'CW_ERR_INVENTORY_NEGATIVE_REVALUED';
      readonly movementKey: string;
      readonly itemCode: string;
      readonly parLocationCode: string;
      readonly lotNumber: null;
      /** Value the revaluation movement added (negative: the short units had been issued too cheap). */
      readonly revaluation: bigint;
      readonly onHandQuantity: bigint;
      readonly onHandValue: bigint;
    };
