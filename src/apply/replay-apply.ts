import { CrosswalkError } from '../errors/index.ts';
import {
  buildEntry,
  type FiscalPeriod,
  type JournalEntry,
  type LedgerContext,
  reverse,
} from '../ledger/index.ts';
import type { ReplayReport } from './replay.ts';

/**
 * The entries that post a replay's difference: a reversal of every posted entry the candidate changes
 * or drops, and the candidate's entries re-derived under their own ids (rule id `…@replay:<release>`),
 * so nothing posted is ever changed and the same replay applied twice collides on ids instead of
 * posting twice. Preparer and approver must be different people.
 */
export function replayCorrections(
  report: ReplayReport,
  ctx: LedgerContext,
  periods: readonly FiscalPeriod[],
  who: { preparedBy: string; approvedBy: string; at: string },
): JournalEntry[] {
  if (who.preparedBy.trim() === '' || who.approvedBy.trim() === '') {
    throw new CrosswalkError('CW_ERR_APPLY_REPLAY_APPROVAL', {
      reason: 'name who prepared and who approved it',
    });
  }
  if (who.preparedBy.trim().toLowerCase() === who.approvedBy.trim().toLowerCase()) {
    throw new CrosswalkError('CW_ERR_APPLY_REPLAY_APPROVAL', {
      reason: 'the approver must be someone other than the preparer',
    });
  }
  const tag = report.candidateReleaseId.slice(0, 12);
  const reason = `replay under release ${tag}`;
  const date = who.at.slice(0, 10);
  const reversals = report.supersededEntries.map((e) =>
    reverse(e, { reason, date, postedAt: who.at }, ctx, periods),
  );
  const replacements = report.candidateEntries.map((c) =>
    buildEntry(
      {
        sourceEventId: c.sourceEventId,
        ruleId: `${c.ruleId}@replay:${tag}`,
        entity: c.entity,
        currency: c.currency,
        effectiveDate: c.effectiveDate,
        postedAt: who.at,
        reasonCode: c.reasonCode,
        description: c.description,
        groupId: c.groupId,
        lines: c.lines.map((l) => ({
          account: l.account,
          side: l.side,
          amount: l.amount,
          costCenter: l.costCenter,
          memo: l.memo,
          dimensions: l.dimensions,
        })),
      },
      ctx,
      periods,
    ),
  );
  return [...reversals, ...replacements];
}
