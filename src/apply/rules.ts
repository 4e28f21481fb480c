import type { EventType } from '../canonical/index.ts';
import {
  type AccountRole,
  createRuleTable,
  type PostingEventType,
  type PostingRule,
  type RuleSide,
  type RuleTable,
  STANDARD_RULES,
} from '../ledger/index.ts';
import type { MappingRelease } from '../mapping/index.ts';

/** Canonical event types that post to the ledger, and the ledger's name for each. */
export const POSTING_TYPE: Partial<Record<EventType, PostingEventType>> = {
  SupplyUsed: 'supply-used',
  SupplyWasted: 'supply-wasted',
  SupplyReturned: 'supply-returned',
  ImplantUsed: 'implant-used-bill-only',
  ChargePosted: 'charge-posted',
  ChargeCredited: 'charge-credited',
};

const STOCK_ROLES = new Set(['inventory', 'pharmacy-inventory']);
const EVENT_ROLES = new Set([
  'supply-expense',
  'implant-expense',
  'drug-expense',
  'labor-expense',
  'benefits-expense',
  'inventory-variance',
  'gross-revenue',
  'contractual-allowance',
]);

function side(role: string): RuleSide {
  const costCenter = STOCK_ROLES.has(role) ? 'stock' : EVENT_ROLES.has(role) ? 'event' : 'none';
  if (role === 'gross-revenue')
    return { account: { role: 'gross-revenue', by: 'revenue-code-family' }, costCenter };
  return { account: { role: role as AccountRole }, costCenter };
}

/**
 * The rule table a release posts with: the standard rules, overridden by the release's account
 * determination rows (event type × entity × item category → debit and credit roles). A row keeps the
 * id of the rule it replaces, so a candidate release that changes one mapping changes the accounts of
 * the affected lines, not the ids of every entry; that is what makes replay's diff line by line.
 */
export function rulesFromRelease(release: MappingRelease): RuleTable {
  const byKey = new Map<string, PostingRule>();
  const key = (r: Pick<PostingRule, 'eventType' | 'entity' | 'itemCategory'>) =>
    `${r.eventType}|${r.entity}|${r.itemCategory}`;
  for (const r of STANDARD_RULES) byKey.set(key(r), r);
  for (const row of release.content.accountDetermination) {
    const eventType = POSTING_TYPE[row.eventType as EventType];
    if (!eventType) continue;
    const base = { eventType, entity: row.entityCode, itemCategory: row.itemCategory };
    const standard = byKey.get(key(base));
    byKey.set(key(base), {
      ...base,
      id: standard?.id ?? `release/${eventType}/${row.entityCode}/${row.itemCategory}`,
      reasonCode: standard?.reasonCode ?? (eventType as PostingRule['reasonCode']),
      description: standard?.description ?? `${row.eventType} (${row.itemCategory})`,
      legs: [{ book: 'entity', debit: side(row.debitRole), credit: side(row.creditRole) }],
    });
  }
  return createRuleTable([...byKey.values()]);
}
