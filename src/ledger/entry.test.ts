import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError, type ErrorCode } from '../errors/index.ts';
import { createLedgerContext } from './context.ts';
import {
  buildEntry,
  type EntryDraft,
  entryTotals,
  isBalanced,
  type LineDraft,
  postedLines,
  reverse,
} from './entry.ts';
import { entryFingerprint, entryId, reversalId } from './ids.ts';
import { MAX_LINE_AMOUNT } from './money.ts';
import { costCenter, ctx, demo, POSTED_AT, periods } from './test-fixtures.ts';

const code = (c: ErrorCode) => (e: unknown) => e instanceof CrosswalkError && e.code === c;
const SURG = costCenter('HRMC', '6410');
const MM = costCenter('HRMC', '8410');

function draft(overrides: Partial<EntryDraft> = {}, lines?: LineDraft[]): EntryDraft {
  return {
    sourceEventId: 'evt-1',
    ruleId: 'manual:test',
    entity: 'HRMC',
    effectiveDate: '2026-11-03',
    postedAt: POSTED_AT,
    reasonCode: 'manual-adjustment',
    description: 'Test entry',
    lines: lines ?? [
      { account: '6200', side: 'debit', amount: 1234n, costCenter: SURG, dimensions: { item: 'I-1' } },
      { account: '1300', side: 'credit', amount: 1234n, costCenter: MM },
    ],
    ...overrides,
  };
}

test('buildEntry produces a frozen, balanced entry with a deterministic id and its period', () => {
  const e = buildEntry(draft(), ctx, periods());
  assert.equal(e.id, entryId('evt-1', 'manual:test', 0));
  assert.match(e.id, /^je_[0-9a-f]{32}$/);
  const timed = buildEntry(
    draft({ sourceEventId: 'ev_20261103101500_0123456789abcdef01234567' }),
    ctx,
    periods(),
  );
  assert.match(timed.id, /^je_20261103101500_[0-9a-f]{24}$/, "an entry keeps its event's sort prefix");
  assert.equal(e.currency, 'USD', 'defaults to the entity currency');
  assert.deepEqual([e.periodId, e.lateFromPeriod, e.accountingDate], ['2026-11', null, '2026-11-03']);
  assert.deepEqual(
    e.lines.map((l) => [l.lineNo, l.account, l.costCenter, l.side, l.amount, l.memo]),
    [
      [1, '6200', SURG, 'debit', 1234n, null],
      [2, '1300', MM, 'credit', 1234n, null],
    ],
  );
  assert.deepEqual(e.lines[0]!.dimensions, { item: 'I-1' });
  assert.ok(Object.isFrozen(e) && Object.isFrozen(e.lines) && Object.isFrozen(e.lines[0]));
  assert.ok(isBalanced(e));
  assert.deepEqual(entryTotals(e), { debit: 1234n, credit: 1234n });
  assert.equal(buildEntry(draft({ postedAt: '2026-12-01T00:00:00Z' }), ctx, periods()).id, e.id);
  assert.notEqual(buildEntry(draft({ sourceEventId: 'evt-2' }), ctx, periods()).id, e.id);
  assert.notEqual(buildEntry(draft({ leg: 1 }), ctx, periods()).id, e.id);
  assert.notEqual(buildEntry(draft({ ruleId: 'manual:other' }), ctx, periods()).id, e.id);
});

test('a late event is booked in the next open period and flagged', () => {
  const e = buildEntry(draft({ effectiveDate: '2026-10-30' }), ctx, periods());
  assert.deepEqual(
    [e.periodId, e.lateFromPeriod, e.accountingDate, e.effectiveDate],
    ['2026-11', '2026-10', '2026-11-01', '2026-10-30'],
  );
});

test('structural errors: fewer than two lines, amounts not > 0 or not bigint or over 64 bits', () => {
  const d = (amount: unknown): LineDraft[] => [
    { account: '6200', side: 'debit', amount: amount as bigint, costCenter: SURG },
    { account: '1300', side: 'credit', amount: amount as bigint },
  ];
  assert.throws(
    () => buildEntry(draft({}, d(1n).slice(0, 1)), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(() => buildEntry(draft({}, d(0n)), ctx, periods()), code('CW_ERR_LEDGER_BAD_ENTRY'));
  assert.throws(() => buildEntry(draft({}, d(-5n)), ctx, periods()), code('CW_ERR_LEDGER_BAD_ENTRY'));
  assert.throws(() => buildEntry(draft({}, d(12.5)), ctx, periods()), code('CW_ERR_LEDGER_BAD_ENTRY'));
  assert.throws(
    () => buildEntry(draft({}, d(MAX_LINE_AMOUNT + 1n)), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.doesNotThrow(() => buildEntry(draft({}, d(MAX_LINE_AMOUNT)), ctx, periods()));
  const sideless = [{ ...d(1n)[0]!, side: 'both' as 'debit' }, d(1n)[1]!];
  assert.throws(() => buildEntry(draft({}, sideless), ctx, periods()), code('CW_ERR_LEDGER_BAD_ENTRY'));
});

test('debits must equal credits', () => {
  const lines: LineDraft[] = [
    { account: '6200', side: 'debit', amount: 1000n, costCenter: SURG },
    { account: '1300', side: 'credit', amount: 999n },
  ];
  assert.throws(
    () => buildEntry(draft({}, lines), ctx, periods()),
    (e: unknown) =>
      e instanceof CrosswalkError &&
      e.code === 'CW_ERR_LEDGER_UNBALANCED' &&
      e.message.endsWith('does not balance in USD: debits 10.00, credits 9.99'),
  );
  const split: LineDraft[] = [
    { account: '6200', side: 'debit', amount: 600n, costCenter: SURG },
    { account: '6200', side: 'debit', amount: 400n, costCenter: costCenter('HRMC', '6010') },
    { account: '1300', side: 'credit', amount: 1000n },
  ];
  assert.equal(buildEntry(draft({}, split), ctx, periods()).lines.length, 3);
});

test('master-data errors: entity, currency, account, postability, cost center', () => {
  const line = (account: string, cc: string | null = null): LineDraft[] => [
    { account, side: 'debit', amount: 10n, costCenter: cc },
    { account: '1300', side: 'credit', amount: 10n },
  ];
  assert.throws(
    () => buildEntry(draft({ entity: 'NOPE' }), ctx, periods()),
    code('CW_ERR_LEDGER_UNKNOWN_ENTITY'),
  );
  assert.throws(
    () => buildEntry(draft({ currency: 'EUR' }), ctx, periods()),
    code('CW_ERR_LEDGER_UNKNOWN_CURRENCY'),
  );
  assert.throws(
    () => buildEntry(draft({}, line('9999')), ctx, periods()),
    code('CW_ERR_LEDGER_UNKNOWN_ACCOUNT'),
  );
  assert.throws(
    () => buildEntry(draft({}, line('1410-HRMC')), ctx, periods()),
    code('CW_ERR_LEDGER_NOT_POSTABLE'),
  );
  assert.doesNotThrow(() => buildEntry(draft({}, line('1410-WCCH')), ctx, periods()));
  assert.throws(
    () => buildEntry(draft({}, line('6200', costCenter('WCCH', '6410'))), ctx, periods()),
    code('CW_ERR_LEDGER_UNKNOWN_COST_CENTER'),
  );
  assert.throws(
    () => buildEntry(draft({}, line('6200', 'HRMC-0000')), ctx, periods()),
    code('CW_ERR_LEDGER_UNKNOWN_COST_CENTER'),
  );
  assert.throws(() => buildEntry(draft({}, line('6200')), ctx, periods()), code('CW_ERR_LEDGER_BAD_ENTRY'));

  const summary = createLedgerContext({
    entities: demo.entities,
    accounts: [...demo.accounts, { ...demo.accounts[0]!, code: '1999', postable: false }],
    costCenters: demo.costCenters,
    intercompany: demo.intercompanyRelationships.filter((r) => r.entityCode !== 'HRMC'),
    costCenterRequiredOnPnl: false,
  });
  assert.throws(
    () => buildEntry(draft({}, line('1999')), summary, periods()),
    code('CW_ERR_LEDGER_NOT_POSTABLE'),
  );
  assert.throws(
    () => buildEntry(draft({}, line('1410-WCCH')), summary, periods()),
    code('CW_ERR_LEDGER_NO_INTERCOMPANY'),
  );
  assert.doesNotThrow(
    () => buildEntry(draft({}, line('6200')), summary, periods()),
    'cost center optional when configured',
  );
});

test('text fields: PHI-safe dimensions from a closed list, no control characters, timestamps with a zone', () => {
  const withDims = (dimensions: Record<string, string>): LineDraft[] => [
    { account: '6200', side: 'debit', amount: 10n, costCenter: SURG, dimensions },
    { account: '1300', side: 'credit', amount: 10n },
  ];
  assert.throws(
    () => buildEntry(draft({}, withDims({ patientName: 'X' })), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(
    () => buildEntry(draft({}, withDims({ item: '' })), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(
    () => buildEntry(draft({ description: 'a\nb' }), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(
    () => buildEntry(draft({ description: '' }), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(
    () => buildEntry(draft({ description: 'x'.repeat(201) }), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(
    () => buildEntry(draft({ postedAt: '2026-11-15 12:00' }), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(
    () => buildEntry(draft({ sourceEventId: '' }), ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(() => buildEntry(draft({ leg: -1 }), ctx, periods()), code('CW_ERR_LEDGER_BAD_ENTRY'));
  assert.throws(
    () => buildEntry(draft({ effectiveDate: '2026-11-31' }), ctx, periods()),
    code('CW_ERR_LEDGER_NO_PERIOD'),
  );
  const e = buildEntry(draft({}, withDims({ revenueCode: '0272', item: 'I-9' })), ctx, periods());
  assert.deepEqual(Object.keys(e.lines[0]!.dimensions), ['item', 'revenueCode'], 'dimension keys are sorted');
});

test('reverse swaps sides, links the original, derives its id, and lands by the period rules', () => {
  const original = buildEntry(draft(), ctx, periods());
  const r = reverse(
    original,
    { reason: 'posted in error', date: '2026-12-02', postedAt: POSTED_AT },
    ctx,
    periods(),
  );
  assert.equal(r.id, reversalId(original.id));
  assert.equal(r.reverses, original.id);
  assert.equal(r.reasonCode, 'reversal');
  assert.equal(r.sourceEventId, original.sourceEventId);
  assert.equal(r.periodId, '2026-12');
  assert.match(r.description, /^Reversal \(posted in error\) of: Test entry$/);
  assert.deepEqual(
    r.lines.map((l) => [l.account, l.costCenter, l.side, l.amount]),
    original.lines.map((l) => [l.account, l.costCenter, l.side === 'debit' ? 'credit' : 'debit', l.amount]),
  );
  const again = reverse(
    original,
    { reason: 'retry', date: '2026-12-03', postedAt: POSTED_AT },
    ctx,
    periods(),
  );
  assert.equal(again.id, r.id, 'reversing the same entry twice is the same idempotency key');
  const rr = reverse(
    r,
    { reason: 'reversal was wrong', date: '2026-12-03', postedAt: POSTED_AT },
    ctx,
    periods(),
  );
  assert.notEqual(rr.id, r.id);
  assert.notEqual(rr.id, original.id);
  const late = reverse(original, { reason: 'late', date: '2026-10-15', postedAt: POSTED_AT }, ctx, periods());
  assert.deepEqual([late.periodId, late.lateFromPeriod], ['2026-11', '2026-10']);
  assert.throws(() =>
    reverse(original, { reason: '', date: '2026-12-02', postedAt: POSTED_AT }, ctx, periods()),
  );
});

test('the fingerprint covers economic content, not booking time or landing period', () => {
  const a = buildEntry(draft(), ctx, periods());
  const b = buildEntry(draft({ postedAt: '2027-01-01T00:00:00Z' }), ctx, periods());
  assert.equal(entryFingerprint(a), entryFingerprint(b));
  const lines: LineDraft[] = [
    { account: '6200', side: 'debit', amount: 1235n, costCenter: SURG },
    { account: '1300', side: 'credit', amount: 1235n, costCenter: MM },
  ];
  const c = buildEntry(draft({}, lines), ctx, periods());
  assert.equal(c.id, a.id);
  assert.notEqual(
    entryFingerprint(c),
    entryFingerprint(a),
    'same id, different content: a conflict to detect',
  );
});

test('postedLines flattens entries with their keys in order', () => {
  const e = buildEntry(draft(), ctx, periods());
  const pl = postedLines([e]);
  assert.equal(pl.length, 2);
  assert.deepEqual(pl[1], {
    entryId: e.id,
    entity: 'HRMC',
    currency: 'USD',
    periodId: '2026-11',
    accountingDate: '2026-11-03',
    account: '1300',
    costCenter: MM,
    side: 'credit',
    amount: 1234n,
  });
});
