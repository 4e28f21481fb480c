import { type Violation, violation } from './types.ts';

/**
 * A group of effects that share what should be unique about them: one event per message position, one
 * entry per event × rule × entity × currency × amount × description (entries a rule derives in several
 * legs differ in entity or amount), one reversal per entry, one movement per key, one bill-only
 * requisition per event, one stored message per sender + control id.
 */
export interface DuplicateFact {
  readonly effect: 'event' | 'entry' | 'reversal' | 'movement' | 'requisition' | 'message';
  readonly key: string;
  readonly count: number;
}

export function checkDuplicates(groups: Iterable<DuplicateFact>): Violation[] {
  const out: Violation[] = [];
  for (const g of groups)
    if (g.count > 1)
      out.push(violation('duplicate-effect', `${g.effect} ${g.key}`, `written ${g.count} times`));
  return out;
}
