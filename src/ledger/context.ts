/**
 * The master data the ledger books against (entities, chart, cost centers, intercompany relationships,
 * currencies), validated once and indexed. Immutable: when master data changes the caller builds a new
 * context, so a batch is booked against one consistent picture.
 */

import { CrosswalkError } from '../errors/index.ts';
import type {
  Account,
  AccountRole,
  CostCenterRef,
  Currency,
  IntercompanyRelationship,
  LegalEntity,
} from './model.ts';
import { assertScale, DEFAULT_CURRENCIES } from './money.ts';

export interface LedgerSetup {
  readonly entities: readonly LegalEntity[];
  readonly accounts: readonly Account[];
  readonly costCenters: readonly CostCenterRef[];
  readonly intercompany: readonly IntercompanyRelationship[];
  /** Default: `DEFAULT_CURRENCIES` (USD at scale 2). */
  readonly currencies?: readonly Currency[];
  /**
   * Expense and revenue lines must name a cost center (default true): a P&L amount without one cannot be
   * allocated and would surface only at the ERP.
   */
  readonly costCenterRequiredOnPnl?: boolean;
}

export interface LedgerContext {
  readonly entities: ReadonlyMap<string, LegalEntity>;
  readonly accounts: ReadonlyMap<string, Account>;
  readonly costCenters: ReadonlyMap<string, CostCenterRef>;
  readonly currencies: ReadonlyMap<string, Currency>;
  /** Keyed `entity>counterparty`. */
  readonly intercompany: ReadonlyMap<string, IntercompanyRelationship>;
  readonly costCenterRequiredOnPnl: boolean;
}

function setupError(reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_LEDGER_BAD_SETUP', { reason });
}

function index<T>(rows: readonly T[], key: (row: T) => string, what: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    if (k.length === 0) throw setupError(`a ${what} has an empty code`);
    if (map.has(k)) throw setupError(`${what} ${k} appears twice`);
    map.set(k, row);
  }
  return map;
}

export function createLedgerContext(setup: LedgerSetup): LedgerContext {
  const currencies = index(setup.currencies ?? DEFAULT_CURRENCIES, (c) => c.code, 'currency');
  for (const c of currencies.values()) assertScale(c.scale, c.code);
  const entities = index(setup.entities, (e) => e.code, 'entity');
  for (const e of entities.values()) {
    if (!currencies.has(e.currency))
      throw setupError(`entity ${e.code} books in unknown currency ${e.currency}`);
  }
  const accounts = index(setup.accounts, (a) => a.code, 'account');
  for (const a of accounts.values()) {
    if (a.counterpartyEntityCode !== null && !entities.has(a.counterpartyEntityCode)) {
      throw setupError(`account ${a.code} names unknown counterparty ${a.counterpartyEntityCode}`);
    }
  }
  const costCenters = index(setup.costCenters, (c) => c.code, 'cost center');
  for (const c of costCenters.values()) {
    if (!entities.has(c.entityCode))
      throw setupError(`cost center ${c.code} names unknown entity ${c.entityCode}`);
  }
  const intercompany = index(
    setup.intercompany,
    (r) => `${r.entityCode}>${r.counterpartyEntityCode}`,
    'intercompany relationship',
  );
  for (const r of intercompany.values()) {
    const name = `${r.entityCode}>${r.counterpartyEntityCode}`;
    if (!entities.has(r.entityCode) || !entities.has(r.counterpartyEntityCode)) {
      throw setupError(`intercompany relationship ${name} names an unknown entity`);
    }
    if (r.entityCode === r.counterpartyEntityCode)
      throw setupError(`intercompany relationship ${name} is with itself`);
    for (const code of [r.dueFromAccountCode, r.dueToAccountCode]) {
      const a = accounts.get(code);
      if (!a) throw setupError(`intercompany relationship ${name} uses unknown account ${code}`);
      if (a.counterpartyEntityCode !== null && a.counterpartyEntityCode !== r.counterpartyEntityCode) {
        throw setupError(`intercompany relationship ${name} uses account ${code} of another counterparty`);
      }
    }
  }
  return Object.freeze({
    entities,
    accounts,
    costCenters,
    currencies,
    intercompany,
    costCenterRequiredOnPnl: setup.costCenterRequiredOnPnl ?? true,
  });
}

export function entityOf(ctx: LedgerContext, code: string): LegalEntity {
  const e = ctx.entities.get(code);
  if (!e) throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_ENTITY', { entity: code });
  return e;
}

export function currencyOf(ctx: LedgerContext, code: string): Currency {
  const c = ctx.currencies.get(code);
  if (!c) throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_CURRENCY', { currency: code });
  return c;
}

export function accountOf(ctx: LedgerContext, code: string): Account {
  const a = ctx.accounts.get(code);
  if (!a) throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_ACCOUNT', { account: code });
  return a;
}

/** The cost center, which must exist and belong to `entity`. */
export function costCenterOf(ctx: LedgerContext, code: string, entity: string): CostCenterRef {
  const c = ctx.costCenters.get(code);
  if (!c || c.entityCode !== entity) {
    throw new CrosswalkError('CW_ERR_LEDGER_UNKNOWN_COST_CENTER', { costCenter: code, entity });
  }
  return c;
}

export function intercompanyOf(
  ctx: LedgerContext,
  entity: string,
  counterparty: string,
): IntercompanyRelationship {
  const r = ctx.intercompany.get(`${entity}>${counterparty}`);
  if (!r) throw new CrosswalkError('CW_ERR_LEDGER_NO_INTERCOMPANY', { entity, counterparty });
  return r;
}

/**
 * The account, checked to take postings in `entity`'s books: known, not a summary account, and, if it is
 * an intercompany account, towards another entity with which a relationship exists.
 */
export function postableAccount(ctx: LedgerContext, entity: string, code: string): Account {
  const a = accountOf(ctx, code);
  if (a.postable === false) {
    throw new CrosswalkError('CW_ERR_LEDGER_NOT_POSTABLE', {
      account: code,
      entity,
      reason: 'summary account',
    });
  }
  if (a.counterpartyEntityCode !== null) {
    if (a.counterpartyEntityCode === entity) {
      throw new CrosswalkError('CW_ERR_LEDGER_NOT_POSTABLE', {
        account: code,
        entity,
        reason: 'intercompany account towards the entity itself',
      });
    }
    intercompanyOf(ctx, entity, a.counterpartyEntityCode);
  }
  return a;
}

const byRole = new WeakMap<LedgerContext, Map<AccountRole, Account[]>>();

/** The chart's accounts with a role (a context is immutable, so the answer is kept per context). */
export function accountsWithRole(ctx: LedgerContext, role: AccountRole): Account[] {
  let roles = byRole.get(ctx);
  if (roles === undefined) {
    roles = new Map();
    byRole.set(ctx, roles);
  }
  let found = roles.get(role);
  if (found === undefined) {
    found = [...ctx.accounts.values()].filter((a) => a.role === role);
    roles.set(role, found);
  }
  return [...found];
}
