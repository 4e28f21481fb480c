import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JournalEntry } from '../ledger/index.ts';
import { documentsForBatch, journalEntriesOf, requisitionBatchId } from './documents.ts';
import { journalBatchId } from './journal-files.ts';

function entry(id: string, entity: string, amount: bigint, debitAmount = amount): JournalEntry {
  return {
    id,
    entity,
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
    lines: [
      {
        lineNo: 1,
        account: '6100',
        costCenter: 'CC1',
        side: 'debit',
        amount: debitAmount,
        memo: null,
        dimensions: {},
      },
      { lineNo: 2, account: '1400', costCenter: null, side: 'credit', amount, memo: null, dimensions: {} },
    ],
  } as unknown as JournalEntry;
}

const req = (id: string, entity: string) => ({
  id,
  kind: 'bill-only',
  sourceEventId: `ev_${id}`,
  entity,
  itemCode: 'IMP1',
  vendorCode: 'V1',
  quantity: 1n,
  unitCost: 250_000n,
  currency: 'USD',
  costCenter: 'CC1',
  lotNumber: 'L1',
  serialNumber: null,
  caseToken: 'tok_case',
  createdAt: 'T',
});

test('one journal document per entity and one requisition document per entity, ordered and keyed by content', () => {
  const plans = [
    {
      kind: 'applied',
      message: { id: 10n },
      entries: [entry('e1', 'B', 100n), entry('e2', 'A', 5n)],
      requisitions: [req('r1', 'A')],
    },
    { kind: 'failed', message: { id: 11n } },
    { kind: 'applied', message: { id: 12n }, entries: [entry('e3', 'B', 7n)], requisitions: [] },
  ];
  const docs = documentsForBatch('or', plans, '2026-11-24T23:00:00.000Z');
  assert.deepEqual(
    docs.map((d) => [d.kind, d.entity, d.seqMessageId, d.seqPart, d.itemCount, d.firstMessageId]),
    [
      ['journal-batch', 'A', 12n, 0, 1, 10n],
      ['journal-batch', 'B', 12n, 1, 2, 10n],
      ['requisition', 'A', 12n, 2, 1, 10n],
    ],
  );
  assert.equal(docs[1]!.id, journalBatchId(['e3', 'e1']), 'the id is the batch id of its entries');
  assert.equal(docs[2]!.id, requisitionBatchId(['r1']));
  assert.match(docs[2]!.id, /^rq_[0-9a-f]{16}$/);
  // The same effects in another order give the same ids (a replay is a no-op in the outbox).
  const again = documentsForBatch('or', [plans[2]!, plans[1]!, plans[0]!], 'later');
  assert.deepEqual(new Set(again.map((d) => d.id)), new Set(docs.map((d) => d.id)));
  const back = journalEntriesOf(docs[1]!.payload);
  assert.deepEqual(
    back,
    [entry('e1', 'B', 100n), entry('e3', 'B', 7n)],
    'payload round-trips, bigint intact',
  );
  const payload = JSON.parse(docs[1]!.payload);
  assert.deepEqual(payload.controlTotals, [
    { entity: 'B', currency: 'USD', debitMinor: '107', creditMinor: '107' },
  ]);
});

test('a batch that does not balance per entity and currency is refused', () => {
  assert.throws(
    () =>
      documentsForBatch(
        'or',
        [{ kind: 'applied', message: { id: 1n }, entries: [entry('x', 'A', 5n, 6n)] }],
        'T',
      ),
    /CW_ERR_OUTBOX_UNBALANCED_BATCH|does not balance/,
  );
});
