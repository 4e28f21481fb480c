/**
 * Manual journal entries (four-eyes): a person prepares lines in a file, someone else approves, and only
 * then are they posted. Pure: parsing the file, checking the lines against the ledger, building the
 * entries that approval posts.
 *
 * Invariants:
 * - Amounts are decimal text parsed to minor units at the currency's scale exactly (`parseMinor`): more
 *   decimals than the scale is refused, never rounded; no floating point anywhere.
 * - A proposal balances per entity and currency, names known postable accounts and cost centers of the
 *   entity, and falls in a period that takes postings — checked when prepared and again when approved
 *   (a period may close in between: then approval is refused, not rolled forward).
 * - The entries are one per entity × currency, ids from the proposal id (`manual:<proposal>` rule), so
 *   posting the same proposal twice collides instead of doubling.
 */

import { CrosswalkError } from '../errors/index.ts';
import { currencyOf, entityOf, type LedgerContext } from './context.ts';
import { buildEntry } from './entry.ts';
import type { FiscalPeriod, IsoDate, JournalEntry, MinorUnits } from './model.ts';
import { formatMinor, parseMinor } from './money.ts';
import { periodFor } from './periods.ts';

/** One line as prepared: the debit or the credit is > 0, the other 0. */
export interface ManualLine {
  readonly lineNo: number;
  readonly entity: string;
  readonly currency: string;
  readonly account: string;
  readonly costCenter: string | null;
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
  readonly effectiveDate: IsoDate;
  readonly periodId: string;
  readonly memo: string | null;
}

export interface ManualProposal {
  readonly id: string;
  readonly description: string;
  readonly lines: readonly ManualLine[];
}

/** A line as read from the file, before amounts and periods are resolved. */
interface RawLine {
  entity?: unknown;
  account?: unknown;
  costCenter?: unknown;
  cost_center?: unknown;
  debit?: unknown;
  credit?: unknown;
  currency?: unknown;
  description?: unknown;
  memo?: unknown;
  date?: unknown;
  period?: unknown;
}

const invalid = (where: string, reason: string) =>
  new CrosswalkError('CW_ERR_MANUAL_JOURNAL_INVALID', { where, reason });

/** Late events roll forward; a manual journal does not: it names its period and that period must be open. */
const closedPeriod = (where: string, entity: string, period: string) =>
  invalid(
    where,
    `period ${period} of ${entity} takes no postings; a manual journal posts only to an open period`,
  );

/** The period holding `date`, which must take postings (no roll-forward for hand-made entries). */
function openPeriodOf(
  where: string,
  entity: string,
  date: string,
  periods: readonly FiscalPeriod[],
): FiscalPeriod {
  const resolved = periodFor(entity, date, periods);
  if (resolved.lateFromPeriod !== null) throw closedPeriod(where, entity, resolved.lateFromPeriod);
  return resolved.period;
}

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v).trim());

/** Splits one CSV record (RFC 4180 quotes) into fields. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * Reads a manual journal file: JSON `{description, date?, period?, lines: [{entity, account, costCenter,
 * debit, credit, currency?, description?, date?, period?}]}` or CSV with a header row naming those columns
 * (`cost_center` also accepted) and the description in a `# description: …` first line or `--description`.
 */
export function readManualFile(
  text: string,
  format: 'json' | 'csv',
): { description: string; lines: RawLine[]; date: string; period: string } {
  if (format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw invalid('file', `not JSON: ${(e as Error).message.slice(0, 100)}`);
    }
    if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { lines?: unknown }).lines)) {
      throw invalid('file', 'expected an object with a "lines" array');
    }
    const d = doc as { description?: unknown; date?: unknown; period?: unknown; lines: unknown[] };
    return {
      description: str(d.description),
      date: str(d.date),
      period: str(d.period),
      lines: d.lines.map((l) => (typeof l === 'object' && l !== null ? (l as RawLine) : {})),
    };
  }
  let description = '';
  const rows = text
    .split(/\r?\n/)
    .filter((l) => {
      const m = /^#\s*description:\s*(.*)$/i.exec(l);
      if (m) description = m[1]!.trim();
      return l.trim() !== '' && !l.startsWith('#');
    })
    .map(csvFields);
  const header = rows.shift()?.map((h) => h.trim().toLowerCase());
  if (!header?.includes('account')) throw invalid('file', 'CSV needs a header row naming account');
  const lines = rows.map((r) => {
    const o: Record<string, string> = {};
    header.forEach((h, i) => {
      o[h === 'cost_center' || h === 'costcenter' ? 'costCenter' : h] = r[i] ?? '';
    });
    return o as RawLine;
  });
  return { description, date: '', period: '', lines };
}

/**
 * Turns the file's lines into a checked proposal: amounts exact at the currency's scale, every line
 * resolved to an open period, each entity × currency balanced, accounts and cost centers known.
 */
export function prepareManualJournal(
  id: string,
  file: { description: string; lines: readonly RawLine[]; date: string; period: string },
  ctx: LedgerContext,
  periods: readonly FiscalPeriod[],
): ManualProposal {
  const description = file.description || 'Manual journal entry';
  if (file.lines.length < 2)
    throw invalid('file', `has ${file.lines.length} line(s); a journal needs two or more`);
  const lines = file.lines.map((raw, i): ManualLine => {
    const where = `line ${i + 1}`;
    const entityCode = str(raw.entity);
    if (entityCode === '') throw invalid(where, 'entity is empty');
    const entity = entityOf(ctx, entityCode);
    const currency = currencyOf(ctx, str(raw.currency) || entity.currency);
    const amount = (v: unknown, side: string): bigint => {
      const t = str(v);
      if (t === '') return 0n;
      const n = parseMinor(t, currency.scale);
      if (n < 0n) throw invalid(where, `${side} ${t} is negative; put it on the other side`);
      return n;
    };
    const debit = amount(raw.debit, 'debit');
    const credit = amount(raw.credit, 'credit');
    if ((debit === 0n) === (credit === 0n))
      throw invalid(where, 'give either a debit or a credit, not both or neither');
    const account = str(raw.account);
    if (account === '') throw invalid(where, 'account is empty');
    const periodId = str(raw.period) || file.period;
    let date = str(raw.date) || file.date;
    if (date === '' && periodId !== '') {
      const p = periods.find((x) => x.entityCode === entity.code && x.id === periodId);
      if (!p) throw invalid(where, `entity ${entity.code} has no period ${periodId}`);
      date = p.endDate;
    }
    if (date === '') throw invalid(where, 'give a date or a period');
    const resolved = openPeriodOf(where, entity.code, date, periods);
    if (periodId !== '' && resolved.id !== periodId) {
      throw invalid(where, `date ${date} is in period ${resolved.id}, not ${periodId}`);
    }
    const memo = str(raw.description) || str(raw.memo);
    return {
      lineNo: i + 1,
      entity: entity.code,
      currency: currency.code,
      account,
      costCenter: str(raw.costCenter ?? raw.cost_center) || null,
      debit,
      credit,
      effectiveDate: date,
      periodId: resolved.id,
      memo: memo === '' ? null : memo,
    };
  });
  const proposal = { id, description, lines };
  // Building the entries checks everything the ledger checks (balance, accounts, cost centers, text).
  manualJournalEntries(proposal, ctx, periods, '2000-01-01T00:00:00.000Z');
  return proposal;
}

/**
 * The entries that approving a proposal posts: one per entity × currency × date, in the order first met.
 * Throws a typed error when one does not balance or no longer fits the ledger (a period closed since).
 */
export function manualJournalEntries(
  proposal: ManualProposal,
  ctx: LedgerContext,
  periods: readonly FiscalPeriod[],
  postedAt: string,
): JournalEntry[] {
  const groups = new Map<string, ManualLine[]>();
  for (const l of proposal.lines) {
    const k = `${l.entity}|${l.currency}|${l.effectiveDate}`;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  let leg = 0;
  const entries: JournalEntry[] = [];
  for (const [, lines] of groups) {
    const first = lines[0]!;
    const debits = lines.reduce((a, l) => a + l.debit, 0n);
    const credits = lines.reduce((a, l) => a + l.credit, 0n);
    if (debits !== credits) {
      throw new CrosswalkError('CW_ERR_LEDGER_UNBALANCED', {
        entry: `${proposal.id} (${first.entity}, ${first.effectiveDate})`,
        currency: first.currency,
        debits: formatMinor(debits, currencyOf(ctx, first.currency).scale),
        credits: formatMinor(credits, currencyOf(ctx, first.currency).scale),
      });
    }
    openPeriodOf(`line ${first.lineNo}`, first.entity, first.effectiveDate, periods);
    entries.push(
      buildEntry(
        {
          sourceEventId: proposal.id,
          ruleId: `manual:${proposal.id}`,
          leg: leg++,
          entity: first.entity,
          currency: first.currency,
          effectiveDate: first.effectiveDate,
          postedAt,
          reasonCode: 'manual-adjustment',
          description: proposal.description.slice(0, 200),
          groupId: groups.size > 1 ? proposal.id : null,
          lines: lines.map((l) => ({
            account: l.account,
            side: l.debit > 0n ? ('debit' as const) : ('credit' as const),
            amount: l.debit > 0n ? l.debit : l.credit,
            costCenter: l.costCenter,
            memo: l.memo,
          })),
        },
        ctx,
        periods,
      ),
    );
  }
  return entries;
}
