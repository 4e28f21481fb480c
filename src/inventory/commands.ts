import type { QuantityInput } from './arith.ts';
import type { InventoryFlag, InventoryState, Movement } from './types.ts';
import type { Returned } from './valuation.ts';

/**
 * What callers ask for. A command is one source line (an FT1 of a DFT^P03, a receipt line, a count
 * sheet line): `(sourceEventId, line)` identifies it, and every movement it produces is keyed from it,
 * so posting the same command twice has no further effect.
 */
interface CommandBase {
  readonly sourceEventId: string;
  /** 1-based line within the source event. */
  readonly line: number;
  readonly itemCode: string;
  readonly parLocationCode: string;
  /** ISO-8601 instant of the source event; copied onto every movement. */
  readonly occurredAt: string;
}

interface Quantities {
  /** In `uom`, converted exactly to base units; must be positive. */
  readonly quantity: QuantityInput;
  /** Defaults to the item's base unit. */
  readonly uom?: string;
  /** Required for lot-tracked items; dropped for untracked ones (lots are recorded only when tracked). */
  readonly lotNumber?: string | null;
  /** Required for lot-serial items, one per base unit; refused for others. */
  readonly serialNumbers?: readonly string[];
}

/** Stock bought (`receipt`) or counted at go-live (`opening`), at `unitCost` per `uom`, minor units. */
export interface ReceiptCommand extends CommandBase, Quantities {
  readonly type: 'receipt' | 'opening';
  readonly unitCost: bigint;
}

/** Usage at the point of care (`issue`) or stock spoiled, expired or dropped (`waste`). */
export interface IssueCommand extends CommandBase, Quantities {
  readonly type: 'issue' | 'waste';
  /** Policy: take more than is on hand, valued per the negative-stock rule, and flag it. */
  readonly allowNegative?: boolean;
}

/**
 * Unused stock coming back to `parLocationCode`. With `origin` (the issue movement being returned, and
 * what earlier returns against it took) it comes back at the value it left with, so the cost center
 * and the case are credited exactly what they were charged and an issue-then-return nets to zero in
 * the books. Without one (a credit the source could not link) it comes back at the current average.
 */
export interface ReturnCommand extends CommandBase, Quantities {
  readonly type: 'return';
  readonly origin?: { readonly movement: Movement; readonly returned?: Returned };
}

/** Stock moved from `parLocationCode` to `toParLocationCode`: the value that leaves is the value that arrives. */
export interface TransferCommand extends CommandBase, Quantities {
  readonly type: 'transfer';
  readonly toParLocationCode: string;
  readonly allowNegative?: boolean;
}

export interface LotCount {
  readonly lotNumber: string;
  readonly quantity: QuantityInput;
}

export interface SerialCount {
  readonly serialNumber: string;
  /** The lot of a unit the books did not know (found stock); ignored for known units. */
  readonly lotNumber: string | null;
}

/**
 * A physical count of one item at one location, in the form the item's tracking needs: `quantity` (in
 * `uom`) for untracked items, every lot present for lot-tracked items (lots not listed counted zero),
 * every serial present for lot-serial items (on-hand serials not listed are written off).
 */
export interface CountCommand extends CommandBase {
  readonly type: 'count';
  readonly quantity?: QuantityInput;
  readonly uom?: string;
  readonly lots?: readonly LotCount[];
  readonly serials?: readonly SerialCount[];
}

export type InventoryCommand = ReceiptCommand | IssueCommand | ReturnCommand | TransferCommand | CountCommand;

export type PostOutcome =
  | {
      readonly kind: 'posted';
      readonly movements: readonly Movement[];
      readonly flags: readonly InventoryFlag[];
    }
  /** The line had been posted before: nothing changed. */
  | { readonly kind: 'duplicate'; readonly movementKeys: readonly string[] }
  /**
   * Bill-only / consignment items are not stocked: no movement. The caller turns this into a bill-only
   * requisition naming the case (quantity in base units, lot and serials as used).
   */
  | {
      readonly kind: 'not-stocked';
      readonly reason: 'bill-only';
      readonly commandType: InventoryCommand['type'];
      readonly sourceEventId: string;
      readonly line: number;
      readonly itemCode: string;
      readonly parLocationCode: string;
      readonly quantity: bigint;
      readonly lotNumber: string | null;
      readonly serialNumbers: readonly string[];
    };

export interface PostResult {
  readonly state: InventoryState;
  readonly outcome: PostOutcome;
}

export interface PostAllResult {
  readonly state: InventoryState;
  readonly outcomes: readonly PostOutcome[];
  /** Every movement posted, in order: the rows to insert. */
  readonly movements: readonly Movement[];
  readonly flags: readonly InventoryFlag[];
}
