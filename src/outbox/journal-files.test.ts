import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isCrosswalkError } from '../errors/index.ts';
import type { Account, Currency, JournalEntry, JournalLine, Side } from '../ledger/index.ts';
import { journalize } from '../ledger/index.ts';
import { ctx, periods, rules, sequence } from '../ledger/test-fixtures.ts';
import {
  buildJournalBatch,
  CSV_COLUMNS,
  controlTotalsJson,
  documentsForBatch,
  JOURNAL_FILE_FORMATS,
  journalBatchId,
  neutraliseCell,
  type RenderChart,
  renderDocumentBody,
  renderDocumentFile,
  renderJournalBatch,
  renderJournalCsv,
  renderJournalHledger,
  renderJournalJson,
} from './index.ts';

const CURRENCIES: readonly Currency[] = [
  { code: 'USD', scale: 2 },
  { code: 'JPY', scale: 0 },
  { code: 'KWD', scale: 3 },
];

const account = (code: string, name: string, type: Account['type'] = 'asset'): Account => ({
  code,
  name,
  type,
  normalBalance: type === 'asset' || type === 'expense' ? 'debit' : 'credit',
  role: null,
  revenueCodeFamily: null,
  counterpartyEntityCode: null,
});

/** A chart whose names try to be spreadsheet formulas, and carry commas, quotes and line breaks. */
const CHART = new Map<string, Account>(
  [
    account('1000', 'Cash, "operating"'),
    account('1300', '=HYPERLINK("http://x","click")'),
    account('2000', '+Payables', 'liability'),
    account('3000', '-Net assets', 'equity'),
    account('4000', '@SUM(A1)', 'revenue'),
    account('5000', '\tTabbed\r\nexpense', 'expense'),
  ].map((a) => [a.code, a]),
);
const CODES = [...CHART.keys()];

let seq = 0;
function entry(
  entity: string,
  currency: string,
  lines: readonly (readonly [account: string, side: Side, amount: bigint, costCenter?: string])[],
  over: Partial<JournalEntry> = {},
): JournalEntry {
  seq += 1;
  return {
    id: `je_${String(seq).padStart(4, '0')}`,
    entity,
    currency,
    periodId: '2026-11',
    lateFromPeriod: null,
    effectiveDate: '2026-11-03',
    accountingDate: '2026-11-03',
    postedAt: '2026-11-03T10:00:00.000Z',
    sourceEventId: `ev_${seq}`,
    ruleId: 'test',
    reasonCode: 'manual-adjustment',
    description: 'test entry',
    groupId: null,
    reverses: null,
    lines: lines.map(
      ([acct, side, amount, cc], i): JournalLine => ({
        lineNo: i + 1,
        account: acct,
        costCenter: cc ?? null,
        side,
        amount,
        memo: null,
        dimensions: {},
      }),
    ),
    ...over,
  };
}

/** RFC 4180 reader (quoted cells, doubled quotes, CRLF records): test-only. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  assert.equal(cell, '', 'the file ends with CRLF');
  assert.equal(row.length, 0);
  return rows;
}

/** Decimal text at a scale back to minor units, digit by digit. */
function minorOf(text: string, scale: number): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  assert.ok(m, `decimal text: ${text}`);
  assert.equal((m[2] ?? '').length, scale, `scale ${scale}: ${text}`);
  return BigInt(`${m[1]}${m[2] ?? ''}`);
}

function csvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(header, [...CSV_COLUMNS]);
  return rows.map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i] ?? ''])));
}

describe('journal batch files', () => {
  const e1 = entry('HRMC', 'USD', [
    ['1300', 'debit', 1_234n, 'HRMC-6410'],
    ['2000', 'credit', 1_234n],
  ]);
  const e2 = entry(
    'HRMC',
    'USD',
    [
      ['5000', 'debit', 5n, 'HRMC-6410'],
      ['5000', 'debit', 100n, 'HRMC-6410'],
      ['1000', 'credit', 105n],
    ],
    { accountingDate: '2026-11-01', effectiveDate: '2026-11-01' },
  );
  const e3 = entry('WCCH', 'JPY', [
    ['1000', 'debit', 2n ** 62n],
    ['4000', 'credit', 2n ** 62n],
  ]);
  const e4 = entry('WCCH', 'KWD', [
    ['1000', 'debit', 7n],
    ['4000', 'credit', 7n],
  ]);
  const all = [e1, e2, e3, e4];

  test('decimals come from minor units at each currency scale; the other side is empty', () => {
    const batch = buildJournalBatch(all, CHART, CURRENCIES);
    const rows = csvRecords(renderJournalCsv(batch));
    assert.equal(rows.length, 9);
    assert.deepEqual(
      rows.map((r) => [r['entry_id'], r['debit'], r['credit'], r['currency']]),
      [
        [e2.id, '0.05', '', 'USD'],
        [e2.id, '1.00', '', 'USD'],
        [e2.id, '', '1.05', 'USD'],
        [e1.id, '12.34', '', 'USD'],
        [e1.id, '', '12.34', 'USD'],
        [e3.id, '4611686018427387904', '', 'JPY'],
        [e3.id, '', '4611686018427387904', 'JPY'],
        [e4.id, '0.007', '', 'KWD'],
        [e4.id, '', '0.007', 'KWD'],
      ],
      'ordered by accounting date then id; exact past 2^53',
    );
    assert.ok(rows.every((r) => r['batch_id'] === batch.id));
    assert.equal(rows[0]!['cost_center'], 'HRMC-6410');
    assert.equal(rows[2]!['cost_center'], '');
    assert.equal(rows[0]!['accounting_date'], '2026-11-01');
    assert.equal(rows[0]!['source_event_id'], e2.sourceEventId);
    assert.equal(rows[0]!['reason_code'], 'manual-adjustment');
  });

  test('cells that would start a formula are neutralised; commas, quotes and line breaks survive', () => {
    for (const [raw, safe] of [
      ['=1+1', "'=1+1"],
      ['+A1', "'+A1"],
      ['-2', '-2'],
      ['-12.50', '-12.50'],
      ['+3', '+3'],
      ['-2+3', "'-2+3"],
      ['-cmd|calc', "'-cmd|calc"],
      ["'=x", "''=x"],
      ['@SUM(A1)', "'@SUM(A1)"],
      ['\tx', "'\tx"],
      ['\rx', "'\rx"],
      ['plain', 'plain'],
      ['1.00', '1.00'],
      ['', ''],
    ] as const) {
      assert.equal(neutraliseCell(raw), safe);
    }
    const text = renderJournalCsv(buildJournalBatch(all, CHART, CURRENCIES));
    const names = new Set(csvRecords(text).map((r) => r['account_name']));
    assert.deepEqual(
      [...names].sort(),
      [
        "'+Payables",
        '\'=HYPERLINK("http://x","click")',
        "'@SUM(A1)",
        "'\tTabbed\r\nexpense",
        'Cash, "operating"',
      ].sort(),
    );
    for (const cell of parseCsv(text).flat()) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, cell);
  });

  test('control totals: counts, Σ debit = Σ credit per entity × currency, summary per account and cost center', () => {
    const batch = buildJournalBatch(all, CHART, CURRENCIES);
    const t = batch.totals;
    assert.equal(t.entries, 4);
    assert.equal(t.lines, 9);
    assert.deepEqual(
      t.books.map((b) => [b.entity, b.currency, b.debit, b.credit]),
      [
        ['HRMC', 'USD', 1_339n, 1_339n],
        ['WCCH', 'JPY', 2n ** 62n, 2n ** 62n],
        ['WCCH', 'KWD', 7n, 7n],
      ],
    );
    const hrmc5000 = t.summary.filter((r) => r.entity === 'HRMC' && r.account === '5000');
    assert.deepEqual(
      hrmc5000.map((r) => [r.periodId, r.costCenter, r.debit, r.credit, r.lines]),
      [['2026-11', 'HRMC-6410', 105n, 0n, 2]],
    );
    assert.equal(t.summary.length, 8);
    const json = controlTotalsJson(batch) as { books: { debit: string; debitMinor: string }[] };
    assert.deepEqual(
      json.books.map((b) => [b.debit, b.debitMinor]),
      [
        ['13.39', '1339'],
        ['4611686018427387904', '4611686018427387904'],
        ['0.007', '7'],
      ],
    );
  });

  test('the batch id is deterministic: same entries in any order, different entries differ', () => {
    const a = buildJournalBatch(all, CHART, CURRENCIES);
    const b = buildJournalBatch([...all].reverse(), CHART, CURRENCIES);
    assert.match(a.id, /^jb_[0-9a-f]{16}$/);
    assert.equal(a.id, b.id);
    assert.equal(renderJournalCsv(a), renderJournalCsv(b), 'and the file is byte-identical');
    assert.equal(renderJournalJson(a), renderJournalJson(b));
    assert.notEqual(buildJournalBatch([e1, e2], CHART, CURRENCIES).id, a.id);
    assert.equal(journalBatchId(['x', 'y']), journalBatchId(['y', 'x']));
    assert.notEqual(journalBatchId(['x', 'y']), journalBatchId(['xy']));
  });

  test('a batch that does not balance per entity and currency is refused, naming the book', () => {
    const lopsided = entry('HRSC', 'USD', [
      ['1000', 'debit', 500n],
      ['4000', 'credit', 499n],
    ]);
    assert.throws(
      () => buildJournalBatch([...all, lopsided], CHART, CURRENCIES),
      (e: unknown) =>
        isCrosswalkError(e) &&
        e.code === 'CW_ERR_OUTBOX_UNBALANCED_BATCH' &&
        /HRSC in USD: debits 5\.00, credits 4\.99/.test(e.message),
    );
    // Balanced in total but not per entity: one entity's debit cannot pay another's credit.
    const halfA = entry('HRMC', 'USD', [['1000', 'debit', 10n]]);
    const halfB = entry('HRSC', 'USD', [['4000', 'credit', 10n]]);
    assert.throws(
      () => buildJournalBatch([halfA, halfB], CHART, CURRENCIES),
      (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_OUTBOX_UNBALANCED_BATCH',
    );
    // …nor one currency's another's.
    const usd = entry('HRMC', 'USD', [['1000', 'debit', 10n]]);
    const kwd = entry('HRMC', 'KWD', [['4000', 'credit', 10n]]);
    assert.throws(
      () => buildJournalBatch([usd, kwd], CHART, CURRENCIES),
      (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_OUTBOX_UNBALANCED_BATCH',
    );
    const unknownAccount = entry('HRMC', 'USD', [
      ['9999', 'debit', 1n],
      ['1000', 'credit', 1n],
    ]);
    assert.throws(
      () => buildJournalBatch([unknownAccount], CHART, CURRENCIES),
      (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_LEDGER_UNKNOWN_ACCOUNT',
    );
    assert.throws(
      () => buildJournalBatch([e4], CHART),
      (e: unknown) => isCrosswalkError(e) && e.code === 'CW_ERR_LEDGER_UNKNOWN_CURRENCY',
    );
  });

  test('JSON carries minor units and decimals; hledger is the ledger export headed by the batch id', () => {
    const batch = buildJournalBatch(all, CHART, CURRENCIES);
    const doc = JSON.parse(renderJournalJson(batch)) as {
      batchId: string;
      controlTotals: { entries: number };
      entries: { id: string; lines: { amountMinor: string; amount: string; accountName: string }[] }[];
    };
    assert.equal(doc.batchId, batch.id);
    assert.equal(doc.controlTotals.entries, 4);
    assert.deepEqual(
      doc.entries.map((e) => e.id),
      [e2.id, e1.id, e3.id, e4.id],
    );
    assert.deepEqual(doc.entries[2]!.lines[0], {
      ...doc.entries[2]!.lines[0],
      amountMinor: '4611686018427387904',
      amount: '4611686018427387904',
      accountName: 'Cash, "operating"',
    });
    assert.equal(doc.entries[3]!.lines[1]!.amount, '0.007');
    const journal = renderJournalHledger(batch);
    assert.ok(journal.startsWith(`; batch ${batch.id}: 4 entries, 9 lines\n`));
    assert.match(journal, /\n2026-11-01 \* \(je_\d+\) test entry\n/);
    assert.equal(renderJournalBatch(batch, 'hledger'), journal);
    assert.equal(renderJournalBatch(batch, 'csv'), renderJournalCsv(batch));
    const empty = buildJournalBatch([], CHART, CURRENCIES);
    assert.deepEqual([empty.totals.entries, empty.totals.books.length], [0, 0]);
    assert.equal(renderJournalCsv(empty), `${CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('journal batch files, properties', () => {
  const currency = fc.constantFrom(...CURRENCIES);
  const amount = fc.oneof(
    fc.bigInt({ min: 1n, max: 99_999n }),
    fc.bigInt({ min: 2n ** 53n, max: 2n ** 60n }),
  );
  const randomEntry = fc
    .record({
      entity: fc.constantFrom('HRMC', 'HRSC', 'WCCH'),
      currency,
      debits: fc.array(fc.tuple(fc.constantFrom(...CODES), amount), { minLength: 1, maxLength: 4 }),
      credits: fc.array(fc.tuple(fc.constantFrom(...CODES), amount), { minLength: 1, maxLength: 4 }),
      costCenter: fc.option(fc.constantFrom('CC-1', '=CC', '-2'), { nil: undefined }),
      day: fc.integer({ min: 1, max: 28 }),
    })
    .map(({ entity, currency: c, debits, credits, costCenter, day }) => {
      const d = debits.reduce((a, [, x]) => a + x, 0n);
      const k = credits.reduce((a, [, x]) => a + x, 0n);
      const lines: [string, Side, bigint, string?][] = [
        ...debits.map(([a, x]): [string, Side, bigint, string?] => [a, 'debit', x, costCenter]),
        ...credits.map(([a, x]): [string, Side, bigint] => [a, 'credit', x]),
      ];
      if (d > k) lines.push(['3000', 'credit', d - k]);
      if (k > d) lines.push(['3000', 'debit', k - d]);
      const date = `2026-11-${String(day).padStart(2, '0')}`;
      return entry(entity, c.code, lines, { accountingDate: date, effectiveDate: date });
    });

  test('random balanced entries: balanced control totals, and CSV reads back to the same amounts', () => {
    fc.assert(
      fc.property(fc.array(randomEntry, { maxLength: 12 }), (entries) => {
        const batch = buildJournalBatch(entries, CHART, CURRENCIES);
        for (const b of batch.totals.books) assert.equal(b.debit, b.credit);
        assert.equal(batch.totals.entries, entries.length);
        const lines = entries.flatMap((e) => e.lines.map((l) => ({ e, l })));
        assert.equal(batch.totals.lines, lines.length);
        const summed = batch.totals.summary.reduce((a, r) => a + r.debit - r.credit, 0n);
        assert.equal(summed, 0n, 'the summary nets to zero');

        const rows = csvRecords(renderJournalCsv(batch));
        assert.equal(rows.length, lines.length);
        const byLine = new Map(lines.map(({ e, l }) => [`${e.id}#${l.lineNo}`, { e, l }]));
        for (const r of rows) {
          const found = byLine.get(`${r['entry_id']}#${r['line_no']}`);
          assert.ok(found);
          const scale = CURRENCIES.find((c) => c.code === r['currency'])!.scale;
          const side: Side = r['debit'] === '' ? 'credit' : 'debit';
          assert.equal(side, found.l.side);
          assert.equal(r[side === 'debit' ? 'credit' : 'debit'], '');
          assert.equal(minorOf(r[side]!, scale), found.l.amount);
          assert.equal(
            r['cost_center'],
            found.l.costCenter === null ? '' : neutraliseCell(found.l.costCenter),
          );
        }
        const json = JSON.parse(renderJournalJson(batch)) as {
          entries: { lines: { amountMinor: string }[] }[];
        };
        assert.equal(
          json.entries.flatMap((e) => e.lines).reduce((a, l) => a + BigInt(l.amountMinor), 0n),
          lines.reduce((a, { l }) => a + l.amount, 0n),
        );
      }),
      { seed: 20261125, numRuns: 150 },
    );
  });

  test('entries journalized by the standard rules always make a balanced batch', () => {
    fc.assert(
      fc.property(sequence(fc.bigInt({ min: 1n, max: 10n ** 12n })), (events) => {
        const entries = events.flatMap((e) => journalize(e, rules, ctx, periods()));
        const batch = buildJournalBatch(entries, ctx.accounts);
        for (const b of batch.totals.books) assert.equal(b.debit, b.credit);
        assert.equal(csvRecords(renderJournalCsv(batch)).length, batch.totals.lines);
      }),
      { seed: 4242, numRuns: 40 },
    );
  });
});

describe('an outbox document rendered for delivery', () => {
  const chart = (accounts: ReadonlyMap<string, Account>): RenderChart => ({ accounts, scaleOf: () => 2 });
  const doc = () =>
    documentsForBatch(
      'k',
      [
        {
          kind: 'applied',
          message: { id: 7n },
          entries: [
            entry('A', 'USD', [
              ['5000', 'debit', 1234n, 'CC1'],
              ['1000', 'credit', 1234n],
            ]),
            entry('A', 'USD', [
              ['5000', 'debit', 5n],
              ['1000', 'credit', 5n],
            ]),
          ],
        },
      ],
      'T',
    )[0]!;

  test('in every format in a row reads as each format rendered from a fresh copy', () => {
    const d = doc();
    const inRow = JOURNAL_FILE_FORMATS.map((f) => renderDocumentFile(d, f, chart(CHART)));
    const fresh = JOURNAL_FILE_FORMATS.map((f) => renderDocumentFile({ ...d }, f, chart(CHART)));
    assert.deepEqual(inRow, fresh);
    assert.equal(renderDocumentBody(d, chart(CHART)), renderDocumentBody({ ...d }, chart(CHART)));
    assert.match(inRow[0]!, /12\.34/);
  });

  test('under another chart shows that chart (a renamed account its new name)', () => {
    const d = doc();
    assert.match(renderDocumentFile(d, 'csv', chart(CHART))!, /cash/i);
    const renamed = new Map(CHART);
    renamed.set('1000', account('1000', 'Petty money'));
    const text = renderDocumentFile(d, 'csv', chart(renamed))!;
    assert.match(text, /Petty money/);
    assert.doesNotMatch(text, /operating/);
  });
});
