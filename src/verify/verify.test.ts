import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkDestinationOrder,
  checkDuplicates,
  checkEntries,
  checkHashes,
  checkMessages,
  checkSeal,
  checkTrialBalance,
  checkTriggers,
  type DeliveryFact,
  type MessageFact,
} from './index.ts';

const msg = (over: Partial<MessageFact>): MessageFact => ({
  id: 1n,
  orderingKey: 'or',
  ackCode: 'AA',
  outcome: 'applied',
  outcomeRows: 1,
  outcomeEventCount: 2,
  exceptionId: null,
  exceptionExists: false,
  events: 2,
  ...over,
});
const kinds = (vs: readonly { invariant: string }[]) => vs.map((v) => v.invariant);

test('messages: one state each; acknowledged and behind the cursor means an outcome', () => {
  const cursors = new Map([['or', 5n]]);
  assert.deepEqual(checkMessages([msg({})], cursors), []);
  assert.deepEqual(kinds(checkMessages([msg({ outcome: null, outcomeRows: 0 })], cursors)), [
    'acknowledged-message-missing',
  ]);
  assert.deepEqual(
    checkMessages(
      [msg({ id: 6n, outcome: null, outcomeRows: 0, outcomeEventCount: null, events: 0 })],
      cursors,
    ),
    [],
    'pending',
  );
  assert.deepEqual(
    kinds(checkMessages([msg({ id: 6n })], cursors)),
    ['message-state'],
    'pending and applied',
  );
  assert.deepEqual(kinds(checkMessages([msg({ outcomeRows: 2 })], cursors)), ['message-state']);
  assert.deepEqual(
    kinds(checkMessages([msg({ events: 3 })], cursors)),
    ['message-state'],
    'event count differs',
  );
  assert.deepEqual(
    kinds(checkMessages([msg({ outcome: 'failed', exceptionId: 3n, exceptionExists: true })], cursors)),
    ['message-state'],
    'failed with effects',
  );
  assert.deepEqual(
    checkMessages([msg({ outcome: 'failed', exceptionId: 3n, exceptionExists: true, events: 0 })], cursors),
    [],
  );
  assert.deepEqual(
    kinds(checkMessages([msg({ outcome: 'failed', events: 0 })], cursors)),
    ['message-state'],
    'no exception',
  );
  assert.deepEqual(
    kinds(checkMessages([msg({ orderingKey: 'ed', outcome: null, outcomeRows: 0, events: 1 })], cursors)),
    ['message-state'],
    'a key without a cursor has everything pending, and pending has no effects',
  );
});

test('books: entries balance and agree with their headers; the trial balance nets to zero', () => {
  const ok = {
    id: 'je_1',
    header: { lineCount: 2, totalDebit: 5n, totalCredit: 5n },
    lines: 2,
    linesDebit: 5n,
    linesCredit: 5n,
  };
  assert.deepEqual(checkEntries([ok]), []);
  assert.equal(
    checkEntries([{ ...ok, lines: 3, linesDebit: 6n }]).length,
    2,
    'unbalanced lines, header disagrees',
  );
  assert.deepEqual(kinds(checkEntries([{ ...ok, header: null }])), ['entry-unbalanced']);
  assert.deepEqual(checkTrialBalance([{ entity: 'HRMC', currency: 'USD', net: 0n }]), []);
  assert.deepEqual(kinds(checkTrialBalance([{ entity: 'HRMC', currency: 'USD', net: 1n }])), [
    'trial-balance',
  ]);
});

test('duplicates, hashes, triggers and seals', () => {
  assert.deepEqual(checkDuplicates([{ effect: 'event', key: 'x', count: 1 }]), []);
  assert.deepEqual(kinds(checkDuplicates([{ effect: 'entry', key: 'x', count: 2 }])), ['duplicate-effect']);
  assert.deepEqual(checkHashes([{ table: 't', id: '1', recorded: 'a', actual: 'a' }]), []);
  assert.equal(checkHashes([{ table: 't', id: '1', recorded: 'a', actual: 'b' }]).length, 1);
  assert.deepEqual(
    checkTriggers(['a', 'b'], new Set(['a'])).map((v) => v.subject),
    ['trigger b'],
  );
  const sealed = { t: { count: 3, maxId: '3', digest: 'd' }, u: { count: 2 } };
  assert.deepEqual(
    checkSeal(sealed, { t: { count: 4, maxId: '3', digest: 'd' }, u: { count: 2 } }),
    [],
    'grew',
  );
  assert.equal(
    checkSeal(sealed, { t: { count: 3, maxId: '3', digest: 'e' }, u: { count: 2 } }).length,
    1,
    'rewritten',
  );
  assert.equal(
    checkSeal(sealed, { t: { count: 3, maxId: '3', digest: 'd' }, u: { count: 1 } }).length,
    1,
    'shrank',
  );
});

test('destination order: delivered in source order, nothing overtakes what waits', () => {
  const d = (seq: bigint, part: number, delivered: string | null, key = 'or'): DeliveryFact => ({
    destination: 'erp',
    orderingKey: key,
    seq: [seq, part],
    documentId: `doc${seq}.${part}`,
    delivered: delivered !== null,
    deliveredAt: delivered,
    waiting: delivered === null,
  });
  assert.deepEqual(checkDestinationOrder([d(2n, 0, 'T2'), d(1n, 0, 'T1'), d(3n, 0, null)]), []);
  assert.deepEqual(kinds(checkDestinationOrder([d(1n, 0, 'T2'), d(1n, 1, 'T1')])), ['destination-order']);
  assert.deepEqual(kinds(checkDestinationOrder([d(1n, 0, null), d(2n, 0, 'T1')])), ['destination-order']);
  assert.deepEqual(checkDestinationOrder([d(1n, 0, null, 'ed'), d(2n, 0, 'T1')]), [], 'keys are independent');
});
