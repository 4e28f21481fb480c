import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCrosswalkError } from '../errors/index.ts';
import { manualJournalEntries, prepareManualJournal, readManualFile } from './manual.ts';
import { costCenter, ctx, periods } from './test-fixtures.ts';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return isCrosswalkError(e) ? e.code : `untyped: ${(e as Error).message}`;
  }
  return 'no error';
};

const csv = (rows: string[]) => `entity,account,cost_center,debit,credit,date\n${rows.join('\n')}\n`;
const cc = costCenter('HRMC', '6410');

test('decimal text becomes exact minor units; each entity balances on its own entry', () => {
  const file = readManualFile(
    csv([
      `HRMC,6200,${cc},1000.10,,2026-11-20`,
      'HRMC,2000,,,1000.10,2026-11-20',
      `HRSC,6200,${costCenter('HRSC', '6410')},0.01,,2026-11-21`,
      'HRSC,2000,,,0.01,2026-11-21',
    ]),
    'csv',
  );
  const p = prepareManualJournal('mj_t1', file, ctx, periods());
  assert.deepEqual(
    p.lines.map((l) => [l.debit, l.credit, l.periodId]),
    [
      [100010n, 0n, '2026-11'],
      [0n, 100010n, '2026-11'],
      [1n, 0n, '2026-11'],
      [0n, 1n, '2026-11'],
    ],
  );
  const entries = manualJournalEntries(p, ctx, periods(), '2026-11-25T10:00:00.000Z');
  assert.deepEqual(
    entries.map((e) => [e.entity, e.reasonCode, e.ruleId, e.lines.length, e.groupId]),
    [
      ['HRMC', 'manual-adjustment', 'manual:mj_t1', 2, 'mj_t1'],
      ['HRSC', 'manual-adjustment', 'manual:mj_t1', 2, 'mj_t1'],
    ],
  );
  assert.deepEqual(
    manualJournalEntries(p, ctx, periods(), '2026-11-26T10:00:00.000Z').map((e) => e.id),
    entries.map((e) => e.id),
    'ids come from the proposal, so a second post collides',
  );
});

test('refusals: unbalanced, too many decimals, closed period, both sides, unknown account, JSON shape', () => {
  const prep = (rows: string[]) => () =>
    prepareManualJournal('mj_t2', readManualFile(csv(rows), 'csv'), ctx, periods());
  assert.equal(
    codeOf(prep([`HRMC,6200,${cc},10.00,,2026-11-20`, 'HRMC,2000,,,9.99,2026-11-20'])),
    'CW_ERR_LEDGER_UNBALANCED',
  );
  assert.equal(
    codeOf(prep([`HRMC,6200,${cc},10.001,,2026-11-20`, 'HRMC,2000,,,10.001,2026-11-20'])),
    'CW_ERR_LEDGER_BAD_AMOUNT',
  );
  assert.equal(
    codeOf(prep([`HRMC,6200,${cc},10.00,,2026-10-20`, 'HRMC,2000,,,10.00,2026-10-20'])),
    'CW_ERR_MANUAL_JOURNAL_INVALID',
  );
  assert.equal(
    codeOf(prep([`HRMC,6200,${cc},10.00,10.00,2026-11-20`, 'HRMC,2000,,,10.00,2026-11-20'])),
    'CW_ERR_MANUAL_JOURNAL_INVALID',
  );
  assert.equal(
    codeOf(prep([`HRMC,9999,${cc},10.00,,2026-11-20`, 'HRMC,2000,,,10.00,2026-11-20'])),
    'CW_ERR_LEDGER_UNKNOWN_ACCOUNT',
  );
  assert.equal(
    codeOf(() => readManualFile('{"lines": 3}', 'json')),
    'CW_ERR_MANUAL_JOURNAL_INVALID',
  );
  assert.equal(
    codeOf(() => readManualFile('not json', 'json')),
    'CW_ERR_MANUAL_JOURNAL_INVALID',
  );
});

test('a JSON file with a period books on the period’s last day', () => {
  const file = readManualFile(
    JSON.stringify({
      description: 'month-end accrual',
      period: '2026-11',
      lines: [
        { entity: 'HRMC', account: '6200', costCenter: cc, debit: '5' },
        { entity: 'HRMC', account: '2000', credit: '5.00' },
      ],
    }),
    'json',
  );
  const p = prepareManualJournal('mj_t3', file, ctx, periods());
  assert.deepEqual(
    p.lines.map((l) => [l.effectiveDate, l.debit + l.credit]),
    [
      ['2026-11-30', 500n],
      ['2026-11-30', 500n],
    ],
  );
  assert.equal(p.description, 'month-end accrual');
});
