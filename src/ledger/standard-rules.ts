/**
 * The standard posting rules, shared by all entities. A mapping release starts from these and adds
 * entity or category overrides. Choices a controller may want to change are noted beside the rule.
 */

import type { AccountRole } from './model.ts';
import {
  createRuleTable,
  type PostingEventType,
  type PostingRule,
  type RuleSide,
  type RuleTable,
} from './rules.ts';

/** Categories that are implants when stocked (used from inventory, not bill-only): implant expense. */
export const IMPLANT_CATEGORIES = [
  'coronary-stent',
  'orthopedic-implant',
  'cardiac-device',
  'intraocular-lens',
];
export const PHARMACY_CATEGORY = 'pharmacy';

const role = (r: AccountRole, costCenter: RuleSide['costCenter']): RuleSide => ({
  account: { role: r },
  costCenter,
});
const revenue: RuleSide = {
  account: { role: 'gross-revenue', by: 'revenue-code-family' },
  costCenter: 'event',
};

function oneLeg(
  eventType: PostingEventType,
  itemCategory: string,
  description: string,
  debit: RuleSide,
  credit: RuleSide,
  reasonCode: PostingRule['reasonCode'] = eventType as PostingRule['reasonCode'],
): PostingRule {
  return {
    id: `std/${eventType}/${itemCategory === '*' ? 'default' : itemCategory}`,
    eventType,
    entity: '*',
    itemCategory,
    reasonCode,
    description,
    legs: [{ book: 'entity', debit, credit }],
  };
}

/** Expense and stock accounts of an item category. */
function supplyAccounts(category: string): { expense: AccountRole; stock: AccountRole } {
  if (category === PHARMACY_CATEGORY) return { expense: 'drug-expense', stock: 'pharmacy-inventory' };
  if (IMPLANT_CATEGORIES.includes(category)) return { expense: 'implant-expense', stock: 'inventory' };
  return { expense: 'supply-expense', stock: 'inventory' };
}

function supplyRules(category: string): PostingRule[] {
  const { expense, stock } = supplyAccounts(category);
  const stockOnly = category === '*' || category === PHARMACY_CATEGORY;
  const rules = [
    // Dr expense at the consuming cost center / Cr inventory at the issuing par location's cost center.
    oneLeg('supply-used', category, 'Supply used', role(expense, 'event'), role(stock, 'stock')),
    // Waste is expensed like use; the reason code keeps it apart for reporting. An entity that books
    // waste to variance overrides this rule with `inventory-variance`.
    oneLeg('supply-wasted', category, 'Supply wasted', role(expense, 'event'), role(stock, 'stock')),
    oneLeg(
      'supply-returned',
      category,
      'Supply returned to stock',
      role(stock, 'stock'),
      role(expense, 'event'),
    ),
  ];
  if (stockOnly) {
    rules.push(
      oneLeg('stock-received', category, 'Stock received', role(stock, 'stock'), role('grni', 'none')),
      oneLeg(
        'count-variance-loss',
        category,
        'Count variance (shrink)',
        role('inventory-variance', 'stock'),
        role(stock, 'stock'),
        'count-variance',
      ),
      oneLeg(
        'count-variance-gain',
        category,
        'Count variance (overage)',
        role(stock, 'stock'),
        role('inventory-variance', 'stock'),
        'count-variance',
      ),
      {
        id: `std/stock-transferred/${category === '*' ? 'default' : category}`,
        eventType: 'stock-transferred',
        entity: '*',
        itemCategory: category,
        reasonCode: 'intercompany-transfer',
        description: 'Intercompany stock transfer',
        legs: [
          // Issuing entity: the receiver owes us the cost of the stock that left.
          {
            book: 'entity',
            debit: { account: { intercompany: 'due-from' }, costCenter: 'none' },
            credit: role(stock, 'stock'),
          },
          // Receiving entity: the stock arrives, and we owe the issuer.
          {
            book: 'counterparty',
            debit: role(stock, 'stock'),
            credit: { account: { intercompany: 'due-to' }, costCenter: 'none' },
          },
        ],
      },
    );
  }
  return rules;
}

export const STANDARD_RULES: readonly PostingRule[] = [
  ...supplyRules('*'),
  ...supplyRules(PHARMACY_CATEGORY),
  ...IMPLANT_CATEGORIES.flatMap(supplyRules),
  // Bill-only / consignment: nothing leaves our stock; the expense is accrued until the vendor invoices
  // against the bill-only requisition.
  oneLeg(
    'implant-used-bill-only',
    '*',
    'Bill-only implant used',
    role('implant-expense', 'event'),
    role('ap-accrual', 'none'),
  ),
  // Charges go to unbilled charge clearing, not patient AR: the claim is produced downstream by patient
  // accounting. An entity whose charges are final at posting overrides the debit to `patient-ar`.
  oneLeg('charge-posted', '*', 'Charge posted', role('charge-clearing', 'none'), revenue),
  oneLeg('charge-credited', '*', 'Charge credited', revenue, role('charge-clearing', 'none')),
  oneLeg(
    'labor-recorded',
    '*',
    'Labor recorded',
    role('labor-expense', 'event'),
    role('accrued-payroll', 'none'),
  ),
];

export function standardRuleTable(): RuleTable {
  return createRuleTable(STANDARD_RULES);
}
