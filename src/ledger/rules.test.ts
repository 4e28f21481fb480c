import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError, type ErrorCode } from '../errors/index.ts';
import {
  checkRulesAgainstChart,
  createRuleTable,
  determineAccounts,
  POSTING_EVENT_TYPES,
  type PostingRule,
  type RuleInput,
} from './rules.ts';
import { STANDARD_RULES } from './standard-rules.ts';
import { costCenter, ctx, rules } from './test-fixtures.ts';

const code = (c: ErrorCode) => (e: unknown) => e instanceof CrosswalkError && e.code === c;
const SURG = costCenter('HRMC', '6410');
const MM = costCenter('HRMC', '8410');
const WMM = costCenter('WCCH', '8410');
const base = { entity: 'HRMC', costCenter: SURG, stockCostCenter: MM } as const;

type Row = readonly [account: string, costCenter: string | null];
/** [input, expected legs as [entity, debit, credit]] for every standard rule family. */
const CASES: readonly (readonly [RuleInput, readonly (readonly [string, Row, Row])[]])[] = [
  [{ ...base, eventType: 'supply-used', itemCategory: 'suture' }, [['HRMC', ['6200', SURG], ['1300', MM]]]],
  [{ ...base, eventType: 'supply-used', itemCategory: 'pharmacy' }, [['HRMC', ['6220', SURG], ['1310', MM]]]],
  [
    { ...base, eventType: 'supply-used', itemCategory: 'coronary-stent' },
    [['HRMC', ['6210', SURG], ['1300', MM]]],
  ],
  [{ ...base, eventType: 'supply-wasted', itemCategory: 'glove' }, [['HRMC', ['6200', SURG], ['1300', MM]]]],
  [
    { ...base, eventType: 'supply-returned', itemCategory: 'glove' },
    [['HRMC', ['1300', MM], ['6200', SURG]]],
  ],
  [
    { ...base, eventType: 'supply-returned', itemCategory: 'orthopedic-implant' },
    [['HRMC', ['1300', MM], ['6210', SURG]]],
  ],
  [
    { ...base, eventType: 'implant-used-bill-only', itemCategory: 'orthopedic-implant' },
    [['HRMC', ['6210', SURG], ['2020', null]]],
  ],
  [{ ...base, eventType: 'charge-posted', revenueCode: '0272' }, [['HRMC', ['1210', null], ['4040', SURG]]]],
  [{ ...base, eventType: 'charge-posted', revenueCode: '0360' }, [['HRMC', ['1210', null], ['4050', SURG]]]],
  [
    { ...base, eventType: 'charge-credited', revenueCode: '0272' },
    [['HRMC', ['4040', SURG], ['1210', null]]],
  ],
  [{ ...base, eventType: 'stock-received', itemCategory: 'drape' }, [['HRMC', ['1300', MM], ['2010', null]]]],
  [
    { ...base, eventType: 'stock-received', itemCategory: 'pharmacy' },
    [['HRMC', ['1310', MM], ['2010', null]]],
  ],
  [
    { ...base, eventType: 'count-variance-loss', itemCategory: 'drape' },
    [['HRMC', ['6290', MM], ['1300', MM]]],
  ],
  [
    { ...base, eventType: 'count-variance-gain', itemCategory: 'drape' },
    [['HRMC', ['1300', MM], ['6290', MM]]],
  ],
  [
    {
      ...base,
      eventType: 'stock-transferred',
      itemCategory: 'suture',
      counterparty: 'WCCH',
      counterpartyStockCostCenter: WMM,
    },
    [
      ['HRMC', ['1410-WCCH', null], ['1300', MM]],
      ['WCCH', ['1300', WMM], ['2410-HRMC', null]],
    ],
  ],
  [{ ...base, eventType: 'labor-recorded' }, [['HRMC', ['6100', SURG], ['2100', null]]]],
];

test('the standard rules determine the expected accounts and cost centers for every event type', () => {
  const covered = new Set<string>();
  for (const [input, expected] of CASES) {
    const d = determineAccounts(input, rules, ctx);
    covered.add(input.eventType);
    assert.deepEqual(
      d.legs.map((l) => [
        l.entity,
        [l.debit.account, l.debit.costCenter],
        [l.credit.account, l.credit.costCenter],
      ]),
      expected,
      `${input.eventType}/${input.itemCategory ?? ''}`,
    );
  }
  assert.deepEqual([...covered].sort(), [...POSTING_EVENT_TYPES].sort());
});

test('the standard table resolves against the demo chart', () => {
  assert.doesNotThrow(() => checkRulesAgainstChart(rules, ctx));
});

test('no rule for a combination is CW_ERR_LEDGER_NO_RULE naming it', () => {
  const only = createRuleTable(STANDARD_RULES.filter((r) => r.eventType !== 'labor-recorded'));
  assert.throws(
    () => determineAccounts({ ...base, eventType: 'labor-recorded' }, only, ctx),
    (e: unknown) =>
      e instanceof CrosswalkError &&
      e.code === 'CW_ERR_LEDGER_NO_RULE' &&
      e.message === 'no posting rule for event labor-recorded, entity HRMC, item category (none)',
  );
  const scoped = createRuleTable([
    { ...STANDARD_RULES[0]!, id: 'x', entity: 'HRMC', itemCategory: 'suture' },
  ]);
  assert.throws(
    () => determineAccounts({ ...base, eventType: 'supply-used', itemCategory: 'glove' }, scoped, ctx),
    (e: unknown) =>
      e instanceof CrosswalkError && e.code === 'CW_ERR_LEDGER_NO_RULE' && /glove/.test(e.message),
  );
});

test('the most specific rule wins: entity + category, entity, category, default', () => {
  const std = STANDARD_RULES.find((r) => r.id === 'std/supply-used/default')!;
  const toVariance = (r: PostingRule): PostingRule => ({
    ...r,
    legs: [{ ...r.legs[0]!, debit: { account: { account: '6290' }, costCenter: 'event' } }],
  });
  const table = createRuleTable([
    ...STANDARD_RULES,
    toVariance({ ...std, id: 'hrsc/all', entity: 'HRSC' }),
    toVariance({ ...std, id: 'hrmc/glove', entity: 'HRMC', itemCategory: 'glove' }),
  ]);
  const pick = (entity: string, itemCategory: string) =>
    determineAccounts(
      { eventType: 'supply-used', entity, itemCategory, costCenter: 'c', stockCostCenter: 's' },
      table,
      ctx,
    ).rule.id;
  assert.equal(pick('HRMC', 'glove'), 'hrmc/glove');
  assert.equal(pick('HRMC', 'suture'), 'std/supply-used/default');
  assert.equal(pick('HRMC', 'pharmacy'), 'std/supply-used/pharmacy');
  assert.equal(pick('HRSC', 'pharmacy'), 'hrsc/all', 'an entity override beats a shared category rule');
  assert.equal(pick('WCCH', 'coronary-stent'), 'std/supply-used/coronary-stent');
});

test('missing event codes and unresolvable selectors are typed errors', () => {
  const d = (input: RuleInput) => () => determineAccounts(input, rules, ctx);
  assert.throws(
    d({ entity: 'HRMC', eventType: 'supply-used', stockCostCenter: MM }),
    code('CW_ERR_LEDGER_MISSING_INPUT'),
  );
  assert.throws(
    d({ entity: 'HRMC', eventType: 'supply-used', costCenter: SURG }),
    code('CW_ERR_LEDGER_MISSING_INPUT'),
  );
  assert.throws(d({ ...base, eventType: 'charge-posted' }), code('CW_ERR_LEDGER_MISSING_INPUT'));
  assert.throws(
    d({ ...base, eventType: 'charge-posted', revenueCode: '0999' }),
    code('CW_ERR_LEDGER_NO_ACCOUNT'),
  );
  assert.throws(
    d({ ...base, eventType: 'charge-posted', revenueCode: '27' }),
    code('CW_ERR_LEDGER_NO_ACCOUNT'),
  );
  assert.throws(d({ ...base, eventType: 'stock-transferred' }), code('CW_ERR_LEDGER_MISSING_INPUT'));
  assert.throws(
    d({ ...base, eventType: 'stock-transferred', counterparty: 'WCCH' }),
    code('CW_ERR_LEDGER_MISSING_INPUT'),
    'the receiving par location is needed',
  );
  assert.throws(
    d({ ...base, eventType: 'stock-transferred', counterparty: 'NOPE', counterpartyStockCostCenter: WMM }),
    code('CW_ERR_LEDGER_UNKNOWN_ENTITY'),
  );
  assert.throws(
    d({ ...base, entity: 'NOPE', eventType: 'labor-recorded' }),
    code('CW_ERR_LEDGER_UNKNOWN_ENTITY'),
  );
  const ambiguous = createRuleTable([
    {
      ...STANDARD_RULES.find((r) => r.eventType === 'charge-posted')!,
      legs: [
        {
          book: 'entity',
          debit: { account: { role: 'charge-clearing' }, costCenter: 'none' },
          credit: { account: { role: 'gross-revenue' }, costCenter: 'event' },
        },
      ],
    },
  ]);
  assert.throws(
    () => determineAccounts({ ...base, eventType: 'charge-posted', revenueCode: '0272' }, ambiguous, ctx),
    (e: unknown) =>
      e instanceof CrosswalkError && e.code === 'CW_ERR_LEDGER_NO_ACCOUNT' && /12 accounts/.test(e.message),
  );
  assert.throws(() => checkRulesAgainstChart(ambiguous, ctx), code('CW_ERR_LEDGER_BAD_RULES'));
});

test('createRuleTable refuses duplicate ids, clashing keys, empty legs and misplaced cost centers', () => {
  const r = STANDARD_RULES[0]!;
  assert.throws(() => createRuleTable([r, { ...r, itemCategory: 'x' }]), code('CW_ERR_LEDGER_BAD_RULES'));
  assert.throws(() => createRuleTable([r, { ...r, id: 'other' }]), code('CW_ERR_LEDGER_BAD_RULES'));
  assert.throws(() => createRuleTable([{ ...r, legs: [] }]), code('CW_ERR_LEDGER_BAD_RULES'));
  assert.throws(
    () => createRuleTable([{ ...r, eventType: 'nope' as 'supply-used' }]),
    code('CW_ERR_LEDGER_BAD_RULES'),
  );
  assert.throws(
    () => createRuleTable([{ ...r, legs: [{ ...r.legs[0]!, book: 'counterparty' }] }]),
    code('CW_ERR_LEDGER_BAD_RULES'),
  );
  assert.throws(
    () =>
      checkRulesAgainstChart(
        createRuleTable([
          { ...r, legs: [{ ...r.legs[0]!, debit: { account: { account: '9999' }, costCenter: 'none' } }] },
        ]),
        ctx,
      ),
    code('CW_ERR_LEDGER_BAD_RULES'),
  );
});
