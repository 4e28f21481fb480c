import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EventOf, identifierKey, tokenize } from '../canonical/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { createRelease, DEMO_FIELD_RULES, demoRelease } from '../mapping/index.ts';
import {
  corpus,
  corpusPresent,
  errorOf,
  events,
  firstOf,
  KEY,
  RELEASE,
  run,
  SYSTEM,
  sourceId,
  traffic,
} from './testing.ts';

const items = new Map(SYSTEM.items.map((i) => [i.ehrSupplyCode, i]));
const departments = new Map(SYSTEM.departments.map((d) => [d.ehrDepartmentCode, d]));
const cdm = new Map(SYSTEM.chargeMaster.map((c) => [c.code, c]));
const careLocation = (facility: string, poc: string) =>
  SYSTEM.careLocations.find((c) => c.facility === facility && c.pointOfCare === poc)!;
const cents = (s: string) => BigInt(Math.round(Number(s) * 100));

test('DFT^P03 usage and charge lines become SupplyUsed/Wasted and ChargePosted with the mapped codes', () => {
  const m = firstOf('dft-p03', (t) => t.includes('|CG|') && !t.includes('ZIM|'));
  const msg = parseMessage(m.message);
  const evs = events(msg, sourceId(m));
  const ft1s = msg.segmentsNamed('FT1');
  assert.equal(evs.length, ft1s.length, 'one event per FT1');
  const visit = msg.get('PV1-19.1');
  const encounter = tokenize(KEY, 'encounter', identifierKey(msg.get('PV1-19.4'), visit));
  ft1s.forEach((seg, i) => {
    const e = evs[i]!;
    assert.equal(e.position, `FT1[${i + 1}]`);
    const dept = departments.get(seg.get(13, 1))!;
    const loc = careLocation(seg.get(16, 4), seg.get(16, 1));
    assert.equal(e.entity, loc.entityCode);
    // Demo usage times are local to Ohio: EST on the demo day, five hours behind UTC.
    const ts = seg.get(4, 1);
    const utc = new Date(
      Date.UTC(
        +ts.slice(0, 4),
        +ts.slice(4, 6) - 1,
        +ts.slice(6, 8),
        +ts.slice(8, 10) + 5,
        +ts.slice(10, 12),
        +ts.slice(12, 14),
      ),
    );
    assert.equal(e.occurredAt, utc.toISOString());
    if (seg.get(6) === 'CG') {
      assert.equal(e.type, 'ChargePosted');
      const p = (e as EventOf<'ChargePosted'>).payload;
      const line = cdm.get(seg.get(25, 1))!;
      assert.equal(p.cdmCode, line.code);
      assert.equal(p.revenueCode, line.revenueCode);
      assert.equal(p.itemCode, line.itemCode);
      assert.equal(p.quantity, Number(seg.get(10)));
      assert.equal(p.amount, cents(seg.get(11, 1, 1)));
      assert.equal(p.amount, line.price * BigInt(p.quantity));
      assert.equal(p.priceSource, 'message');
      assert.equal(p.costCenterCode, dept.costCenterCode);
      assert.equal(p.encounterToken, encounter);
    } else {
      assert.equal(e.type, seg.get(6) === 'SW' ? 'SupplyWasted' : 'SupplyUsed');
      const p = (e as EventOf<'SupplyUsed'>).payload;
      const item = items.get(seg.get(7, 1))!;
      assert.equal(p.itemCode, item.code);
      assert.equal(p.itemCategory, item.category);
      assert.equal(p.uom, item.baseUom);
      assert.equal(p.quantity, Number(seg.get(10)));
      assert.equal(p.parLocationCode, loc.parLocationCode);
      assert.equal(p.careLocationCode, loc.code);
      assert.equal(p.departmentCode, dept.code);
      assert.equal(p.costCenterCode, dept.costCenterCode);
      assert.equal(p.unitCost, seg.get(22) === '' ? null : cents(seg.get(22, 1, 1)));
      assert.equal(p.performer?.npi, seg.get(20, 1));
      assert.equal(p.sourceTransactionId, `${m.controlId}-${i + 1}`);
      assert.equal(p.reversal, false);
    }
  });
});

test('implants: bill-only ZIM lines become ImplantUsed with their trace; stocked implants keep it on SupplyUsed', () => {
  const day = traffic();
  const withZim = day.filter((m) => m.kind === 'dft-p03' && m.message.includes('\rZIM|'));
  let billOnly = 0;
  let stocked = 0;
  for (const m of withZim) {
    const msg = parseMessage(m.message);
    const evs = events(msg, sourceId(m));
    for (const zim of msg.segmentsNamed('ZIM')) {
      const e = evs.find((x) => x.position === `FT1[${zim.get(1)}]`)!;
      const p = (e as EventOf<'SupplyUsed'>).payload;
      assert.deepEqual(p.trace, {
        udiDi: zim.get(2),
        lotNumber: zim.get(3),
        serialNumber: zim.get(4) || null,
        expiryDate: `${zim.get(5).slice(0, 4)}-${zim.get(5).slice(4, 6)}-${zim.get(5).slice(6, 8)}`,
        udi: zim.get(8),
        manufacturerName: zim.get(7),
      });
      if (zim.get(6) === 'Y') {
        billOnly++;
        assert.equal(e.type, 'ImplantUsed');
        assert.equal((e as EventOf<'ImplantUsed'>).payload.billOnly, true);
      } else {
        stocked++;
        assert.equal(e.type, 'SupplyUsed');
        assert.equal(p.implant, true);
      }
    }
  }
  assert.ok(billOnly > 0 && stocked > 0, `bill-only ${billOnly}, stocked ${stocked}`);
  // A bill-only implant without its ZIM cannot be requisitioned.
  const m = withZim.find((x) => /\rZIM\|\d+\|[^\r]*\|Y\|/.test(x.message))!;
  const stripped = m.message.replace(/\rZIM\|[^\r]*\|Y\|[^\r]*/, '');
  const e = errorOf(() => run(stripped));
  assert.equal(e.code, 'CW_ERR_INTERPRET_MISSING_FIELD');
  assert.match(
    e.message,
    /^ZIM for FT1\[\d+\] is empty; it is needed for the lot\/serial of a bill-only implant/,
  );
});

test('a surgical case: supplies and charges carry the same case token as the SIU that booked it', () => {
  const m = firstOf('dft-p03', (t) => t.includes('^ORSCHED'));
  const msg = parseMessage(m.message);
  const caseId = msg.get('FT1-23.1');
  const token = tokenize(KEY, 'case', identifierKey('ORSCHED', caseId));
  for (const e of events(msg)) assert.equal((e.payload as { caseToken: string | null }).caseToken, token);
  const siu = firstOf('siu-s12', (t) => t.includes(`SCH|${caseId}^ORSCHED`));
  const [scheduled] = events(siu.message);
  assert.equal(scheduled?.type, 'CaseScheduled');
  assert.equal((scheduled as EventOf<'CaseScheduled'>).payload.caseToken, token);
});

test('DFT^P11 late charges and credits', () => {
  const day = traffic({ volumes: { chargeCorrections: 30 } });
  const p11 = day.filter((m) => m.kind === 'dft-p11').map((m) => events(m.message, sourceId(m))[0]!);
  const credits = p11.filter((e) => e.type === 'ChargeCredited');
  assert.ok(credits.length > 0 && p11.some((e) => e.type === 'ChargePosted'));
  for (const e of credits) {
    const p = (e as EventOf<'ChargeCredited'>).payload;
    assert.equal(p.quantity, 1);
    assert.equal(p.amount, cdm.get(p.cdmCode)!.price);
    assert.equal(p.reversal, false);
  }
});

test('negative quantities reverse a line; unpriced charges are priced from the charge master', () => {
  const m = firstOf('dft-p03', (t) => t.includes('|SU|') && t.includes('|CG|'));
  const msg = parseMessage(m.message);
  const ft1s = msg.segmentsNamed('FT1');
  const su = ft1s.findIndex((s) => s.get(6) === 'SU') + 1;
  const cg = ft1s.findIndex((s) => s.get(6) === 'CG') + 1;
  const qty = Number(msg.get('FT1-10', su));
  msg.set('FT1-10', String(-qty), su);
  msg.set('FT1-10', '-1', cg);
  msg.set('FT1-11', null, cg);
  msg.set('FT1-12', null, cg);
  const evs = events(msg);
  const back = evs[su - 1] as EventOf<'SupplyReturned'>;
  assert.equal(back.type, 'SupplyReturned');
  assert.equal(back.payload.quantity, qty);
  assert.equal(back.payload.reversal, true);
  const credit = evs[cg - 1] as EventOf<'ChargeCredited'>;
  assert.equal(credit.type, 'ChargeCredited');
  assert.equal(credit.payload.priceSource, 'charge-master');
  assert.equal(credit.payload.amount, cdm.get(msg.get('FT1-25.1', cg))!.price);
  assert.equal(credit.payload.reversal, true);
  // Waste cannot be reversed; a release may refuse reversals altogether.
  msg.set('FT1-6', 'SW', su);
  assert.match(
    errorOf(() => run(msg)).message,
    /^quantity -\d+ at FT1\[\d+\]-10 cannot be used: a negative waste line/,
  );
  msg.set('FT1-6', 'SU', su);
  const strict = createRelease(
    { ...demoRelease(SYSTEM), fieldRules: { ...DEMO_FIELD_RULES, negativeQuantity: 'reject' } },
    'ann',
  );
  assert.match(errorOf(() => run(msg, 'x', strict)).message, /the release rejects negative quantities/);
});

test('a unit of measure named by the field rules is converted to base units', () => {
  const uom = SYSTEM.itemUoms.find((u) => !u.isBase && u.baseQuantity > 1)!;
  const item = SYSTEM.items.find((i) => i.code === uom.itemCode)!;
  const m = firstOf('dft-p03', (t) => t.includes('|SU|'));
  const msg = parseMessage(m.message);
  msg.set('FT1-7.1', item.ehrSupplyCode, 1);
  msg.set('FT1-6', 'SU', 1);
  msg.set('FT1-10', '2', 1);
  msg.set('FT1-22', null, 1);
  msg.set('FT1-43.2', uom.uom, 1);
  const release = createRelease(
    { ...demoRelease(SYSTEM), fieldRules: { ...DEMO_FIELD_RULES, quantityUomPath: 'FT1-43.2' } },
    'ann',
  );
  const [e] = events(msg, 'x', release);
  assert.equal((e as EventOf<'SupplyUsed'>).payload.quantity, 2 * uom.baseQuantity);
  assert.equal((e as EventOf<'SupplyUsed'>).payload.uom, item.baseUom);
  msg.set('FT1-43.2', 'PALLET', 1);
  assert.equal(errorOf(() => run(msg, 'x', release)).code, 'CW_ERR_MAP_UNKNOWN_UOM');
});

test('unusable lines give typed errors that name the position', () => {
  const m = firstOf('dft-p03', (t) => t.includes('|SU|'));
  const cases: [string, string, string | null, string, RegExp][] = [
    ['FT1-6', '1', 'ZZ', 'CW_ERR_MAP_UNKNOWN_TRANSACTION_TYPE', /transaction type ZZ at FT1\[1\]-6/],
    ['FT1-10', '1', 'lots', 'CW_ERR_INTERPRET_BAD_QUANTITY', /quantity lots at FT1\[1\]-10/],
    ['FT1-10', '1', '1.5', 'CW_ERR_INTERPRET_BAD_QUANTITY', /not a whole number of EA/],
    ['FT1-10', '1', '0', 'CW_ERR_INTERPRET_BAD_QUANTITY', /at least one unit/],
    ['FT1-10', '1', null, 'CW_ERR_INTERPRET_MISSING_FIELD', /FT1\[1\]-10 is empty/],
    ['FT1-4', '1', '2026-11-24', 'CW_ERR_INTERPRET_BAD_TIMESTAMP', /FT1\[1\]-4 holds 2026-11-24/],
    ['FT1-16.1', '1', 'OR99', 'CW_ERR_MAP_UNKNOWN_LOCATION', /point of care OR99 .*\(FT1\[1\]-16\)/],
    ['FT1-22', '1', '1.234&USD', 'CW_ERR_INTERPRET_BAD_AMOUNT', /amount 1\.234 at FT1\[1\]-22/],
    ['FT1-7', '1', null, 'CW_ERR_INTERPRET_MISSING_FIELD', /FT1\[1\]-7 is empty/],
  ];
  for (const [path, occ, value, code, message] of cases) {
    const msg = parseMessage(m.message);
    msg.set('FT1-6', 'SU', 1);
    if (value?.includes('&')) msg.setRaw(path, value, Number(occ));
    else msg.set(path, value, Number(occ));
    const e = errorOf(() => run(msg));
    assert.equal(e.code, code, `${path}=${value}`);
    assert.match(e.message, message);
  }
  const msg = parseMessage(m.message);
  msg.set('FT1-16', null, 1);
  msg.set('PV1-3', null);
  assert.match(errorOf(() => run(msg)).message, /FT1\[1\]-16 is empty; it is needed for the care location/);
});

test('ms-fhir-converter DFT^P03 and DFT^P11 samples interpret with the demo release', (t) => {
  if (!corpusPresent) return t.skip('corpus absent');
  const encounter = tokenize(KEY, 'encounter', 'AccMng|40007716');
  const p03 = events(corpus('DFT-P03-01.hl7'), 'IMMAPP|GHHSFacility|MSG00001');
  assert.deepEqual(
    p03.map((e) => [e.type, e.position, e.entity, e.occurredAt]),
    [
      ['ChargePosted', 'FT1[1]', 'HRMC', '2019-11-22T05:00:00.000Z'],
      ['ChargePosted', 'FT1[2]', 'HRMC', '2019-11-22T05:00:00.000Z'],
    ],
  );
  assert.deepEqual(p03[0]!.payload, {
    cdmCode: '71045',
    revenueCode: '0324',
    hcpcsCode: '71045',
    quantity: 2,
    unitPrice: 5000n,
    amount: 10000n,
    currency: 'USD',
    priceSource: 'message',
    itemCode: null,
    departmentCode: 'HRMC-ED',
    costCenterCode: 'HRMC-6010',
    careLocationCode: 'HRMC-ED',
    encounterToken: encounter,
    caseToken: null,
    performer: { id: '9941339108', npi: '9941339108', employeeCode: null },
    sourceTransactionId: '12345',
    reversal: false,
  });
  // Line 2 has no department: it comes from the patient's location (PV1-3).
  const line2 = p03[1]!.payload as EventOf<'ChargePosted'>['payload'];
  assert.deepEqual(
    [line2.cdmCode, line2.revenueCode, line2.amount, line2.departmentCode, line2.performer],
    ['99011', '0510', 12000n, 'HRMC-ED', null],
  );
  const p11 = events(corpus('DFT-P11-01.hl7'), 'IMMAPP|GHHSFacility|MSG00001');
  assert.deepEqual(
    p11.map((e) => {
      const p = e.payload as EventOf<'ChargePosted'>['payload'];
      return [e.type, p.cdmCode, p.quantity, p.amount, p.unitPrice, p.encounterToken === encounter];
    }),
    [
      ['ChargePosted', '71045', 2, 10000n, 5000n, true],
      ['ChargePosted', '92002', 1, 7000n, 7000n, true],
    ],
  );
  assert.equal(p11[0]!.mappingReleaseId, RELEASE.id);
});
