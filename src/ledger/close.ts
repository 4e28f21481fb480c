/**
 * Whether a period may close. The ledger can only judge what it is shown, so the caller gathers the
 * facts (entries, unposted events, open exceptions) from storage and the other engines; this function
 * says which of them block, with a stable code each. It closes nothing: `transitionPeriod` does, once
 * the answer is empty.
 */

import type { LedgerContext } from './context.ts';
import { isBalanced, postedLines } from './entry.ts';
import type { FiscalPeriod, JournalEntry } from './model.ts';
import { intercompanyMismatches } from './trial-balance.ts';

export interface CloseFacts {
  /** The entity's periods (others are ignored): earlier periods must close first. */
  readonly periods: readonly FiscalPeriod[];
  /**
   * The entries booked in the period, plus the other entities' entries of the same intercompany groups
   * (for the mirror check); entries of other periods and entities are otherwise ignored.
   */
  readonly entries: readonly JournalEntry[];
  /** Canonical events for this entity dated on or before the period's end that the ledger has not applied. */
  readonly unpostedEvents: number;
  /** Open exceptions that would post to this entity and period once fixed and replayed. */
  readonly openExceptions: number;
}

export type CloseBlockerCode =
  | 'already-closed'
  | 'not-cut-off'
  | 'earlier-period-open'
  | 'unposted-events'
  | 'open-exceptions'
  | 'unbalanced-entry'
  | 'intercompany-unmatched';

export interface CloseBlocker {
  readonly code: CloseBlockerCode;
  readonly count: number;
  /** PHI-free detail naming what to look at (period ids, entry ids, entity pairs). */
  readonly detail: string;
}

export interface CloseCheck {
  readonly ok: boolean;
  readonly blockers: readonly CloseBlocker[];
}

const list = (items: readonly string[], max = 5): string =>
  items.slice(0, max).join(', ') + (items.length > max ? ` and ${items.length - max} more` : '');

export function canClose(period: FiscalPeriod, facts: CloseFacts, ctx: LedgerContext): CloseCheck {
  const blockers: CloseBlocker[] = [];
  const block = (code: CloseBlockerCode, count: number, detail: string): void => {
    blockers.push({ code, count, detail });
  };
  if (period.status === 'closed') block('already-closed', 1, `period ${period.id} is already closed`);
  if (period.status === 'open') {
    block('not-cut-off', 1, `period ${period.id} still takes postings; move it to closing first`);
  }
  const earlier = facts.periods
    .filter(
      (p) => p.entityCode === period.entityCode && p.endDate < period.startDate && p.status !== 'closed',
    )
    .map((p) => p.id)
    .sort();
  if (earlier.length > 0) block('earlier-period-open', earlier.length, `close ${list(earlier)} first`);
  if (facts.unpostedEvents > 0) {
    block('unposted-events', facts.unpostedEvents, `${facts.unpostedEvents} event(s) not yet posted`);
  }
  if (facts.openExceptions > 0) {
    block('open-exceptions', facts.openExceptions, `${facts.openExceptions} open exception(s) to resolve`);
  }
  const own = facts.entries.filter((e) => e.entity === period.entityCode && e.periodId === period.id);
  const unbalanced = own.filter((e) => !isBalanced(e)).map((e) => e.id);
  if (unbalanced.length > 0) block('unbalanced-entry', unbalanced.length, `entries ${list(unbalanced)}`);

  const groups = new Set(own.flatMap((e) => (e.groupId === null ? [] : [e.groupId])));
  if (groups.size > 0) {
    const groupLines = postedLines(facts.entries.filter((e) => e.groupId !== null && groups.has(e.groupId)));
    const pairs = intercompanyMismatches(groupLines, ctx)
      .filter((m) => m.entity === period.entityCode || m.counterparty === period.entityCode)
      .map((m) => `${m.entity}/${m.counterparty} ${m.currency}`);
    if (pairs.length > 0)
      block('intercompany-unmatched', pairs.length, `transfers not mirrored: ${list(pairs)}`);
  }
  return { ok: blockers.length === 0, blockers };
}
