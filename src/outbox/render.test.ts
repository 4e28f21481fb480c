import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Account, JournalEntry } from '../ledger/index.ts';
import { documentsForBatch } from './documents.ts';
import { JOURNAL_FILE_FORMATS } from './journal-files.ts';
import { type RenderChart, renderDocumentBody, renderDocumentFile } from './render.ts';

function entry(id: string, amount: bigint): JournalEntry {
  const line = (lineNo: number, account: string, side: 'debit' | 'credit') => ({
    lineNo,
    account,
    costCenter: side === 'debit' ? 'CC1' : null,
    side,
    amount,
    memo: null,
    dimensions: {},
  });
  return {
    id,
    entity: 'A',
    currency: 'USD',
    periodId: '2026-11',
    lateFromPeriod: null,
    effectiveDate: '2026-11-24',
    accountingDate: '2026-11-24',
    postedAt: '2026-11-24T23:00:00.000Z',
    sourceEventId: `ev_${id}`,
    ruleId: 'r1',
    reasonCode: 'supply-usage',
    description: 'usage',
    groupId: null,
    reverses: null,
    lines: [line(1, '6100', 'debit'), line(2, '1400', 'credit')],
  } as unknown as JournalEntry;
}

const account = (code: string, name: string, type: Account['type']): Account => ({
  code,
  name,
  type,
  normalBalance: type === 'asset' || type === 'expense' ? 'debit' : 'credit',
  role: null,
  revenueCodeFamily: null,
  counterpartyEntityCode: null,
});

const chartNamed = (supplies: string): RenderChart => ({
  accounts: new Map<string, Account>([
    ['6100', account('6100', supplies, 'expense')],
    ['1400', account('1400', 'Inventory', 'asset')],
  ]),
  scaleOf: () => 2,
});

const doc = () =>
  documentsForBatch(
    'k',
    [{ kind: 'applied', message: { id: 7n }, entries: [entry('e2', 1234n), entry('e1', 5n)] }],
    'T',
  )[0]!;

test('a document rendered in every format in a row reads as each format rendered from a fresh copy', () => {
  const chart = chartNamed('Supplies expense');
  const once = doc();
  const inRow = JOURNAL_FILE_FORMATS.map((f) => renderDocumentFile(once, f, chart));
  const fresh = JOURNAL_FILE_FORMATS.map((f) => renderDocumentFile(doc(), f, chart));
  assert.deepEqual(inRow, fresh);
  assert.equal(renderDocumentBody(once, chart), renderDocumentBody(doc(), chart));
  assert.match(inRow[0]!, /12\.34/);
});

test('the same document under another chart shows that chart (a renamed account its new name)', () => {
  const d = doc();
  assert.match(renderDocumentFile(d, 'csv', chartNamed('Supplies expense'))!, /Supplies expense/);
  const renamed = renderDocumentFile(d, 'csv', chartNamed('Medical supplies'))!;
  assert.match(renamed, /Medical supplies/);
  assert.doesNotMatch(renamed, /Supplies expense/);
});
