import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError, type ErrorCode } from '../errors/index.ts';
import { isBalanced, postedLines } from './entry.ts';
import { entryId } from './ids.ts';
import { countVariance, journalize, type PostingEvent } from './journalize.ts';
import { costCenter, ctx, POSTED_AT, periods, rules } from './test-fixtures.ts';
import { intercompanyMismatches, trialBalance } from './trial-balance.ts';

const code = (c: ErrorCode) => (e: unknown) => e instanceof CrosswalkError && e.code === c;
const SURG = costCenter('HRMC', '6410');
const MM = costCenter('HRMC', '8410');

const used: PostingEvent = {
  sourceEventId: 'evt-used-1',
  eventType: 'supply-used',
  entity: 'HRMC',
  itemCategory: 'suture',
  costCenter: SURG,
  stockCostCenter: MM,
  effectiveDate: '2026-11-04',
  postedAt: POSTED_AT,
  amount: 4599n,
  dimensions: { item: 'ITM-1001', case: 'tok_ab12' },
};

test('a supply-used event becomes one balanced entry with the rule, reason, dimensions and id', () => {
  const [e, ...rest] = journalize(used, rules, ctx, periods());
  assert.equal(rest.length, 0);
  assert.ok(e && isBalanced(e));
  assert.equal(e.id, entryId('evt-used-1', 'std/supply-used/default', 0));
  assert.equal(e.ruleId, 'std/supply-used/default');
  assert.equal(e.reasonCode, 'supply-used');
  assert.equal(e.description, 'Supply used');
  assert.equal(e.groupId, null);
  assert.deepEqual(e.lines[0]!.dimensions, { case: 'tok_ab12', item: 'ITM-1001', itemCategory: 'suture' });
  assert.deepEqual(
    e.lines.map((l) => [l.account, l.side, l.amount]),
    [
      ['6200', 'debit', 4599n],
      ['1300', 'credit', 4599n],
    ],
  );
  assert.deepEqual(journalize(used, rules, ctx, periods()), [e], 'deterministic');
});

test('a transfer becomes two entries, one per entity, each balanced, grouped by the transfer id', () => {
  const entries = journalize(
    {
      sourceEventId: 'xfer-77',
      eventType: 'stock-transferred',
      entity: 'HRMC',
      counterparty: 'HRSC',
      itemCategory: 'surgical-disposable',
      stockCostCenter: MM,
      counterpartyStockCostCenter: costCenter('HRSC', '8410'),
      effectiveDate: '2026-11-20',
      postedAt: POSTED_AT,
      amount: 125000n,
    },
    rules,
    ctx,
    periods(),
  );
  assert.deepEqual(
    entries.map((e) => [e.entity, e.groupId, e.reasonCode, e.lines.map((l) => `${l.side} ${l.account}`)]),
    [
      ['HRMC', 'xfer-77', 'intercompany-transfer', ['debit 1410-HRSC', 'credit 1300']],
      ['HRSC', 'xfer-77', 'intercompany-transfer', ['debit 1300', 'credit 2410-HRMC']],
    ],
  );
  assert.notEqual(entries[0]!.id, entries[1]!.id);
  const tb = trialBalance(postedLines(entries));
  assert.ok(tb.balanced);
  assert.deepEqual(
    tb.totals.map((t) => [t.entity, t.debit]),
    [
      ['HRMC', 125000n],
      ['HRSC', 125000n],
    ],
  );
  assert.deepEqual(intercompanyMismatches(postedLines(entries), ctx), []);
  assert.deepEqual(intercompanyMismatches(postedLines(entries.slice(0, 1)), ctx), [
    { entity: 'HRMC', counterparty: 'HRSC', currency: 'USD', net: 125000n, counterNet: 0n },
  ]);
});

test('a transfer leg whose entity has no open period fails the whole event', () => {
  const ps = periods().map((p) => (p.entityCode === 'WCCH' ? { ...p, status: 'closed' as const } : p));
  assert.throws(
    () =>
      journalize(
        {
          sourceEventId: 'xfer-78',
          eventType: 'stock-transferred',
          entity: 'HRMC',
          counterparty: 'WCCH',
          stockCostCenter: MM,
          counterpartyStockCostCenter: costCenter('WCCH', '8410'),
          effectiveDate: '2026-11-20',
          postedAt: POSTED_AT,
          amount: 1n,
        },
        rules,
        ctx,
        ps,
      ),
    code('CW_ERR_LEDGER_PERIOD_CLOSED'),
  );
});

test('a transfer to the entity itself has no intercompany relationship', () => {
  const self = {
    ...used,
    eventType: 'stock-transferred' as const,
    counterparty: 'HRMC',
    counterpartyStockCostCenter: MM,
  };
  assert.throws(() => journalize(self, rules, ctx, periods()), code('CW_ERR_LEDGER_NO_INTERCOMPANY'));
});

test('charges post by revenue code family and keep the revenue code as a dimension', () => {
  const [e] = journalize(
    {
      ...used,
      sourceEventId: 'chg-1',
      eventType: 'charge-posted',
      itemCategory: null,
      revenueCode: '0278',
      amount: 99900n,
    },
    rules,
    ctx,
    periods(),
  );
  assert.deepEqual(
    e!.lines.map((l) => [l.account, l.costCenter, l.dimensions.revenueCode]),
    [
      ['1210', null, '0278'],
      ['4040', SURG, '0278'],
    ],
  );
});

test('bad amounts and cost centers from an event are typed errors, not exceptions', () => {
  assert.throws(
    () => journalize({ ...used, amount: 0n }, rules, ctx, periods()),
    code('CW_ERR_LEDGER_BAD_ENTRY'),
  );
  assert.throws(
    () => journalize({ ...used, costCenter: costCenter('WCCH', '6410') }, rules, ctx, periods()),
    code('CW_ERR_LEDGER_UNKNOWN_COST_CENTER'),
  );
});

test('countVariance turns book vs counted value into a loss, a gain or nothing', () => {
  assert.deepEqual(countVariance(1000n, 700n), { eventType: 'count-variance-loss', amount: 300n });
  assert.deepEqual(countVariance(700n, 1000n), { eventType: 'count-variance-gain', amount: 300n });
  assert.equal(countVariance(5n, 5n), null);
  assert.throws(() => countVariance(5 as unknown as bigint, 1n), code('CW_ERR_LEDGER_BAD_AMOUNT'));
});
