import { positionKey } from './keys.ts';
import type { Movement, Position } from './types.ts';

/**
 * The books' first invariant, checkable at any time against stored rows: on-hand is the sum of the
 * movements, per item × location, in quantity and in value, and per lot in quantity. Reports every
 * discrepancy instead of stopping at the first, so a reconciliation can list them.
 */

export interface OnHandMismatch {
  /**
   * `position`: quantity or value differ; `lot`: a lot's quantity differs; `currency`: a movement is in
   * another currency than its position; `duplicate-key`: two movements share a key.
   */
  readonly kind: 'position' | 'lot' | 'currency' | 'duplicate-key';
  readonly itemCode: string;
  readonly parLocationCode: string;
  readonly lotNumber: string | null;
  readonly movementKey: string | null;
  /** Σ movements. */
  readonly expectedQuantity: bigint;
  readonly expectedValue: bigint;
  /** What the position says. */
  readonly actualQuantity: bigint;
  readonly actualValue: bigint;
}

export interface OnHandReport {
  readonly ok: boolean;
  readonly positionsChecked: number;
  readonly movementsChecked: number;
  readonly mismatches: readonly OnHandMismatch[];
}

interface Sum {
  itemCode: string;
  parLocationCode: string;
  quantity: bigint;
  value: bigint;
  lots: Map<string, bigint>;
}

export function verifyOnHand(movements: Iterable<Movement>, positions: Iterable<Position>): OnHandReport {
  const mismatches: OnHandMismatch[] = [];
  const sums = new Map<string, Sum>();
  const currencies = new Map<string, string>();
  const keys = new Set<string>();
  let movementsChecked = 0;
  for (const m of movements) {
    movementsChecked++;
    const at = { itemCode: m.itemCode, parLocationCode: m.parLocationCode, lotNumber: m.lotNumber };
    const zero = { expectedQuantity: 0n, expectedValue: 0n, actualQuantity: 0n, actualValue: 0n };
    if (keys.has(m.movementKey)) {
      mismatches.push({ kind: 'duplicate-key', ...at, movementKey: m.movementKey, ...zero });
    }
    keys.add(m.movementKey);
    const k = positionKey(m.itemCode, m.parLocationCode);
    let s = sums.get(k);
    if (s === undefined) {
      s = {
        itemCode: m.itemCode,
        parLocationCode: m.parLocationCode,
        quantity: 0n,
        value: 0n,
        lots: new Map(),
      };
      sums.set(k, s);
      currencies.set(k, m.currency);
    } else if (currencies.get(k) !== m.currency) {
      mismatches.push({ kind: 'currency', ...at, movementKey: m.movementKey, ...zero });
    }
    s.quantity += m.quantity;
    s.value += m.value;
    if (m.lotNumber !== null) s.lots.set(m.lotNumber, (s.lots.get(m.lotNumber) ?? 0n) + m.quantity);
  }
  let positionsChecked = 0;
  const seen = new Set<string>();
  for (const p of positions) {
    positionsChecked++;
    const k = positionKey(p.itemCode, p.parLocationCode);
    seen.add(k);
    const s = sums.get(k);
    const at = { itemCode: p.itemCode, parLocationCode: p.parLocationCode, movementKey: null };
    const eq = s?.quantity ?? 0n;
    const ev = s?.value ?? 0n;
    if (eq !== p.quantity || ev !== p.value) {
      mismatches.push({
        kind: 'position',
        ...at,
        lotNumber: null,
        expectedQuantity: eq,
        expectedValue: ev,
        actualQuantity: p.quantity,
        actualValue: p.value,
      });
    }
    if (s !== undefined && currencies.get(k) !== p.currency) {
      mismatches.push({
        kind: 'currency',
        ...at,
        lotNumber: null,
        expectedQuantity: 0n,
        expectedValue: 0n,
        actualQuantity: 0n,
        actualValue: 0n,
      });
    }
    for (const lot of new Set([...p.lots.keys(), ...(s?.lots.keys() ?? [])])) {
      const expected = s?.lots.get(lot) ?? 0n;
      const actual = p.lots.get(lot) ?? 0n;
      if (expected !== actual) {
        mismatches.push({
          kind: 'lot',
          ...at,
          lotNumber: lot,
          expectedQuantity: expected,
          expectedValue: 0n,
          actualQuantity: actual,
          actualValue: 0n,
        });
      }
    }
  }
  // Movements that sum to something at a position nobody reported.
  for (const [k, s] of sums) {
    if (seen.has(k) || (s.quantity === 0n && s.value === 0n)) continue;
    mismatches.push({
      kind: 'position',
      itemCode: s.itemCode,
      parLocationCode: s.parLocationCode,
      lotNumber: null,
      movementKey: null,
      expectedQuantity: s.quantity,
      expectedValue: s.value,
      actualQuantity: 0n,
      actualValue: 0n,
    });
  }
  return { ok: mismatches.length === 0, positionsChecked, movementsChecked, mismatches };
}
