import { divRoundHalfEven } from './arith.ts';
import type { Position } from './types.ts';

/**
 * Moving-average valuation in exact integers. The rules, which every planner follows:
 *
 * 1. **Average.** A position (Q, V) carries the average cost V / Q, kept as that exact fraction and never
 *    as a rounded unit price. Anything leaving at average cost — an issue, waste, transfer-out, a count
 *    shortage — takes `round(q × V / Q)`, rounded half to even. When q = Q this is exactly V, so quantity
 *    and value reach zero together; when q < Q the result lies in [0, V], so the residual never goes
 *    negative and carries the rounding forward instead of letting it drift.
 * 2. **Inflows** add their own value: receipts their extended cost, returns the value they left with,
 *    transfers-in the value the source gave up. The average moves accordingly.
 * 3. **Nothing on hand** (Q = 0, hence V = 0): no average exists, so an issue beyond stock (allowed only
 *    by policy, and flagged) and a count gain are valued at the item master's unit cost, the ERP's
 *    current cost and the best estimate available.
 * 4. **Negative on-hand** (Q < 0, hence V ≤ 0): V / Q is the cost the short units were issued at; further
 *    issues use it (rule 1 holds for either sign). When an inflow arrives, the true cost is known: what
 *    remains after it (Q', short or not) is revalued at the inflow's unit cost, and the difference is a
 *    separate `revaluation` movement (quantity 0), flagged for finance to post as a variance. So the
 *    position is clean again as soon as stock is back: V' = Q' × inflow cost.
 *
 * Consequence, checked by the property tests: Q = 0 ⇒ V = 0, Q > 0 ⇒ V ≥ 0, Q < 0 ⇒ V ≤ 0.
 */

/** The value of `q` units at the position's average cost (rule 1), or at `unitCost` when Q = 0 (rule 3). */
export function valueAtAverage(position: Pick<Position, 'quantity' | 'value'>, q: bigint, unitCost: bigint) {
  if (position.quantity === 0n) return q * unitCost;
  return divRoundHalfEven(q * position.value, position.quantity);
}

/**
 * Rule 4: the value a position should hold after an inflow of `inflowQuantity` worth `inflowValue` took
 * it to `quantityAfter`, when it had been negative before: `quantityAfter` units at the inflow's cost.
 */
export function revaluedAfterInflow(quantityAfter: bigint, inflowQuantity: bigint, inflowValue: bigint) {
  return divRoundHalfEven(quantityAfter * inflowValue, inflowQuantity);
}

/**
 * The extended cost of `quantity` base units bought at `unitCost` per unit of `factor` base units. Exact
 * for whole packs; a part pack is rounded half to even to the minor unit.
 */
export function extendedCost(quantity: bigint, unitCost: bigint, factor: bigint): bigint {
  return divRoundHalfEven(quantity * unitCost, factor);
}

/**
 * The share of `total` that unit `i` (1-based) of `n` carries, so that the n shares sum to `total`
 * exactly (cumulative rounding: share i = round(total·i/n) − round(total·(i−1)/n)).
 */
export function shareOf(total: bigint, n: bigint, i: bigint): bigint {
  return divRoundHalfEven(total * i, n) - divRoundHalfEven(total * (i - 1n), n);
}

/** What has already come back against one issue, for valuing the next return against it. */
export interface Returned {
  readonly quantity: bigint;
  readonly value: bigint;
}

/**
 * A return against a known issue comes back at the value it left with: the value pro rata,
 * computed cumulatively so that returning everything, in any number of parts, gives back exactly the
 * issue's value. `issuedQuantity` and `issuedValue` are magnitudes; `returned` is what earlier returns
 * against the same issue took.
 */
export function returnValue(
  issuedQuantity: bigint,
  issuedValue: bigint,
  returned: Returned,
  quantity: bigint,
): bigint {
  const through = divRoundHalfEven(issuedValue * (returned.quantity + quantity), issuedQuantity);
  return through - returned.value;
}
