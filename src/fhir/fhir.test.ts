import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CrosswalkError } from '../errors/index.ts';
import { approve, createRelease } from '../mapping/index.ts';
import { smallContent } from '../mapping/testing.ts';
import { ENVELOPE_FORMAT, type FhirInboundDocument } from './envelope.ts';
import { interpretFhir } from './interpret.ts';
import { type FhirResource, nestingDepth, parseBody } from './json.ts';
import { dateRange, indexRowsOf, matches, parseSearch } from './search.ts';
import { validateResource } from './validate.ts';

const RELEASE = approve(createRelease(smallContent(), 'author'), 'approver');
const KEY = Buffer.alloc(32, 7);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CrosswalkError, `expected a CrosswalkError, got ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

test('body limits: size and nesting are checked on the bytes before parsing', () => {
  assert.equal(nestingDepth(Buffer.from('{"a":[{"b":"[[[[{"}]}')), 3, 'brackets inside strings do not count');
  assert.equal(nestingDepth(Buffer.from('{"a":"\\"[["}')), 1, 'escaped quotes stay inside the string');
  const deep = Buffer.from(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`);
  assert.equal(
    codeOf(() => parseBody(deep, { maxBytes: 10_000, maxDepth: 48 })),
    'CW_ERR_FHIR_TOO_DEEP',
  );
  assert.equal(
    codeOf(() => parseBody(Buffer.alloc(20, 32), { maxBytes: 10, maxDepth: 48 })),
    'CW_ERR_FHIR_TOO_LARGE',
  );
  assert.equal(
    codeOf(() => parseBody(Buffer.from('[1]'))),
    'CW_ERR_FHIR_BAD_JSON',
  );
});

test('validation: required elements, code sets, element types, unknown types', () => {
  assert.equal(
    codeOf(() => validateResource({ resourceType: 'Claim' })),
    'CW_ERR_FHIR_UNSUPPORTED_TYPE',
  );
  assert.equal(
    codeOf(() => validateResource({ resourceType: 'ChargeItem', status: 'billable' })),
    'CW_ERR_FHIR_INVALID_RESOURCE',
  );
  const ok = { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' } };
  assert.equal(validateResource(ok).resourceType, 'Encounter');
  assert.equal(
    codeOf(() => validateResource({ ...ok, status: 'done' })),
    'CW_ERR_FHIR_INVALID_RESOURCE',
  );
  assert.equal(
    codeOf(() => validateResource({ ...ok, period: { start: '2026-01-02T10:00' } })),
    'CW_ERR_FHIR_INVALID_RESOURCE',
  );
  assert.equal(
    codeOf(() => validateResource({ ...ok, period: { start: '2026-01-03', end: '2026-01-02' } })),
    'CW_ERR_FHIR_INVALID_RESOURCE',
  );
  assert.equal(
    codeOf(() => validateResource({ ...ok, identifier: [] })),
    'CW_ERR_FHIR_INVALID_RESOURCE',
  );
  assert.equal(
    codeOf(() => validateResource({ ...ok, id: 'a/b' })),
    'CW_ERR_FHIR_INVALID_RESOURCE',
  );
});

test('search: date ranges by precision, plans matched against index rows', () => {
  assert.deepEqual(dateRange('2026-02'), ['2026-02-01T00:00:00.000Z', '2026-02-28T23:59:59.999Z']);
  assert.deepEqual(dateRange('2026-03-01T05:00:00-05:00'), [
    '2026-03-01T10:00:00.000Z',
    '2026-03-01T10:00:00.999Z',
  ]);
  const sd = {
    resourceType: 'SupplyDelivery',
    identifier: [{ system: 'urn:s', value: 'v1' }],
    patient: { reference: 'http://x.org/fhir/Patient/p1/_history/2' },
    occurrencePeriod: { start: '2026-03-01', end: '2026-03-03' },
  };
  const r = { id: 'a', lastUpdated: '2026-03-05T00:00:00.000Z', rows: indexRowsOf(sd) };
  const q = (query: string) => matches(parseSearch('SupplyDelivery', [...new URLSearchParams(query)]), r);
  assert.equal(q('patient=p1'), true, 'absolute reference with history normalised to Patient/p1');
  assert.equal(q('identifier=urn:s|v1'), true);
  assert.equal(q('identifier=|v1'), false, 'a system-less token does not match one with a system');
  assert.equal(q('date=2026-03-02'), false, 'eq: the range must fall inside the day');
  assert.equal(q('date=ge2026-03-02'), true);
  assert.equal(q('date=lt2026-03-01'), false);
  assert.equal(q('date=le2026-03-01'), true);
  assert.equal(q('_lastUpdated=ge2026-03-05&_id=a'), true);
  assert.equal(q('_id=b,a'), true);
});

function doc(resource: FhirResource, previous: FhirResource | null = null): Buffer {
  const context = {
    destination: { resourceType: 'Location', id: 'ed', identifier: [{ value: 'ED' }] },
    'destination.managingOrganization': { resourceType: 'Organization', identifier: [{ value: 'HRMC' }] },
  };
  const d: FhirInboundDocument = {
    format: ENVELOPE_FORMAT,
    resource,
    context,
    encounterInferredBy: null,
    previous: previous ? { resource: previous, context } : null,
  };
  return Buffer.from(JSON.stringify(d));
}

const stored = (raw: Buffer, version = 1) => ({
  sender: 'fhir',
  controlId: `SupplyDelivery/sd1/_history/${version}`,
  receivedAt: '2026-03-02T12:00:00.000Z',
  orderingKey: 'fhir',
  raw,
});

const delivery = (quantity: number, status = 'completed'): FhirResource => ({
  resourceType: 'SupplyDelivery',
  id: 'sd1',
  meta: { versionId: '1', lastUpdated: '2026-03-02T12:00:00.000Z' },
  status,
  patient: { reference: 'Patient/p1' },
  destination: { reference: 'Location/ed' },
  suppliedItem: {
    quantity: { value: quantity },
    itemCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '999' }, { code: '7000001' }] },
  },
  occurrenceDateTime: '2026-03-01T09:30:00-05:00',
});

test('interpretFhir: a SupplyDelivery is supply usage at the care location its Location maps to', () => {
  const r = interpretFhir(stored(doc(delivery(3))), { release: RELEASE, tokenKey: KEY });
  assert.equal(r.kind, 'events', JSON.stringify(r));
  if (r.kind !== 'events') return;
  assert.equal(r.messageType, 'FHIR:SupplyDelivery');
  assert.equal(r.events.length, 1);
  const e = r.events[0]!;
  assert.equal(e.type, 'SupplyUsed');
  assert.equal(e.occurredAt, '2026-03-01T14:30:00.000Z');
  assert.equal(e.sourceMessageId, 'fhir|SupplyDelivery/sd1/_history/1');
  const p = e.payload as {
    itemCode: string;
    ehrSupplyCode: string;
    quantity: number;
    parLocationCode: string;
  };
  assert.deepEqual(
    [p.itemCode, p.ehrSupplyCode, p.quantity, p.parLocationCode],
    ['100001', '7000001', 3, 'HRMC-EDSUP'],
  );
  const again = interpretFhir(stored(doc(delivery(3))), { release: RELEASE, tokenKey: KEY });
  assert.deepEqual(again, r, 'deterministic');
});

test('interpretFhir: an update reverses the superseded version; entered-in-error only reverses', () => {
  const r = interpretFhir(stored(doc(delivery(5), delivery(3)), 2), { release: RELEASE, tokenKey: KEY });
  assert.equal(r.kind, 'events');
  if (r.kind !== 'events') return;
  assert.deepEqual(
    r.events.map(
      (e) =>
        `${e.type} ${(e.payload as { quantity: number }).quantity} ${(e.payload as { reversal: boolean }).reversal}`,
    ),
    ['SupplyReturned 3 true', 'SupplyUsed 5 false'],
  );
  const voided = interpretFhir(stored(doc(delivery(5, 'entered-in-error'), delivery(5)), 3), {
    release: RELEASE,
    tokenKey: KEY,
  });
  assert.equal(voided.kind, 'events');
  if (voided.kind === 'events')
    assert.deepEqual(
      voided.events.map((e) => e.type),
      ['SupplyReturned'],
    );
});

test('interpretFhir: unmapped codes and unusable rows fail with their reason, never throw', () => {
  const unmapped = delivery(1);
  (unmapped['suppliedItem'] as { itemCodeableConcept: unknown }).itemCodeableConcept = {
    coding: [{ code: '42' }],
  };
  const r = interpretFhir(stored(doc(unmapped)), { release: RELEASE, tokenKey: KEY });
  assert.equal(r.kind === 'failed' && r.error.code, 'CW_ERR_MAP_UNMAPPED_ITEM');
  const junk = interpretFhir(stored(Buffer.from('{"not":"an envelope"}')), {
    release: RELEASE,
    tokenKey: KEY,
  });
  assert.equal(junk.kind === 'failed' && junk.error.code, 'CW_ERR_INTERPRET_BAD_VALUE');
});
