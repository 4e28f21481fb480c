import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { CrosswalkError } from '../errors/index.ts';
import {
  type CanonicalEvent,
  EVENT_ID_PATTERN,
  eventFromJson,
  eventId,
  eventsToJson,
  identifierKey,
  isValidEvent,
  sortPrefix,
  sortPrefixOf,
  tokenize,
  validateEvent,
} from './index.ts';

const KEY = Buffer.alloc(32, 1);

function charge(): CanonicalEvent {
  return {
    id: eventId('HRMC_EHR|HRMC|C1', 'FT1[1]'),
    type: 'ChargePosted',
    orderingKey: 'HRMC',
    sourceMessageId: 'HRMC_EHR|HRMC|C1',
    position: 'FT1[1]',
    mappingReleaseId: 'a'.repeat(64),
    occurredAt: '2026-11-24T05:15:41.000Z',
    entity: 'HRMC',
    payload: {
      cdmCode: '2700005',
      revenueCode: '0270',
      hcpcsCode: null,
      quantity: 2,
      unitPrice: 100n,
      amount: 200n,
      currency: 'USD',
      priceSource: 'message',
      itemCode: '116080',
      departmentCode: 'HRMC-ED',
      costCenterCode: 'HRMC-6010',
      careLocationCode: 'HRMC-ED',
      encounterToken: tokenize(KEY, 'encounter', identifierKey('HRMC', '7425826713')),
      caseToken: null,
      performer: { id: '1131007829', npi: '1131007829', employeeCode: 'E100001' },
      sourceTransactionId: 'C1-1',
      reversal: false,
    },
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CrosswalkError, `expected a CrosswalkError, got ${String(e)}`);
    return `${e.code} ${e.message}`;
  }
  assert.fail('expected an error');
}

test('event ids are deterministic, short hex, and depend on message and position only', () => {
  const a = eventId('S|F|C1', 'FT1[1]');
  assert.match(a, EVENT_ID_PATTERN);
  assert.equal(eventId('S|F|C1', 'FT1[1]'), a);
  assert.notEqual(eventId('S|F|C1', 'FT1[2]'), a);
  assert.notEqual(eventId('S|F|C2', 'FT1[1]'), a);
  // The separator keeps ("ab", "c") and ("a", "bc") apart.
  assert.notEqual(eventId('ab', 'c'), eventId('a', 'bc'));
});

test('an event id is sha256 over message key NUL position, whatever the text (lone surrogates too)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (key, position) => {
      const h = createHash('sha256').update(key).update('\u0000').update(position).digest('hex');
      assert.equal(eventId(key, position), `ev_${h.slice(0, 32)}`);
      assert.equal(eventId(key, position, '20261125'), `ev_20261125000000_${h.slice(0, 24)}`);
    }),
  );
});

test('an event id carries the sort prefix of its source time, so ids of a live feed grow with it', () => {
  assert.equal(sortPrefix('20261125103000'), '20261125103000');
  assert.equal(sortPrefix('202611251030-0500'), '20261125103000', 'the zone is not part of it');
  assert.equal(sortPrefix('20261125103000.1234+0100'), '20261125103000');
  assert.equal(sortPrefix('2026-11-25T10:30:00Z'), '20261125103000', 'ISO separators are dropped');
  assert.equal(sortPrefix(''), '00000000000000');
  const a = eventId('S|F|C1', 'FT1[1]', '20261125103000');
  assert.match(a, /^ev_20261125103000_[0-9a-f]{24}$/);
  assert.match(a, EVENT_ID_PATTERN);
  assert.equal(sortPrefixOf(a), '20261125103000');
  assert.equal(eventId('S|F|C1', 'FT1[1]', '20261125103000'), a, 'deterministic');
  assert.notEqual(eventId('S|F|C1', 'FT1[2]', '20261125103000'), a);
  assert.ok(eventId('S|F|C9', 'FT1[1]', '20261125103001') > a, 'a later source time sorts after');
  assert.equal(sortPrefixOf(eventId('S|F|C1', 'FT1[1]')), null);
});

test('tokens are keyed, prefixed by kind, and refuse short keys', () => {
  const t = tokenize(KEY, 'patient', identifierKey('HRH', '70248894'));
  assert.match(t, /^pt_[0-9a-f]{32}$/);
  assert.equal(tokenize(KEY, 'patient', 'HRH|70248894'), t);
  assert.notEqual(tokenize(Buffer.alloc(32, 2), 'patient', 'HRH|70248894'), t, 'another key, another token');
  assert.notEqual(tokenize(KEY, 'encounter', 'HRH|70248894').slice(4), t.slice(3), 'kinds are separated');
  assert.match(tokenize(KEY, 'case', 'ORSCHED|HRMC-261124-0001'), /^case_/);
  assert.ok(!t.includes('70248894'));
  assert.match(
    codeOf(() => tokenize(Buffer.alloc(8), 'patient', 'x')),
    /^CW_ERR_CANONICAL_TOKEN_KEY/,
  );
});

test('validateEvent accepts a well-formed event and names the field of a bad one', () => {
  const ok = charge();
  assert.equal(validateEvent(ok), ok);
  const cases: [string, (e: Record<string, unknown>, p: Record<string, unknown>) => void, RegExp][] = [
    ['missing field', (_e, p) => delete p['amount'], /payload\.amount is missing/],
    ['extra field', (_e, p) => (p['patientName'] = 'x'), /payload\.patientName is not a known field/],
    ['raw visit number as token', (_e, p) => (p['encounterToken'] = '7425826713'), /payload\.encounterToken/],
    ['negative amount', (_e, p) => (p['amount'] = -1n), /payload\.amount must not be negative/],
    ['fractional quantity', (_e, p) => (p['quantity'] = 1.5), /payload\.quantity/],
    ['float money', (_e, p) => (p['unitPrice'] = 1.25), /payload\.unitPrice/],
    ['local time', (e) => (e['occurredAt'] = '2026-11-24T05:15:41'), /event\.occurredAt/],
    ['bad id', (e) => (e['id'] = 'ev_xyz'), /event\.id/],
    ['unknown type', (e) => (e['type'] = 'SupplyTeleported'), /event\.type/],
    ['bad revenue code', (_e, p) => (p['revenueCode'] = '270'), /payload\.revenueCode/],
    ['empty string for null', (_e, p) => (p['hcpcsCode'] = ''), /payload\.hcpcsCode must not be empty/],
  ];
  for (const [what, mutate, expected] of cases) {
    const e = structuredClone(charge()) as unknown as Record<string, unknown>;
    mutate(e, e['payload'] as Record<string, unknown>);
    const msg = codeOf(() => validateEvent(e));
    assert.match(msg, /^CW_ERR_CANONICAL_INVALID_EVENT /, what);
    assert.match(msg, expected, what);
    assert.equal(isValidEvent(e), false, what);
  }
});

test('an ImplantUsed must carry its trace and be bill-only', () => {
  const base = charge();
  const implant = {
    ...base,
    type: 'ImplantUsed',
    payload: {
      itemCode: '500001',
      ehrSupplyCode: '8179707',
      itemCategory: 'cardiac-device',
      quantity: 1,
      uom: 'EA',
      parLocationCode: 'HRMC-CATHSTK',
      careLocationCode: 'HRMC-CATH2',
      departmentCode: 'HRMC-CATH',
      costCenterCode: 'HRMC-6420',
      encounterToken: null,
      caseToken: null,
      performer: null,
      unitCost: 556274n,
      currency: 'USD',
      implant: true,
      trace: {
        udiDi: '08830204255379',
        lotNumber: 'LGFFGWQL',
        serialNumber: 'SNEPX3CAGQTM',
        expiryDate: '2029-04-19',
        udi: null,
        manufacturerName: 'Cardiant Medical',
      },
      sourceTransactionId: null,
      reversal: false,
      billOnly: true,
    },
  };
  assert.ok(isValidEvent(implant));
  assert.match(
    codeOf(() => validateEvent({ ...implant, payload: { ...implant.payload, trace: null } })),
    /payload\.trace/,
  );
  assert.match(
    codeOf(() => validateEvent({ ...implant, payload: { ...implant.payload, billOnly: false } })),
    /payload\.billOnly/,
  );
});

test('events survive JSON with bigint money intact', () => {
  const e = charge();
  const json = eventsToJson(e);
  assert.match(json, /"amount":"200"/);
  assert.deepEqual(eventFromJson(json), e);
  assert.match(
    codeOf(() => eventFromJson('{')),
    /^CW_ERR_CANONICAL_INVALID_EVENT/,
  );
});

test('eventsToJson writes exactly what JSON.stringify with a bigint replacer writes', () => {
  const leaf = fc.oneof(fc.bigInt(), fc.integer(), fc.string(), fc.constant(null), fc.constant(undefined));
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('node'), { maxKeys: 4 }),
    ),
  })).node;
  fc.assert(
    fc.property(value, (v) => {
      const reference = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
      assert.equal(eventsToJson(v as unknown as CanonicalEvent), reference);
    }),
    { seed: 1125, numRuns: 300 },
  );
});
