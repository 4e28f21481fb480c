/**
 * From a posting event to journal entries: account determination by the rule table, then one balanced
 * two-line entry per rule leg. Deterministic: the same event through the same rules gives the same
 * entries with the same ids (only `postedAt` and, after a close, the landing period can differ).
 * All-or-nothing: if any leg fails, nothing is returned.
 */

import { CrosswalkError } from '../errors/index.ts';
import type { LedgerContext } from './context.ts';
import { buildEntry, type EntryDraft } from './entry.ts';
import type { Dimensions, FiscalPeriod, IsoDate, IsoTimestamp, JournalEntry, MinorUnits } from './model.ts';
import { determineAccounts, type PostingEventType, type RuleInput, type RuleTable } from './rules.ts';

export interface PostingEvent extends RuleInput {
  /** The canonical event's id (deterministic from source + position). */
  readonly sourceEventId: string;
  readonly effectiveDate: IsoDate;
  readonly postedAt: IsoTimestamp;
  /** Minor units, > 0: extended cost for stock and labor events, the charge amount for charges. */
  readonly amount: MinorUnits;
  /** Default: the entity's functional currency. Every leg books in this one currency. */
  readonly currency?: string;
  readonly dimensions?: Dimensions;
}

export function journalize(
  event: PostingEvent,
  table: RuleTable,
  ctx: LedgerContext,
  periods: readonly FiscalPeriod[],
): JournalEntry[] {
  const { rule, legs } = determineAccounts(event, table, ctx);
  // Built without object spread: this runs for every posting event, and spread copies cost more here
  // than the rest of the entry. Later keys win, as they would in a spread.
  const dimensions: Record<string, string | undefined> = {};
  if (event.itemCategory != null) dimensions['itemCategory'] = event.itemCategory;
  if (event.revenueCode != null) dimensions['revenueCode'] = event.revenueCode;
  const extra = event.dimensions;
  if (extra !== undefined) for (const k of Object.keys(extra)) dimensions[k] = extra[k as keyof Dimensions];
  const currency = event.currency ?? ctx.entities.get(event.entity)?.currency;
  const groupId = legs.length > 1 ? event.sourceEventId : null;
  const out: JournalEntry[] = [];
  for (let i = 0; i < legs.length; i++) {
    const leg = legs[i]!;
    const draft: EntryDraft = {
      sourceEventId: event.sourceEventId,
      ruleId: rule.id,
      leg: i,
      entity: leg.entity,
      currency,
      effectiveDate: event.effectiveDate,
      postedAt: event.postedAt,
      reasonCode: rule.reasonCode,
      description: rule.description,
      groupId,
      lines: [
        {
          account: leg.debit.account,
          costCenter: leg.debit.costCenter,
          side: 'debit',
          amount: event.amount,
          dimensions: dimensions as Dimensions,
        },
        {
          account: leg.credit.account,
          costCenter: leg.credit.costCenter,
          side: 'credit',
          amount: event.amount,
          dimensions: dimensions as Dimensions,
        },
      ],
    };
    out.push(buildEntry(draft, ctx, periods));
  }
  return out;
}

/**
 * The event a count produces: counted below book value is a loss (shrink), above a gain; equal is
 * nothing to post. Values are extended costs in minor units.
 */
export function countVariance(
  bookValue: MinorUnits,
  countedValue: MinorUnits,
): { readonly eventType: PostingEventType; readonly amount: MinorUnits } | null {
  if (typeof bookValue !== 'bigint' || typeof countedValue !== 'bigint') {
    throw new CrosswalkError('CW_ERR_LEDGER_BAD_AMOUNT', {
      amount: `${String(bookValue)}/${String(countedValue)}`,
      reason: 'count values must be bigint minor units',
    });
  }
  if (countedValue === bookValue) return null;
  return countedValue < bookValue
    ? { eventType: 'count-variance-loss', amount: bookValue - countedValue }
    : { eventType: 'count-variance-gain', amount: countedValue - bookValue };
}
