import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError } from '../errors/index.ts';
import { buildEntry } from './entry.ts';
import { hledgerAccountName, renderHledger } from './hledger.ts';
import { journalize } from './journalize.ts';
import { costCenter, ctx, POSTED_AT, periods, rules } from './test-fixtures.ts';

const SURG = costCenter('HRMC', '6410');
const MM = costCenter('HRMC', '8410');

test('renders declarations and a transaction with exact amounts, the entry id as code and tags', () => {
  const [e] = journalize(
    {
      sourceEventId: 'evt,1;x',
      eventType: 'supply-used',
      entity: 'HRMC',
      itemCategory: 'suture',
      costCenter: SURG,
      stockCostCenter: MM,
      effectiveDate: '2026-10-30',
      postedAt: POSTED_AT,
      amount: 1234n,
    },
    rules,
    ctx,
    periods(),
  );
  const text = renderHledger([e!], ctx.accounts);
  const expected = [
    '; Crosswalk journal export. Amounts are exact: printed from integer minor units.',
    'decimal-mark .',
    'commodity 0.00 USD',
    'account HRMC:assets:1300 Inventory - Medical & Surgical Supplies  ; type: A',
    'account HRMC:expenses:6200 Medical & Surgical Supplies Expense  ; type: X',
    '',
    `2026-11-01 * (${e!.id}) Supply used`,
    '    ; source:evt_1_x, rule:std/supply-used/default, reason:supply-used, period:2026-11, effective:2026-10-30, late-from:2026-10',
    `    HRMC:expenses:6200 Medical & Surgical Supplies Expense                 12.34 USD  ; cc:${SURG}, itemCategory:suture`,
    `    HRMC:assets:1300 Inventory - Medical & Surgical Supplies              -12.34 USD  ; cc:${MM}, itemCategory:suture`,
    '',
  ].join('\n');
  assert.equal(text, expected);
});

test('small, large and zero-scale amounts print exactly; memo text cannot inject tags', () => {
  const big = 2n ** 62n + 7n;
  const e = buildEntry(
    {
      sourceEventId: 'm-1',
      ruleId: 'manual:test',
      entity: 'HRMC',
      effectiveDate: '2026-11-02',
      postedAt: POSTED_AT,
      reasonCode: 'manual-adjustment',
      description: 'Adjustment; with semicolon',
      lines: [
        { account: '1300', side: 'debit', amount: 5n, memo: 'note: see ticket, 42' },
        { account: '1300', side: 'debit', amount: big },
        { account: '2010', side: 'credit', amount: big + 5n },
      ],
    },
    ctx,
    periods(),
  );
  const text = renderHledger([e], ctx.accounts);
  assert.match(text, /\s0\.05 USD {2}; note see ticket_ 42\n/);
  assert.match(text, /\s46116860184273879\.11 USD\n/);
  assert.match(text, /\s-46116860184273879\.16 USD\n/);
  assert.match(text, /\) Adjustment, with semicolon\n/);
  const yen = renderHledger([{ ...e, currency: 'JPY' }], ctx.accounts, [{ code: 'JPY', scale: 0 }]);
  assert.match(yen, /commodity 0 JPY\n/);
  assert.match(yen, /\s5 JPY/);
});

test('account names drop hledger separators; unknown accounts and currencies are typed errors', () => {
  const acct = { ...ctx.accounts.get('1300')!, name: 'Odd: name;  here' };
  assert.equal(hledgerAccountName('HRMC', acct), 'HRMC:assets:1300 Odd- name- here');
  const [e] = journalize(
    {
      sourceEventId: 'evt-2',
      eventType: 'labor-recorded',
      entity: 'HRMC',
      costCenter: SURG,
      effectiveDate: '2026-11-02',
      postedAt: POSTED_AT,
      amount: 100n,
    },
    rules,
    ctx,
    periods(),
  );
  assert.throws(
    () => renderHledger([e!], new Map()),
    (x: unknown) => x instanceof CrosswalkError && x.code === 'CW_ERR_LEDGER_UNKNOWN_ACCOUNT',
  );
  assert.throws(
    () => renderHledger([e!], ctx.accounts, []),
    (x: unknown) => x instanceof CrosswalkError && x.code === 'CW_ERR_LEDGER_UNKNOWN_CURRENCY',
  );
  assert.equal(renderHledger([], ctx.accounts).endsWith('decimal-mark .\n'), true);
});
