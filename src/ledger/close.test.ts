import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CloseFacts, canClose } from './close.ts';
import { reverse } from './entry.ts';
import { journalize } from './journalize.ts';
import type { FiscalPeriod, JournalEntry } from './model.ts';
import { monthlyPeriods, transitionPeriod } from './periods.ts';
import { costCenter, ctx, POSTED_AT, rules } from './test-fixtures.ts';

const books: FiscalPeriod[] = ['HRMC', 'WCCH'].flatMap((e) => monthlyPeriods(e, '2026-10', 3));

function transfer(id: string): JournalEntry[] {
  return journalize(
    {
      sourceEventId: id,
      eventType: 'stock-transferred',
      entity: 'HRMC',
      counterparty: 'WCCH',
      stockCostCenter: costCenter('HRMC', '8410'),
      counterpartyStockCostCenter: costCenter('WCCH', '8410'),
      effectiveDate: '2026-11-10',
      postedAt: POSTED_AT,
      amount: 5000n,
    },
    rules,
    ctx,
    books,
  );
}

const nov = (entity: string, status: FiscalPeriod['status']): FiscalPeriod => ({
  ...books.find((p) => p.entityCode === entity && p.id === '2026-11')!,
  status,
});
/** October closed, so November is next in line. */
const periodsWith = (entity: string): FiscalPeriod[] =>
  books.map((p) => (p.id === '2026-10' && p.entityCode === entity ? { ...p, status: 'closed' as const } : p));

const clean = (entries: JournalEntry[]): CloseFacts => ({
  periods: periodsWith('HRMC'),
  entries,
  unpostedEvents: 0,
  openExceptions: 0,
});

test('a cut-off period with balanced, mirrored entries and nothing pending can close', () => {
  const check = canClose(nov('HRMC', 'closing'), clean(transfer('x1')), ctx);
  assert.deepEqual(check, { ok: true, blockers: [] });
  assert.equal(transitionPeriod(nov('HRMC', 'closing'), 'closed').status, 'closed');
});

test('each blocking fact is reported with its code and count', () => {
  const entries = transfer('x1');
  const broken = {
    ...entries[0]!,
    lines: [entries[0]!.lines[0]!, { ...entries[0]!.lines[1]!, amount: 4999n }],
  };
  const check = canClose(
    nov('HRMC', 'open'),
    {
      periods: books,
      entries: [broken, ...transfer('x2').slice(0, 1)],
      unpostedEvents: 3,
      openExceptions: 2,
    },
    ctx,
  );
  assert.equal(check.ok, false);
  assert.deepEqual(
    check.blockers.map((b) => [b.code, b.count]),
    [
      ['not-cut-off', 1],
      ['earlier-period-open', 1],
      ['unposted-events', 3],
      ['open-exceptions', 2],
      ['unbalanced-entry', 1],
      ['intercompany-unmatched', 1],
    ],
  );
  assert.match(check.blockers[1]!.detail, /2026-10/);
  assert.match(check.blockers[4]!.detail, new RegExp(broken.id));
  assert.deepEqual(
    canClose({ ...nov('HRMC', 'closed') }, clean([]), ctx).blockers.map((b) => b.code),
    ['already-closed'],
  );
});

test('reversing only one leg of a transfer leaves the pair unmatched; reversing both matches again', () => {
  const [a, b] = transfer('x3') as [JournalEntry, JournalEntry];
  const opts = { reason: 'wrong quantity', date: '2026-11-12', postedAt: POSTED_AT };
  const ra = reverse(a, opts, ctx, books);
  const one = canClose(nov('HRMC', 'closing'), clean([a, b, ra]), ctx);
  assert.deepEqual(
    one.blockers.map((x) => x.code),
    ['intercompany-unmatched'],
  );
  const both = canClose(nov('HRMC', 'closing'), clean([a, b, ra, reverse(b, opts, ctx, books)]), ctx);
  assert.equal(both.ok, true);
});

test('entries of other entities and periods do not block', () => {
  const other = transfer('x4').map((e) => ({ ...e, periodId: '2026-12' }));
  const check = canClose(nov('HRMC', 'closing'), clean(other), ctx);
  assert.equal(check.ok, true);
});
