import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { eventId, identifierKey, tokenize } from './ids.ts';
import { eventProblem, passesFastChecks, validateEvent } from './validate.ts';

/**
 * validateEvent takes a fast path (predicates without regexes or allocation) and falls back to the
 * checks that name the field only when a predicate fails. The predicates must never accept what the
 * checks refuse, and should accept every plain event the checks accept (else the fast path is not taken):
 * here every field of events of each shape is replaced, removed, renamed or reordered, and both verdicts
 * are compared.
 */

const KEY = Buffer.alloc(32, 3);
const enc = tokenize(KEY, 'encounter', identifierKey('HRH', 'V1'));
const cas = tokenize(KEY, 'case', identifierKey('ORSCHED', 'C1'));
const pt = tokenize(KEY, 'patient', identifierKey('HRH', 'M1'));
const performer = { id: '1234567890', npi: '1234567890', employeeCode: 'E1' };
const trace = {
  udiDi: '00812345678901',
  lotNumber: 'L1',
  serialNumber: null,
  expiryDate: '2028-01-31',
  udi: null,
  manufacturerName: 'Acme',
};

function envelope(type: string, payload: object, n: number): Record<string, unknown> {
  return {
    id: n % 2 === 0 ? eventId('S|F|1', `X[${n}]`, '20261124101500') : eventId('S|F|1', `X[${n}]`),
    type,
    orderingKey: 'k',
    sourceMessageId: 'S|F|1',
    position: `X[${n}]`,
    mappingReleaseId: 'r'.repeat(64),
    occurredAt: '2026-11-24T15:15:00.000Z',
    entity: 'HRMC',
    payload,
  };
}

const supply = {
  itemCode: 'I1',
  ehrSupplyCode: 'S1',
  itemCategory: 'med-surg',
  quantity: 2,
  uom: 'EA',
  parLocationCode: 'P1',
  careLocationCode: 'C1',
  departmentCode: 'D1',
  costCenterCode: 'CC1',
  encounterToken: enc,
  caseToken: cas,
  performer,
  unitCost: 125n,
  currency: 'USD',
  implant: true,
  trace,
  sourceTransactionId: 'T1',
  reversal: false,
};

const SAMPLES: Record<string, unknown>[] = [
  envelope('SupplyUsed', supply, 0),
  envelope('SupplyReturned', { ...supply, trace: null, performer: null, caseToken: null }, 1),
  envelope('ImplantUsed', { ...supply, billOnly: true }, 2),
  envelope(
    'ChargePosted',
    {
      cdmCode: '2700005',
      revenueCode: '0270',
      hcpcsCode: null,
      quantity: 1,
      unitPrice: null,
      amount: 0n,
      currency: 'USD',
      priceSource: 'charge-master',
      itemCode: null,
      departmentCode: 'D1',
      costCenterCode: 'CC1',
      careLocationCode: null,
      encounterToken: null,
      caseToken: null,
      performer,
      sourceTransactionId: null,
      reversal: true,
    },
    3,
  ),
  envelope(
    'EncounterStarted',
    {
      encounterToken: enc,
      patientToken: pt,
      trigger: 'A01',
      patientClass: 'I',
      admissionType: null,
      hospitalService: 'SUR',
      careLocationCode: 'C1',
      departmentCode: null,
      costCenterCode: null,
      attending: performer,
      admittedAt: '2026-11-24T15:15:00.000Z',
      dischargedAt: null,
    },
    4,
  ),
  envelope(
    'CaseScheduled',
    {
      caseToken: cas,
      action: 'booked',
      encounterToken: enc,
      patientToken: null,
      procedureCode: '27447',
      procedureCodeSystem: 'CPT',
      careLocationCode: 'OR1',
      scheduledStart: '2026-11-24T15:15:00.000Z',
      scheduledEnd: '2026-11-24T17:15:00.000Z',
      durationMinutes: 120,
      participants: [
        { role: 'surgeon', provider: performer },
        { role: 'anesthesia', provider: { id: 'X9', npi: null, employeeCode: null } },
      ],
    },
    5,
  ),
  envelope(
    'ItemMasterChanged',
    {
      action: 'update',
      itemCode: 'I1',
      description: 'Gauze',
      status: null,
      itemType: null,
      category: 'med-surg',
      expires: false,
      manufacturerName: null,
      manufacturerCatalogNumber: null,
      chargeable: null,
      cdmCode: null,
      chargePrice: 10n,
      stocked: true,
      vendorCode: null,
      vendorCatalogNumber: null,
      currency: null,
      packages: [
        { uom: 'EA', quantity: 1, orderUnit: false, price: null },
        { uom: 'BX', quantity: 10, orderUnit: true, price: 900n },
      ],
    },
    6,
  ),
  envelope(
    'ChargeMasterChanged',
    {
      action: 'add',
      cdmCode: '2700005',
      description: null,
      revenueCode: '0270',
      hcpcsCode: null,
      price: 100n,
      currency: 'USD',
      itemCode: null,
      effectiveFrom: '2026-01-01',
      active: true,
    },
    7,
  ),
];

const VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'x'.repeat(1024),
  'x'.repeat(1025),
  0,
  1,
  -1,
  1.5,
  2 ** 53,
  Number.NaN,
  0n,
  -1n,
  5n,
  true,
  false,
  'USD',
  'usd',
  'US',
  'USDD',
  'ÜSD',
  '0270',
  '270',
  '０２７０',
  '1234567890',
  '123456789',
  '12345678901',
  enc,
  cas,
  pt,
  enc.toUpperCase(),
  `${enc.slice(0, -1)}g`,
  `${enc}0`,
  '2026-11-24T15:15:00.000Z',
  '2026-11-24T15:15:00Z',
  '2026-02-30T15:15:00.000Z',
  '2026-11-24',
  '2026-13-01',
  'ev_20261124101500_0123456789abcdef01234567',
  'ev_2026112410150_0123456789abcdef012345678',
  'ev_0123456789abcdef0123456789abcdef',
  'ev_0123456789ABCDEF0123456789ABCDEF',
  'booked',
  'cancelled',
  'message',
  'SupplyUsed',
  'Nope',
  [],
  [{ role: 'r', provider: performer }],
  [{ role: 'r', provider: performer, extra: 1 }],
  {},
  performer,
  { ...performer, extra: null },
  trace,
];

type Json = Record<string, unknown> | unknown[];

/** A value holding an exotic object is exotic too. */
function mark(inner: unknown, outer: object): object {
  if (typeof inner === 'object' && inner !== null && exotic.has(inner)) exotic.add(outer);
  return outer;
}

/**
 * Objects whose keys are not all own and enumerable: the checks may accept them, the fast path declines
 * them (and the checks then decide), which is safe but not the fast path's business to match.
 */
const exotic = new WeakSet<object>();

/** Every way to disturb one place in a value: replace it, drop it, add a stray key, reorder keys. */
function* variants(v: unknown): Generator<unknown> {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      for (const x of variants(v[i]))
        yield mark(
          x,
          v.map((y, j) => (j === i ? x : y)),
        );
    }
    yield [...v, v[0]];
    yield v.slice(1);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  const rec = v as Record<string, unknown>;
  const keys = Object.keys(rec);
  for (const k of keys) {
    for (const x of VALUES) yield { ...rec, [k]: x };
    for (const x of variants(rec[k])) yield mark(x, { ...rec, [k]: x });
    const { [k]: _dropped, ...rest } = rec;
    yield rest;
    yield { ...rest, [`${k}X`]: rec[k] };
  }
  yield { ...rec, extra: null };
  yield Object.fromEntries(Object.entries(rec).reverse());
  const bare = Object.assign(Object.create(null), rec);
  exotic.add(bare);
  yield bare;
  const inherited = Object.create({ [keys[0]!]: rec[keys[0]!] });
  for (const k of keys.slice(1)) inherited[k] = rec[k];
  exotic.add(inherited);
  yield inherited;
  const hidden = { ...rec };
  Object.defineProperty(hidden, keys[0]!, { value: rec[keys[0]!], enumerable: false });
  exotic.add(hidden);
  yield hidden;
  yield Object.values(rec) as Json;
}

test('the fast path accepts what the field checks accept, and nothing they refuse', () => {
  let valid = 0;
  let invalid = 0;
  for (const sample of SAMPLES) {
    assert.equal(eventProblem(sample), null, `sample ${String(sample['type'])} is valid`);
    assert.equal(passesFastChecks(sample), true);
    for (const v of variants(sample)) {
      const problem = eventProblem(v);
      const fast = passesFastChecks(v);
      const where = `${JSON.stringify(problem)} for ${String(sample['type'])}: ${inspect(v, { depth: 4, showHidden: true })}`;
      if (fast) assert.equal(problem, null, where);
      else if (!exotic.has(v as object)) assert.notEqual(problem, null, where);
      if (problem === null) {
        valid++;
        assert.equal(validateEvent(v), v);
      } else invalid++;
    }
  }
  assert.ok(valid > 100 && invalid > 1000, `${valid} valid, ${invalid} invalid variants`);
});
