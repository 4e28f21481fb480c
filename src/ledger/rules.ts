/**
 * Account determination: a declarative table of posting rules keyed by event type × entity × item
 * category. A rule names accounts by role (or by number) and says where each side's cost center comes
 * from; it never carries amounts. Each rule has one leg per entry it produces: one for most events, two
 * for an intercompany transfer (one in each entity's books).
 *
 * Lookup takes the most specific rule: (entity, category), then (entity, *), then (*, category), then
 * (*, *). An entity's override therefore beats a category rule of the shared table, which is what a
 * controller expects when they configure "HRSC books all supplies to X".
 */

import { CrosswalkError } from '../errors/index.ts';
import { accountOf, accountsWithRole, entityOf, intercompanyOf, type LedgerContext } from './context.ts';
import type { Account, AccountRole, ReasonCode } from './model.ts';

export const POSTING_EVENT_TYPES = [
  'supply-used',
  'supply-wasted',
  'supply-returned',
  'implant-used-bill-only',
  'charge-posted',
  'charge-credited',
  'stock-received',
  'count-variance-loss',
  'count-variance-gain',
  'stock-transferred',
  'labor-recorded',
] as const;
export type PostingEventType = (typeof POSTING_EVENT_TYPES)[number];

export type AccountSelector =
  /** A fixed account number. */
  | { readonly account: string }
  /** The one account of the chart with this role. */
  | { readonly role: AccountRole }
  /** The gross-revenue account of the event's UB-04 revenue code family (first three digits). */
  | { readonly role: 'gross-revenue'; readonly by: 'revenue-code-family' }
  /** The book's due-from / due-to account towards the other entity of the transaction. */
  | { readonly intercompany: 'due-from' | 'due-to' };

/**
 * `event`: the cost center the event names (consuming department, revenue department, cost center
 * worked). `stock`: the cost center of the par location holding the stock, in the leg's book. `none`:
 * balance-sheet lines that carry no cost center.
 */
export type CostCenterSource = 'event' | 'stock' | 'none';

export interface RuleSide {
  readonly account: AccountSelector;
  readonly costCenter: CostCenterSource;
}

export interface RuleLeg {
  /** Whose books the entry goes to: the event's entity or the counterparty of a transfer. */
  readonly book: 'entity' | 'counterparty';
  readonly debit: RuleSide;
  readonly credit: RuleSide;
}

export interface PostingRule {
  /** Stable: part of every derived entry's id. Changing it changes the ids a replay produces. */
  readonly id: string;
  readonly eventType: PostingEventType;
  /** An entity code or `*`. */
  readonly entity: string;
  /** An item category or `*` (events without an item, like labor, match only `*`). */
  readonly itemCategory: string;
  readonly reasonCode: ReasonCode;
  /** Entry description; PHI-free by construction since it is rule text. */
  readonly description: string;
  readonly legs: readonly RuleLeg[];
}

export interface RuleTable {
  readonly rules: readonly PostingRule[];
  readonly byKey: ReadonlyMap<string, PostingRule>;
}

/** What account determination needs to know about an event: codes only, no amounts, no patient data. */
export interface RuleInput {
  readonly eventType: PostingEventType;
  readonly entity: string;
  readonly itemCategory?: string | null;
  /** UB-04 revenue code, 4 digits, e.g. `0272`. */
  readonly revenueCode?: string | null;
  /** The other entity of a transfer. */
  readonly counterparty?: string | null;
  /** The event's cost center in `entity`. */
  readonly costCenter?: string | null;
  /** The cost center of the par location holding the stock, in `entity`. */
  readonly stockCostCenter?: string | null;
  /** For transfers: the receiving par location's cost center, in `counterparty`. */
  readonly counterpartyStockCostCenter?: string | null;
}

export interface DeterminedSide {
  readonly account: string;
  readonly costCenter: string | null;
}

export interface DeterminedLeg {
  /** The entity whose books this leg's entry goes to. */
  readonly entity: string;
  readonly debit: DeterminedSide;
  readonly credit: DeterminedSide;
}

export interface Determination {
  readonly rule: PostingRule;
  readonly legs: readonly DeterminedLeg[];
}

const key = (eventType: string, entity: string, category: string): string =>
  `${eventType}|${entity}|${category}`;

function badRules(reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_LEDGER_BAD_RULES', { reason });
}

/** Indexes and checks a rule table: unique ids, one rule per key, legs that make sense. */
export function createRuleTable(rules: readonly PostingRule[]): RuleTable {
  const ids = new Set<string>();
  const byKey = new Map<string, PostingRule>();
  for (const r of rules) {
    if (r.id.length === 0) throw badRules('a rule has an empty id');
    if (ids.has(r.id)) throw badRules(`rule id ${r.id} appears twice`);
    ids.add(r.id);
    if (!(POSTING_EVENT_TYPES as readonly string[]).includes(r.eventType)) {
      throw badRules(`rule ${r.id} has unknown event type ${r.eventType}`);
    }
    const k = key(r.eventType, r.entity, r.itemCategory);
    const clash = byKey.get(k);
    if (clash) throw badRules(`rules ${clash.id} and ${r.id} match the same event type, entity and category`);
    byKey.set(k, r);
    if (r.legs.length === 0) throw badRules(`rule ${r.id} has no legs`);
    for (const leg of r.legs) {
      for (const side of [leg.debit, leg.credit]) {
        if (leg.book === 'counterparty' && side.costCenter === 'event') {
          throw badRules(`rule ${r.id}: the event's cost center belongs to the entity, not the counterparty`);
        }
      }
    }
  }
  return Object.freeze({ rules: Object.freeze([...rules]), byKey });
}

/** The rule an input matches, or `undefined`. */
export function findRule(input: RuleInput, table: RuleTable): PostingRule | undefined {
  const cat = input.itemCategory ?? '*';
  return (
    table.byKey.get(key(input.eventType, input.entity, cat)) ??
    table.byKey.get(key(input.eventType, input.entity, '*')) ??
    table.byKey.get(key(input.eventType, '*', cat)) ??
    table.byKey.get(key(input.eventType, '*', '*'))
  );
}

function describe(selector: AccountSelector): string {
  if ('account' in selector) return `account ${selector.account}`;
  if ('intercompany' in selector) return `intercompany ${selector.intercompany}`;
  return 'by' in selector ? `role ${selector.role} by ${selector.by}` : `role ${selector.role}`;
}

function noAccount(rule: PostingRule, selector: AccountSelector, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_LEDGER_NO_ACCOUNT', {
    rule: rule.id,
    selector: describe(selector),
    reason,
  });
}

function missing(rule: PostingRule, input: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_LEDGER_MISSING_INPUT', { rule: rule.id, input });
}

function single(rule: PostingRule, selector: AccountSelector, found: Account[], what: string): Account {
  if (found.length === 1) return found[0]!;
  throw noAccount(rule, selector, `${found.length} accounts have ${what}`);
}

function resolveAccount(
  rule: PostingRule,
  selector: AccountSelector,
  book: string,
  other: string | null,
  input: RuleInput,
  ctx: LedgerContext,
): string {
  if ('account' in selector) return accountOf(ctx, selector.account).code;
  if ('intercompany' in selector) {
    if (other === null) throw missing(rule, 'counterparty');
    const rel = intercompanyOf(ctx, book, other);
    return selector.intercompany === 'due-from' ? rel.dueFromAccountCode : rel.dueToAccountCode;
  }
  if ('by' in selector) {
    const code = input.revenueCode;
    if (code == null) throw missing(rule, 'revenue code');
    if (!/^\d{4}$/.test(code))
      throw noAccount(rule, selector, `revenue code ${code} is not a 4-digit UB-04 code`);
    const family = code.slice(0, 3);
    const found = accountsWithRole(ctx, selector.role).filter((a) => a.revenueCodeFamily === family);
    return single(rule, selector, found, `role ${selector.role} and revenue code family ${family}`).code;
  }
  return single(rule, selector, accountsWithRole(ctx, selector.role), `role ${selector.role}`).code;
}

function resolveCostCenter(rule: PostingRule, source: CostCenterSource, inBook: boolean, input: RuleInput) {
  if (source === 'none') return null;
  if (source === 'event') {
    if (input.costCenter == null) throw missing(rule, 'cost center');
    return input.costCenter;
  }
  const cc = inBook ? input.stockCostCenter : input.counterpartyStockCostCenter;
  if (cc == null) throw missing(rule, inBook ? 'stock cost center' : 'counterparty stock cost center');
  return cc;
}

/**
 * The accounts and cost centers an event posts to, per leg, or a typed error: CW_ERR_LEDGER_NO_RULE
 * naming the unmatched combination, CW_ERR_LEDGER_NO_ACCOUNT when the chart has no (or no single)
 * account for a selector, CW_ERR_LEDGER_MISSING_INPUT when the event lacks a code the rule needs.
 * Whether the accounts take postings for the entity is checked when the entry is built.
 */
export function determineAccounts(input: RuleInput, table: RuleTable, ctx: LedgerContext): Determination {
  // Pure in (input, table, ctx), and a feed repeats a few hundred combinations: kept per table and chart.
  // A batch asks with one table and one chart throughout, so the last pair's memo is kept at hand.
  let memo: Map<string, Determination> | undefined;
  if (last !== null && last.table === table && last.ctx === ctx) memo = last.memo;
  else {
    let perCtx = determined.get(table);
    if (perCtx === undefined) {
      perCtx = new WeakMap();
      determined.set(table, perCtx);
    }
    memo = perCtx.get(ctx);
    if (memo === undefined) {
      memo = new Map();
      perCtx.set(ctx, memo);
    }
    last = { table, ctx, memo };
  }
  const k = `${input.eventType}\u0000${input.entity}\u0000${input.itemCategory ?? ''}\u0000${input.revenueCode ?? ''}\u0000${input.counterparty ?? ''}\u0000${input.costCenter ?? ''}\u0000${input.stockCostCenter ?? ''}\u0000${input.counterpartyStockCostCenter ?? ''}`;
  const hit = memo.get(k);
  if (hit !== undefined) return hit;
  const d = determine(input, table, ctx);
  if (memo.size >= 20_000) memo.clear();
  memo.set(k, d);
  return d;
}

const determined = new WeakMap<RuleTable, WeakMap<LedgerContext, Map<string, Determination>>>();
let last: { table: RuleTable; ctx: LedgerContext; memo: Map<string, Determination> } | null = null;

function determine(input: RuleInput, table: RuleTable, ctx: LedgerContext): Determination {
  entityOf(ctx, input.entity);
  if (input.counterparty != null) entityOf(ctx, input.counterparty);
  const rule = findRule(input, table);
  if (!rule) {
    throw new CrosswalkError('CW_ERR_LEDGER_NO_RULE', {
      eventType: input.eventType,
      entity: input.entity,
      category: input.itemCategory ?? '(none)',
    });
  }
  const legs = rule.legs.map((leg): DeterminedLeg => {
    let book = input.entity;
    let other = input.counterparty ?? null;
    if (leg.book === 'counterparty') {
      if (input.counterparty == null) throw missing(rule, 'counterparty');
      book = input.counterparty;
      other = input.entity;
    }
    const inBook = leg.book === 'entity';
    const side = (s: RuleSide): DeterminedSide => ({
      account: resolveAccount(rule, s.account, book, other, input, ctx),
      costCenter: resolveCostCenter(rule, s.costCenter, inBook, input),
    });
    return { entity: book, debit: side(leg.debit), credit: side(leg.credit) };
  });
  return { rule, legs };
}

/**
 * Checks that every role and account a table names resolves in this chart (role selectors to exactly
 * one account). Run it when a mapping release is proposed, so a bad table fails before any event does.
 */
export function checkRulesAgainstChart(table: RuleTable, ctx: LedgerContext): void {
  for (const r of table.rules) {
    if (r.entity !== '*') entityOf(ctx, r.entity);
    for (const leg of r.legs) {
      for (const { account: s } of [leg.debit, leg.credit]) {
        if ('account' in s) {
          if (!ctx.accounts.has(s.account)) throw badRules(`rule ${r.id} names unknown account ${s.account}`);
        } else if ('role' in s) {
          const n = accountsWithRole(ctx, s.role).length;
          if ('by' in s ? n === 0 : n !== 1) {
            throw badRules(`rule ${r.id}: ${n} accounts have role ${s.role}`);
          }
        }
      }
    }
  }
}
