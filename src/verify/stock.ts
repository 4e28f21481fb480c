import { type Movement, type Position, verifyOnHand } from '../inventory/index.ts';
import { type Violation, violation } from './types.ts';

/** On-hand equals the sum of movements per item × par location (quantity and value) and per lot. */
export function checkOnHand(movements: Iterable<Movement>, positions: Iterable<Position>): Violation[] {
  return verifyOnHand(movements, positions).mismatches.map((m) =>
    violation(
      'on-hand',
      `${m.itemCode} @ ${m.parLocationCode}${m.lotNumber ? ` lot ${m.lotNumber}` : ''}${m.movementKey ? ` movement ${m.movementKey}` : ''}`,
      m.kind === 'duplicate-key' || m.kind === 'currency'
        ? `${m.kind} among the movements`
        : `Σ movements ${m.expectedQuantity} (value ${m.expectedValue}) but on hand ${m.actualQuantity} (value ${m.actualValue})`,
    ),
  );
}
