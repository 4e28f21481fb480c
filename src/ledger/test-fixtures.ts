/**
 * Shared test setup: the ledger context built from the demo health system's master data (three
 * entities, the shared chart, cost centers, intercompany relationships) and monthly periods. Test-only;
 * the ledger itself does not import the demo.
 */

import fc from 'fast-check';
import { generateDemoHealthSystem } from '../demo/index.ts';
import { createLedgerContext, type LedgerContext } from './context.ts';
import type { PostingEvent } from './journalize.ts';
import type { FiscalPeriod } from './model.ts';
import { monthlyPeriods } from './periods.ts';
import { POSTING_EVENT_TYPES, type RuleTable } from './rules.ts';
import { IMPLANT_CATEGORIES, PHARMACY_CATEGORY, standardRuleTable } from './standard-rules.ts';

export const demo = generateDemoHealthSystem({ seed: 7 });

export const ctx: LedgerContext = createLedgerContext({
  entities: demo.entities,
  accounts: demo.accounts,
  costCenters: demo.costCenters,
  intercompany: demo.intercompanyRelationships,
});

export const rules: RuleTable = standardRuleTable();

export const ENTITIES = demo.entities.map((e) => e.code);

/** Oct 2026 closed, Nov and Dec open, for every entity. */
export function periods(): FiscalPeriod[] {
  return ENTITIES.flatMap((e) => [
    ...monthlyPeriods(e, '2026-10', 1, 'closed'),
    ...monthlyPeriods(e, '2026-11', 2, 'open'),
  ]);
}

export const POSTED_AT = '2026-11-15T12:00:00.000Z';

/** A cost center of the entity whose number is given, e.g. `costCenter('HRMC', '6410')`. */
export function costCenter(entity: string, number: string): string {
  const c = demo.costCenters.find((x) => x.entityCode === entity && x.number === number);
  if (!c) throw new Error(`fixture: no cost center ${entity}-${number}`);
  return c.code;
}

// --- random posting events (for property tests and the hledger check) --------------------------

const CATEGORIES = [
  'suture',
  'glove',
  'catheter',
  'surgical-disposable',
  PHARMACY_CATEGORY,
  ...IMPLANT_CATEGORIES,
];
const REVENUE_CODES = [
  '0120',
  '0200',
  '0250',
  '0272',
  '0278',
  '0360',
  '0450',
  '0481',
  '0490',
  '0636',
  '0710',
];
const DATES = [
  '2026-10-03',
  '2026-10-31',
  '2026-11-01',
  '2026-11-17',
  '2026-11-30',
  '2026-12-09',
  '2026-12-31',
];
const ccOf = (entity: string) => demo.costCenters.filter((c) => c.entityCode === entity).map((c) => c.code);

type Draft = Omit<PostingEvent, 'sourceEventId'>;

const anEvent = (amount: fc.Arbitrary<bigint>): fc.Arbitrary<Draft> =>
  fc
    .record({
      eventType: fc.constantFrom(...POSTING_EVENT_TYPES),
      entity: fc.constantFrom(...ENTITIES),
      other: fc.nat(),
      category: fc.constantFrom(...CATEGORIES),
      revenueCode: fc.constantFrom(...REVENUE_CODES),
      cc: fc.nat(),
      stock: fc.nat(),
      otherStock: fc.nat(),
      date: fc.constantFrom(...DATES),
      amount,
    })
    .map((r): Draft => {
      const others = ENTITIES.filter((e) => e !== r.entity);
      const counterparty = others[r.other % others.length]!;
      const own = ccOf(r.entity);
      const theirs = ccOf(counterparty);
      const noItem = r.eventType === 'labor-recorded' || r.eventType.startsWith('charge-');
      return {
        eventType: r.eventType,
        entity: r.entity,
        itemCategory: noItem ? null : r.category,
        revenueCode: r.eventType.startsWith('charge-') ? r.revenueCode : null,
        costCenter: own[r.cc % own.length]!,
        stockCostCenter: own[r.stock % own.length]!,
        counterparty: r.eventType === 'stock-transferred' ? counterparty : null,
        counterpartyStockCostCenter: theirs[r.otherStock % theirs.length]!,
        effectiveDate: r.date,
        postedAt: POSTED_AT,
        amount: r.amount,
      };
    });

export const sequence = (amount: fc.Arbitrary<bigint>) =>
  fc
    .array(anEvent(amount), { minLength: 1, maxLength: 25 })
    .map((drafts) => drafts.map((d, i): PostingEvent => ({ ...d, sourceEventId: `evt-${i}` })));
