import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PostedLine } from './model.ts';
import { accountActivity, normalSideBalance, trialBalance } from './trial-balance.ts';

const line = (
  entryId: string,
  entity: string,
  account: string,
  side: 'debit' | 'credit',
  amount: bigint,
  accountingDate = '2026-11-03',
): PostedLine => ({
  entryId,
  entity,
  currency: 'USD',
  periodId: '2026-11',
  accountingDate,
  account,
  costCenter: null,
  side,
  amount,
});

test('trialBalance sums per entity × currency × account and checks each book nets to zero', () => {
  const tb = trialBalance([
    line('b', 'WCCH', '6200', 'debit', 50n),
    line('b', 'WCCH', '1300', 'credit', 50n),
    line('a', 'HRMC', '6200', 'debit', 100n),
    line('a', 'HRMC', '1300', 'credit', 100n),
    line('c', 'HRMC', '1300', 'debit', 30n),
    line('c', 'HRMC', '2010', 'credit', 30n),
  ]);
  assert.deepEqual(
    tb.rows.map((r) => [r.entity, r.account, r.debit, r.credit, r.net]),
    [
      ['HRMC', '1300', 30n, 100n, -70n],
      ['HRMC', '2010', 0n, 30n, -30n],
      ['HRMC', '6200', 100n, 0n, 100n],
      ['WCCH', '1300', 0n, 50n, -50n],
      ['WCCH', '6200', 50n, 0n, 50n],
    ],
  );
  assert.deepEqual(
    tb.totals.map((t) => [t.entity, t.currency, t.debit, t.credit, t.net]),
    [
      ['HRMC', 'USD', 130n, 130n, 0n],
      ['WCCH', 'USD', 50n, 50n, 0n],
    ],
  );
  assert.equal(tb.balanced, true);
  const lopsided = trialBalance([
    line('a', 'HRMC', '6200', 'debit', 1n),
    line('z', 'WCCH', '1300', 'credit', 1n),
  ]);
  assert.equal(lopsided.balanced, false, 'balancing across entities does not count');
  assert.deepEqual(trialBalance([]), { rows: [], totals: [], balanced: true });
});

test('accountActivity orders by date then entry and keeps a running balance from the opening', () => {
  const act = accountActivity(
    [
      line('e2', 'HRMC', '1300', 'credit', 40n, '2026-11-05'),
      line('e1', 'HRMC', '1300', 'debit', 100n, '2026-11-05'),
      line('e0', 'HRMC', '1300', 'debit', 7n, '2026-11-02'),
      line('x', 'HRMC', '6200', 'debit', 999n, '2026-11-01'),
      line('y', 'WCCH', '1300', 'debit', 999n, '2026-11-01'),
    ],
    { entity: 'HRMC', account: '1300', currency: 'USD' },
    1000n,
  );
  assert.deepEqual(
    act.lines.map((l) => [l.entryId, l.debit, l.credit, l.balance]),
    [
      ['e0', 7n, 0n, 1007n],
      ['e1', 100n, 0n, 1107n],
      ['e2', 0n, 40n, 1067n],
    ],
  );
  assert.deepEqual([act.opening, act.debit, act.credit, act.closing], [1000n, 107n, 40n, 1067n]);
});

test('normalSideBalance shows credit-normal balances as positive', () => {
  assert.equal(normalSideBalance(-70n, 'credit'), 70n);
  assert.equal(normalSideBalance(-70n, 'debit'), -70n);
});
