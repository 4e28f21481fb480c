/**
 * Journal batch files for the ERP: one batch of posted entries rendered as CSV, JSON or an hledger
 * journal, with control totals the receiving side can check the file against. Pure: no I/O.
 *
 * Invariants:
 * - Amounts come from integer minor units and are printed with `formatMinor`; nothing passes through a
 *   float. JSON carries both the minor-unit integer (as a string) and the decimal text.
 * - A batch balances per entity × currency (Σ debit = Σ credit) or it is refused
 *   (CW_ERR_OUTBOX_UNBALANCED_BATCH): an ERP must never be handed half a transaction.
 * - The batch id depends only on the set of entry ids, so re-exporting the same entries gives the same id
 *   (the ERP side can use it to refuse a duplicate import), whatever order they were read in.
 * - Entries are ordered by accounting date, then id, in every format; lines by line number.
 * - No CSV cell can start a spreadsheet formula: cells starting with = + - @ tab or CR get a leading `'`.
 */

import { createHash } from 'node:crypto';
import { CrosswalkError } from '../errors/index.ts';
import {
  type Account,
  type Currency,
  DEFAULT_CURRENCIES,
  formatMinor,
  type JournalEntry,
  type MinorUnits,
  renderHledger,
} from '../ledger/index.ts';
import { neutraliseFormula } from '../mapping/index.ts';

export type JournalFileFormat = 'csv' | 'json' | 'hledger';
export const JOURNAL_FILE_FORMATS: readonly JournalFileFormat[] = ['csv', 'json', 'hledger'];

/** Σ debit and Σ credit of one entity's books in one currency; equal in any accepted batch. */
export interface BookControlTotal {
  readonly entity: string;
  readonly currency: string;
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
}

/** Activity per entity × period × account × cost center (and currency, which an entity's lines share). */
export interface SummaryRow {
  readonly entity: string;
  readonly periodId: string;
  readonly currency: string;
  readonly account: string;
  readonly costCenter: string | null;
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
  readonly lines: number;
}

export interface ControlTotals {
  readonly entries: number;
  readonly lines: number;
  /** Sorted by entity, currency. */
  readonly books: readonly BookControlTotal[];
  /** Sorted by entity, period, currency, account, cost center (none first). */
  readonly summary: readonly SummaryRow[];
}

export interface JournalBatch {
  /** `jb_` + the first 16 hex digits of sha256 over the sorted entry ids. */
  readonly id: string;
  /** Accounting date, then id. */
  readonly entries: readonly JournalEntry[];
  readonly accounts: ReadonlyMap<string, Account>;
  readonly currencies: readonly Currency[];
  readonly totals: ControlTotals;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Deterministic: the same set of entry ids gives the same id, in any order. */
export function journalBatchId(entryIds: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of [...new Set(entryIds)].sort(cmp)) h.update(`${id}\n`);
  return `jb_${h.digest('hex').slice(0, 16)}`;
}

function scaleMap(currencies: readonly Currency[]): Map<string, number> {
  return new Map(currencies.map((c) => [c.code, c.scale]));
}

function controlTotals(entries: readonly JournalEntry[]): ControlTotals {
  const books = new Map<string, { entity: string; currency: string; debit: bigint; credit: bigint }>();
  const summary = new Map<string, SummaryRow & { debit: bigint; credit: bigint; lines: number }>();
  let lines = 0;
  for (const e of entries) {
    const bk = `${e.entity}\u0000${e.currency}`;
    const book = books.get(bk) ?? { entity: e.entity, currency: e.currency, debit: 0n, credit: 0n };
    books.set(bk, book);
    for (const l of e.lines) {
      lines += 1;
      const sk = `${e.entity}\u0000${e.periodId}\u0000${e.currency}\u0000${l.account}\u0000${l.costCenter ?? ''}`;
      const row = summary.get(sk) ?? {
        entity: e.entity,
        periodId: e.periodId,
        currency: e.currency,
        account: l.account,
        costCenter: l.costCenter,
        debit: 0n,
        credit: 0n,
        lines: 0,
      };
      summary.set(sk, row);
      row.lines += 1;
      if (l.side === 'debit') {
        book.debit += l.amount;
        row.debit += l.amount;
      } else {
        book.credit += l.amount;
        row.credit += l.amount;
      }
    }
  }
  return {
    entries: entries.length,
    lines,
    books: [...books.values()].sort((a, b) => cmp(a.entity, b.entity) || cmp(a.currency, b.currency)),
    summary: [...summary.values()].sort(
      (a, b) =>
        cmp(a.entity, b.entity) ||
        cmp(a.periodId, b.periodId) ||
        cmp(a.currency, b.currency) ||
        cmp(a.account, b.account) ||
        cmp(a.costCenter ?? '', b.costCenter ?? ''),
    ),
  };
}

/**
 * Orders the entries, computes the control totals and checks them. Throws
 * CW_ERR_OUTBOX_UNBALANCED_BATCH when an entity's books in a currency do not balance,
 * CW_ERR_LEDGER_UNKNOWN_ACCOUNT / CW_ERR_LEDGER_UNKNOWN_CURRENCY for codes the chart or the currency
 * list does not hold.
 */
export function buildJournalBatch(
  entries: readonly JournalEntry[],
  accounts: ReadonlyMap<string, Account>,
  currencies: readonly Currency[] = DEFAULT_CURRENCIES,
): JournalBatch {
  const scales = scaleMap(currencies);
  const sorted = [...entries].sort((a, b) => cmp(a.accountingDate, b.accountingDate) || cmp(a.id, b.id));
  for (const e of sorted) {
    if (!scales.has(e.currency))
      throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_CURRENCY', { currency: e.currency });
    for (const l of e.lines) {
      if (!accounts.has(l.account))
        throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_ACCOUNT', { account: l.account });
    }
  }
  const id = journalBatchId(sorted.map((e) => e.id));
  const totals = controlTotals(sorted);
  for (const b of totals.books) {
    if (b.debit !== b.credit) {
      const scale = scales.get(b.currency) ?? 0;
      throw new CrosswalkError('CW_ERR_OUTBOX_UNBALANCED_BATCH', {
        batch: id,
        entity: b.entity,
        currency: b.currency,
        debits: formatMinor(b.debit, scale),
        credits: formatMinor(b.credit, scale),
      });
    }
  }
  return {
    id,
    entries: sorted,
    accounts,
    currencies,
    totals,
  };
}

// --- CSV ----------------------------------------------------------------------------------------------

export const CSV_COLUMNS = [
  'batch_id',
  'entry_id',
  'line_no',
  'entity',
  'period',
  'accounting_date',
  'account',
  'account_name',
  'cost_center',
  'debit',
  'credit',
  'currency',
  'reason_code',
  'source_event_id',
] as const;

/**
 * A spreadsheet treats a cell starting with = + - @ (and, in some, tab or CR) as a formula; a leading
 * apostrophe makes it text (mapping's `neutraliseFormula`: one rule for every CSV Crosswalk writes).
 * A plain number such as `-12.50` is left a number.
 */
export const neutraliseCell = neutraliseFormula;

/** RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
function csvCell(value: string): string {
  const v = neutraliseCell(value);
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * One row per line, CRLF line ends (RFC 4180), a header row first. The debit or credit cell holds the
 * line's amount as a decimal at the currency's scale; the other side is empty.
 *
 * A batch has thousands of lines and a few entries' worth of distinct cell values per line: the cells an
 * entry's lines share are escaped once per entry, account names and cost centres once per batch, and a
 * row is one concatenation, which made this several times cheaper than a cell array per line.
 */
export function renderJournalCsv(batch: JournalBatch): string {
  const scales = scaleMap(batch.currencies);
  const batchCell = csvCell(batch.id);
  // By account code: its code and name cells; by cost centre: its cell.
  const accountCells = new Map<string, string>();
  const costCenterCells = new Map<string, string>();
  let out = `${CSV_COLUMNS.join(',')}\r\n`;
  for (const e of batch.entries) {
    const scale = scales.get(e.currency) ?? 0;
    const head = `${batchCell},${csvCell(e.id)},`;
    const entryCells = `,${csvCell(e.entity)},${csvCell(e.periodId)},${csvCell(e.accountingDate)},`;
    const tail = `,${csvCell(e.currency)},${csvCell(e.reasonCode)},${csvCell(e.sourceEventId)}\r\n`;
    for (const l of e.lines) {
      let account = accountCells.get(l.account);
      if (account === undefined) {
        account = `${csvCell(l.account)},${csvCell(batch.accounts.get(l.account)?.name ?? '')}`;
        accountCells.set(l.account, account);
      }
      const cc = l.costCenter ?? '';
      let costCenter = costCenterCells.get(cc);
      if (costCenter === undefined) {
        costCenter = csvCell(cc);
        costCenterCells.set(cc, costCenter);
      }
      // A line number and a decimal amount are digits (a sign, a point): nothing to quote or neutralise.
      const amount = formatMinor(l.amount, scale);
      out += `${head}${l.lineNo}${entryCells}${account},${costCenter},${l.side === 'debit' ? amount : ''},${l.side === 'credit' ? amount : ''}${tail}`;
    }
  }
  return out;
}

// --- JSON ---------------------------------------------------------------------------------------------

/** Control totals with every amount as decimal text at the currency's scale (and minor units). */
export function controlTotalsJson(batch: JournalBatch): object {
  const scales = scaleMap(batch.currencies);
  const dec = (amount: bigint, currency: string) => formatMinor(amount, scales.get(currency) ?? 0);
  const t = batch.totals;
  return {
    batchId: batch.id,
    entries: t.entries,
    lines: t.lines,
    books: t.books.map((b) => ({
      entity: b.entity,
      currency: b.currency,
      debit: dec(b.debit, b.currency),
      credit: dec(b.credit, b.currency),
      debitMinor: b.debit.toString(),
      creditMinor: b.credit.toString(),
      balanced: b.debit === b.credit,
    })),
    summary: t.summary.map((r) => ({
      entity: r.entity,
      period: r.periodId,
      currency: r.currency,
      account: r.account,
      accountName: batch.accounts.get(r.account)?.name ?? null,
      costCenter: r.costCenter,
      lines: r.lines,
      debit: dec(r.debit, r.currency),
      credit: dec(r.credit, r.currency),
      debitMinor: r.debit.toString(),
      creditMinor: r.credit.toString(),
    })),
  };
}

/** The whole batch as one JSON document: control totals, then entries with their lines. */
export function renderJournalJson(batch: JournalBatch): string {
  const scales = scaleMap(batch.currencies);
  const doc = {
    format: 'crosswalk.journal-batch',
    version: 1,
    batchId: batch.id,
    currencies: batch.currencies.filter((c) => batch.totals.books.some((b) => b.currency === c.code)),
    controlTotals: controlTotalsJson(batch),
    entries: batch.entries.map((e) => {
      const scale = scales.get(e.currency) ?? 0;
      return {
        id: e.id,
        entity: e.entity,
        currency: e.currency,
        period: e.periodId,
        lateFromPeriod: e.lateFromPeriod,
        effectiveDate: e.effectiveDate,
        accountingDate: e.accountingDate,
        postedAt: e.postedAt,
        sourceEventId: e.sourceEventId,
        ruleId: e.ruleId,
        reasonCode: e.reasonCode,
        description: e.description,
        groupId: e.groupId,
        reverses: e.reverses,
        lines: e.lines.map((l) => ({
          lineNo: l.lineNo,
          account: l.account,
          accountName: batch.accounts.get(l.account)?.name ?? null,
          costCenter: l.costCenter,
          side: l.side,
          amountMinor: l.amount.toString(),
          amount: formatMinor(l.amount, scale),
          memo: l.memo,
          dimensions: l.dimensions,
        })),
      };
    }),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// --- hledger ------------------------------------------------------------------------------------------

/** The ledger module's hledger journal, headed by the batch id as a comment. */
export function renderJournalHledger(batch: JournalBatch): string {
  return `; batch ${batch.id}: ${batch.totals.entries} entries, ${batch.totals.lines} lines\n${renderHledger(
    batch.entries,
    batch.accounts,
    batch.currencies,
  )}`;
}

export function renderJournalBatch(batch: JournalBatch, format: JournalFileFormat): string {
  switch (format) {
    case 'csv':
      return renderJournalCsv(batch);
    case 'json':
      return renderJournalJson(batch);
    case 'hledger':
      return renderJournalHledger(batch);
  }
}

/** Control totals for a person: one line per entity × currency, then counts. */
export function controlTotalsText(batch: JournalBatch): string {
  const scales = scaleMap(batch.currencies);
  const t = batch.totals;
  return [
    `batch ${batch.id}: ${t.entries} entries, ${t.lines} lines, ${t.summary.length} summary rows`,
    ...t.books.map((b) => {
      const s = scales.get(b.currency) ?? 0;
      return `  ${b.entity} ${b.currency}: debit ${formatMinor(b.debit, s)}, credit ${formatMinor(b.credit, s)}, balanced`;
    }),
  ].join('\n');
}
