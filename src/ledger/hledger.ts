/**
 * Journal entries as an hledger / ledger-cli journal: a plain-text, diffable export an accountant can
 * check with `hledger -f FILE check` and `hledger -f FILE balance`. Accounts are named
 * `<entity>:<type>:<number> <name>` and declared with their hledger type, so balances group by entity
 * first; amounts are printed exactly from minor units with the commodity after the number.
 *
 * Each transaction is dated with its accounting date (inside the period it was booked in) and carries
 * the entry id as its code; provenance (source event, rule, reason, period, late flag, reversal link)
 * goes into tags, which hledger can query (`tag:reason=supply-used`).
 */

import { CrosswalkError } from '../errors/index.ts';
import type { Account, AccountType, Currency, JournalEntry } from './model.ts';
import { DEFAULT_CURRENCIES, formatMinor } from './money.ts';

const TYPE_SEGMENT: Readonly<Record<AccountType, readonly [segment: string, hledgerType: string]>> = {
  asset: ['assets', 'A'],
  liability: ['liabilities', 'L'],
  equity: ['equity', 'E'],
  revenue: ['revenues', 'R'],
  expense: ['expenses', 'X'],
};

/** Account-name text: no `:` (hledger's hierarchy separator), no `;` (comment), single spaces only. */
function nameText(s: string): string {
  return s.replace(/[:;]/g, '-').replace(/\s+/g, ' ').trim();
}

/** Descriptions end at `;`. */
function descriptionText(s: string): string {
  return s.replace(/;/g, ',').replace(/\s+/g, ' ').trim();
}

/** Tag values end at a comma or line end. */
function tagText(s: string): string {
  // Most values are ids and codes with nothing to change: one scan instead of two rewrites and a trim.
  if (!/[,;\s]/.test(s)) return s;
  return s.replace(/[,;]/g, '_').replace(/\s+/g, ' ').trim();
}

function commodity(code: string): string {
  return /^[A-Za-z]+$/.test(code) ? code : `"${code.replace(/"/g, '')}"`;
}

function tags(pairs: readonly (readonly [string, string | null | undefined])[]): string {
  return pairs
    .filter((p): p is readonly [string, string] => p[1] != null && p[1] !== '')
    .map(([k, v]) => `${k}:${tagText(v)}`)
    .join(', ');
}

export function hledgerAccountName(entity: string, account: Account): string {
  const [segment] = TYPE_SEGMENT[account.type];
  return `${nameText(entity)}:${segment}:${nameText(`${account.code} ${account.name}`)}`;
}

/**
 * Renders entries (sorted by accounting date, then id) with the `commodity` and `account` declarations
 * they need, so `hledger check accounts commodities` passes too. Throws CW_ERR_LEDGER_UNKNOWN_ACCOUNT /
 * CW_ERR_LEDGER_UNKNOWN_CURRENCY for codes the maps do not hold.
 */
export function renderHledger(
  entries: readonly JournalEntry[],
  accountsByNumber: ReadonlyMap<string, Account>,
  currencies: readonly Currency[] = DEFAULT_CURRENCIES,
): string {
  const scales = new Map(currencies.map((c) => [c.code, c.scale]));
  const sorted = [...entries].sort((a, b) =>
    a.accountingDate < b.accountingDate ? -1 : a.accountingDate > b.accountingDate ? 1 : a.id < b.id ? -1 : 1,
  );
  const usedCurrencies = new Set<string>();
  const usedAccounts = new Map<string, string>(); // hledger name -> type letter
  // A batch posts thousands of lines to a few dozen accounts: each name is built once per entity.
  const names = new Map<string, string>();
  const nameOf = (entity: string, account: Account): string => {
    const k = `${entity}\u0000${account.code}`;
    let name = names.get(k);
    if (name === undefined) {
      name = hledgerAccountName(entity, account);
      names.set(k, name);
    }
    return name;
  };
  const blocks: string[] = [];
  for (const e of sorted) {
    const scale = scales.get(e.currency);
    if (scale === undefined)
      throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_CURRENCY', { currency: e.currency });
    usedCurrencies.add(e.currency);
    const postings = e.lines.map((l) => {
      const account = accountsByNumber.get(l.account);
      if (!account) throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_ACCOUNT', { account: l.account });
      const name = nameOf(e.entity, account);
      usedAccounts.set(name, TYPE_SEGMENT[account.type][1]);
      const amount = `${formatMinor(l.side === 'debit' ? l.amount : -l.amount, scale)} ${commodity(e.currency)}`;
      const memo = l.memo === null ? '' : `${tagText(l.memo.replace(/:/g, ' '))} `;
      const lineTags = tags([
        ['cc', l.costCenter],
        ...Object.entries(l.dimensions).sort(([a], [b]) => (a < b ? -1 : 1)),
      ]);
      return { name, amount, comment: `${memo}${lineTags}`.trim() };
    });
    const width = Math.max(...postings.map((p) => p.name.length)) + 4;
    const header = [
      `${e.accountingDate} * (${e.id}) ${descriptionText(e.description)}`,
      `    ; ${tags([
        ['source', e.sourceEventId],
        ['rule', e.ruleId],
        ['reason', e.reasonCode],
        ['period', e.periodId],
        ['effective', e.effectiveDate],
        ['late-from', e.lateFromPeriod],
        ['reverses', e.reverses],
        ['group', e.groupId],
      ])}`,
    ];
    const body = postings.map((p) => {
      const line = `    ${p.name.padEnd(width)}${p.amount.padStart(20)}`;
      return p.comment === '' ? line : `${line}  ; ${p.comment}`;
    });
    blocks.push([...header, ...body].join('\n'));
  }
  const declarations = [
    '; Crosswalk journal export. Amounts are exact: printed from integer minor units.',
    'decimal-mark .',
    ...[...usedCurrencies]
      .sort()
      .map((c) => `commodity ${formatMinor(0n, scales.get(c) ?? 0)} ${commodity(c)}`),
    ...[...usedAccounts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([n, t]) => `account ${n}  ; type: ${t}`),
  ];
  return `${[declarations.join('\n'), ...blocks].join('\n\n')}\n`;
}
