/**
 * Read-side views over posted lines: the trial balance per entity × currency × account, an account's
 * activity with a running balance, and the intercompany reconciliation between entities. All sums are
 * `bigint`, so they stay exact however large the books grow.
 */

import type { LedgerContext } from './context.ts';
import type { IsoDate, MinorUnits, NormalBalance, PostedLine } from './model.ts';

export interface TrialBalanceRow {
  readonly entity: string;
  readonly currency: string;
  readonly account: string;
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
  /** `debit - credit`: positive is a debit balance. */
  readonly net: MinorUnits;
}

export interface TrialBalanceTotal {
  readonly entity: string;
  readonly currency: string;
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
  /** Zero when the entity's books in this currency balance. */
  readonly net: MinorUnits;
}

export interface TrialBalance {
  /** Sorted by entity, currency, account. */
  readonly rows: readonly TrialBalanceRow[];
  /** One per entity × currency, sorted. */
  readonly totals: readonly TrialBalanceTotal[];
  /** Every total nets to zero. */
  readonly balanced: boolean;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Acc {
  debit: MinorUnits;
  credit: MinorUnits;
}

function add(map: Map<string, Acc>, k: string, line: PostedLine): void {
  let acc = map.get(k);
  if (!acc) {
    acc = { debit: 0n, credit: 0n };
    map.set(k, acc);
  }
  if (line.side === 'debit') acc.debit += line.amount;
  else acc.credit += line.amount;
}

export function trialBalance(lines: Iterable<PostedLine>): TrialBalance {
  const byAccount = new Map<string, Acc>();
  const byBook = new Map<string, Acc>();
  for (const l of lines) {
    // NUL cannot occur in codes (entries refuse control characters), so it is a safe key separator.
    add(byAccount, `${l.entity}\u0000${l.currency}\u0000${l.account}`, l);
    add(byBook, `${l.entity}\u0000${l.currency}`, l);
  }
  const rows = [...byAccount.entries()]
    .map(([k, a]): TrialBalanceRow => {
      const [entity = '', currency = '', account = ''] = k.split('\u0000');
      return { entity, currency, account, debit: a.debit, credit: a.credit, net: a.debit - a.credit };
    })
    .sort((x, y) => cmp(x.entity, y.entity) || cmp(x.currency, y.currency) || cmp(x.account, y.account));
  const totals = [...byBook.entries()]
    .map(([k, a]): TrialBalanceTotal => {
      const [entity = '', currency = ''] = k.split('\u0000');
      return { entity, currency, debit: a.debit, credit: a.credit, net: a.debit - a.credit };
    })
    .sort((x, y) => cmp(x.entity, y.entity) || cmp(x.currency, y.currency));
  return { rows, totals, balanced: totals.every((t) => t.net === 0n) };
}

/** A debit-positive net expressed on the account's normal side (a liability's credit balance is positive). */
export function normalSideBalance(net: MinorUnits, normalBalance: NormalBalance): MinorUnits {
  return normalBalance === 'debit' ? net : -net;
}

export interface ActivityLine {
  readonly entryId: string;
  readonly accountingDate: IsoDate;
  readonly periodId: string;
  readonly costCenter: string | null;
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
  /** Running debit-positive balance after this line. */
  readonly balance: MinorUnits;
}

export interface AccountActivity {
  readonly entity: string;
  readonly account: string;
  readonly currency: string;
  readonly opening: MinorUnits;
  readonly lines: readonly ActivityLine[];
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
  readonly closing: MinorUnits;
}

/**
 * One account's movements in one entity and currency, ordered by accounting date then entry id (a
 * stable order for equal dates), with a running balance from `opening`. Filter `lines` to the periods
 * wanted before calling; pass the balance brought forward as `opening`.
 */
export function accountActivity(
  lines: Iterable<PostedLine>,
  which: { readonly entity: string; readonly account: string; readonly currency: string },
  opening: MinorUnits = 0n,
): AccountActivity {
  const own = [...lines]
    .filter((l) => l.entity === which.entity && l.account === which.account && l.currency === which.currency)
    .sort((a, b) => cmp(a.accountingDate, b.accountingDate) || cmp(a.entryId, b.entryId));
  let balance = opening;
  let debit = 0n;
  let credit = 0n;
  const out = own.map((l): ActivityLine => {
    const d = l.side === 'debit' ? l.amount : 0n;
    const c = l.side === 'credit' ? l.amount : 0n;
    debit += d;
    credit += c;
    balance += d - c;
    const { entryId, accountingDate, periodId, costCenter } = l;
    return { entryId, accountingDate, periodId, costCenter, debit: d, credit: c, balance };
  });
  return { ...which, opening, lines: out, debit, credit, closing: balance };
}

export interface IntercompanyMismatch {
  readonly entity: string;
  readonly counterparty: string;
  readonly currency: string;
  /** Debit-positive net of `entity`'s intercompany accounts towards `counterparty`. */
  readonly net: MinorUnits;
  /** The same, seen from `counterparty` towards `entity`; should be `-net`. */
  readonly counterNet: MinorUnits;
}

/**
 * Pairs of entities whose intercompany balances do not mirror each other: what A says B owes it must be
 * what B says it owes A. Each pair is reported once (from the entity whose code sorts first).
 */
export function intercompanyMismatches(
  lines: Iterable<PostedLine>,
  ctx: LedgerContext,
): IntercompanyMismatch[] {
  const nets = new Map<string, MinorUnits>();
  for (const l of lines) {
    const counterparty = ctx.accounts.get(l.account)?.counterpartyEntityCode ?? null;
    if (counterparty === null) continue;
    const k = `${l.entity}\u0000${counterparty}\u0000${l.currency}`;
    nets.set(k, (nets.get(k) ?? 0n) + (l.side === 'debit' ? l.amount : -l.amount));
  }
  const out: IntercompanyMismatch[] = [];
  const seen = new Set<string>();
  for (const k of [...nets.keys()].sort()) {
    const [entity = '', counterparty = '', currency = ''] = k.split('\u0000');
    const [a, b] = entity < counterparty ? [entity, counterparty] : [counterparty, entity];
    const pair = `${a}\u0000${b}\u0000${currency}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    const net = nets.get(`${a}\u0000${b}\u0000${currency}`) ?? 0n;
    const counterNet = nets.get(`${b}\u0000${a}\u0000${currency}`) ?? 0n;
    if (net + counterNet !== 0n) out.push({ entity: a, counterparty: b, currency, net, counterNet });
  }
  return out;
}
