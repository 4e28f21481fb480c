import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EventOf, identifierKey, tokenize } from '../canonical/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { requireInterpreted } from './index.ts';
import { corpus, corpusPresent, errorOf, events, firstOf, KEY, run, SYSTEM } from './testing.ts';

const careLocation = (facility: string, poc: string) =>
  SYSTEM.careLocations.find((c) => c.facility === facility && c.pointOfCare === poc)!;
const employeeOf = (npi: string) => {
  const p = SYSTEM.practitioners.find((x) => x.npi === npi);
  return (
    SYSTEM.identityLinks.find((l) => l.practitionerCode === p?.code && l.effectiveTo === null)
      ?.employeeCode ?? null
  );
};
/** An Ohio wall-clock HL7 time in November 2026 (EST, UTC-5) as UTC. */
const est = (ts: string) =>
  new Date(
    Date.UTC(
      +ts.slice(0, 4),
      +ts.slice(4, 6) - 1,
      +ts.slice(6, 8),
      +ts.slice(8, 10) + 5,
      +ts.slice(10, 12),
      +ts.slice(12, 14),
    ),
  ).toISOString();

test('demo ADT A01/A04/A08/A03 become encounter events with tokens, location and attending', () => {
  const expected = {
    'adt-a01': 'EncounterStarted',
    'adt-a04': 'EncounterStarted',
    'adt-a08': 'EncounterUpdated',
    'adt-a03': 'EncounterEnded',
  } as const;
  for (const [kind, type] of Object.entries(expected)) {
    const m = firstOf(kind as keyof typeof expected);
    const msg = parseMessage(m.message);
    const [e, ...rest] = events(msg);
    assert.equal(rest.length, 0);
    assert.equal(e?.type, type, kind);
    const p = (e as EventOf<'EncounterStarted'>).payload;
    const loc = careLocation(msg.get('PV1-3.4'), msg.get('PV1-3.1'));
    assert.equal(e!.entity, loc.entityCode);
    assert.equal(e!.position, 'PV1');
    assert.equal(e!.occurredAt, est(msg.get('MSH-7')), 'no EVN-6: EVN-2 is the event time');
    assert.deepEqual(p, {
      encounterToken: tokenize(KEY, 'encounter', identifierKey(msg.get('PV1-19.4'), msg.get('PV1-19.1'))),
      patientToken: tokenize(KEY, 'patient', identifierKey('HRH', msg.get('PID-3.1'))),
      trigger: kind.slice(4).toUpperCase(),
      patientClass: msg.get('PV1-2'),
      admissionType: msg.get('PV1-4'),
      hospitalService: msg.get('PV1-10'),
      careLocationCode: loc.code,
      departmentCode: loc.departmentCode,
      costCenterCode: SYSTEM.departments.find((d) => d.code === loc.departmentCode)!.costCenterCode,
      attending: {
        id: msg.get('PV1-7.1'),
        npi: msg.get('PV1-7.1'),
        employeeCode: employeeOf(msg.get('PV1-7.1')),
      },
      admittedAt: est(msg.get('PV1-44')),
      dischargedAt: msg.get('PV1-45') === '' ? null : est(msg.get('PV1-45')),
    });
  }
});

test('ms-fhir-converter ADT samples: A01/A04 start, A08 updates, A03 ends, A11/A13 cancel', (t) => {
  if (!corpusPresent) return t.skip('corpus absent');
  const encounter = tokenize(KEY, 'encounter', 'AccMng|40007716');
  const patient = tokenize(KEY, 'patient', 'test1|PATID1234');
  const cases = [
    ['ADT-A01-01.hl7', 'EncounterStarted', null],
    ['ADT-A04-01.hl7', 'EncounterStarted', null],
    ['ADT-A08-01.hl7', 'EncounterUpdated', '2015-02-09T10:24:19.000Z'],
    ['ADT-A03-01.hl7', 'EncounterEnded', '2015-02-09T10:24:19.000Z'],
    ['ADT-A11-01.hl7', 'EncounterCancelled', null],
    ['ADT-A13-01.hl7', 'DischargeCancelled', null],
  ] as const;
  for (const [file, type, dischargedAt] of cases) {
    const evs = events(corpus(file), `ADTApp|GHHSFacility|${file}`);
    assert.equal(evs.length, 1, file);
    const e = evs[0] as EventOf<'EncounterStarted'>;
    assert.equal(e.type, type, file);
    assert.equal(e.entity, 'HRMC');
    assert.equal(e.occurredAt, '2021-08-17T13:19:43.400Z', `${file}: EVN-6 with its own offset`);
    assert.deepEqual(e.payload, {
      encounterToken: encounter,
      patientToken: patient,
      trigger: file.slice(4, 7),
      patientClass: 'P',
      admissionType: 'E',
      hospitalService: 'SUR',
      careLocationCode: 'HRMC-ED',
      departmentCode: 'HRMC-ED',
      costCenterCode: 'HRMC-6010',
      attending: { id: '1122334', npi: null, employeeCode: null },
      admittedAt: '2015-02-08T10:24:19.000Z',
      dischargedAt,
    });
  }
});

test('SIU^S12 books a case; S13 reschedules; S15 cancels', () => {
  const m = firstOf('siu-s12', (t) => t.includes('ANES^Anesthesia'));
  const msg = parseMessage(m.message);
  const [e] = events(msg);
  const loc = careLocation(msg.get('AIL-3.4'), msg.get('AIL-3.1'));
  const minutes = Number(msg.get('AIS-7'));
  assert.equal(e?.type, 'CaseScheduled');
  assert.equal(e!.entity, loc.entityCode);
  assert.deepEqual((e as EventOf<'CaseScheduled'>).payload, {
    caseToken: tokenize(KEY, 'case', identifierKey('ORSCHED', msg.get('SCH-2.1'))),
    action: 'booked',
    encounterToken: tokenize(KEY, 'encounter', identifierKey(msg.get('PV1-19.4'), msg.get('PV1-19.1'))),
    patientToken: tokenize(KEY, 'patient', identifierKey('HRH', msg.get('PID-3.1'))),
    procedureCode: msg.get('AIS-3.1'),
    procedureCodeSystem: 'C4',
    careLocationCode: loc.code,
    scheduledStart: est(msg.get('AIS-4')),
    scheduledEnd: est(msg.get('SCH-11.5')),
    durationMinutes: minutes,
    participants: msg.segmentsNamed('AIP').map((aip) => ({
      role: aip.get(4, 1),
      provider: { id: aip.get(3, 1), npi: aip.get(3, 1), employeeCode: employeeOf(aip.get(3, 1)) },
    })),
  });
  assert.deepEqual(
    (e as EventOf<'CaseScheduled'>).payload.participants.map((x) => x.role),
    ['SURG', 'ANES'],
  );
  msg.set('MSH-9.2', 'S13');
  assert.equal((events(msg)[0] as EventOf<'CaseScheduled'>).payload.action, 'rescheduled');
  msg.set('MSH-9.2', 'S15');
  const [cancel] = events(msg);
  assert.equal(cancel?.type, 'CaseCancelled');
  assert.equal(cancel?.id, e?.id, 'same message key and position, same id');
});

test('MFN^M16 from the ERP becomes ItemMasterChanged per MFE with packaging levels', () => {
  const m = firstOf('mfn-m16');
  const msg = parseMessage(m.message);
  const evs = events(msg);
  assert.equal(evs.length, msg.count('MFE'));
  evs.forEach((e, i) => {
    assert.equal(e.type, 'ItemMasterChanged');
    assert.equal(e.position, `MFE[${i + 1}]`);
    assert.equal(e.entity, 'HRMC', 'the shared ERP (facility HRH) books to the parent hospital');
    const p = (e as EventOf<'ItemMasterChanged'>).payload;
    const item = SYSTEM.items.find((x) => x.code === msg.get('MFE-4.1', i + 1))!;
    assert.equal(p.itemCode, item.code);
    assert.equal(p.action, 'update');
    assert.equal(p.description, item.description);
    assert.equal(p.category, item.category);
    assert.equal(p.vendorCode, item.vendorCode);
    assert.equal(p.stocked, !item.billOnly);
    assert.equal(p.cdmCode, item.cdmCode);
    assert.deepEqual(
      p.packages.map((x) => [x.uom, x.quantity]),
      SYSTEM.itemUoms.filter((u) => u.itemCode === item.code).map((u) => [u.uom, u.baseQuantity]),
    );
    const each = p.packages.find((x) => x.quantity === 1)!;
    for (const pack of p.packages) assert.equal(pack.price, each.price! * BigInt(pack.quantity));
  });
});

const MSH = (type: string) => `MSH|^~\\&|HRMC_EHR|HRMC|CROSSWALK|HRH|20261124101500||${type}|C1|P|2.5.1`;

test('MFN^M02 practitioners, M04 charge master, M05 locations', () => {
  const practitioner = SYSTEM.practitioners.find((p) => employeeOf(p.npi) !== null)!;
  const m02 = [
    MSH('MFN^M02^MFN_M02'),
    'MFI|PRA^Practitioner^HL70175||UPD|||NE',
    `MFE|MUP|1|20261124101500|${practitioner.code}^HRMC|CWE`,
    `STF|${practitioner.code}|${practitioner.npi}^^^NPI^NPI|Doe^Jane^Q^^^MD|||||A`,
    `PRA|${practitioner.code}|||||${practitioner.npi}^NPI`,
    'MFE|MDC|2|20261124101500|P999^HRMC|CWE',
    'STF|P999||Roe^Rick|||||I',
  ].join('\r');
  const [add, off] = events(m02) as EventOf<'PractitionerChanged'>[];
  assert.deepEqual(add?.payload, {
    action: 'update',
    practitionerId: practitioner.code,
    npi: practitioner.npi,
    employeeCode: employeeOf(practitioner.npi),
    familyName: 'Doe',
    givenName: 'Jane',
    credential: 'MD',
    specialty: null,
    active: true,
  });
  assert.equal(add?.occurredAt, '2026-11-24T15:15:00.000Z');
  assert.deepEqual([off?.payload.action, off?.payload.npi, off?.payload.active], ['deactivate', null, false]);

  const m04 = [
    MSH('MFN^M04^MFN_M04'),
    'MFI|CDM^Charge description master^HL70175||UPD|||NE',
    'MFE|MAD|1|20261124101500|2709999^HRMC|CWE',
    'CDM|2709999^HRMC|2709999|STENT DRUG-ELUTING 3.0X18|Drug-eluting coronary stent 3.0 x 18 mm|||C1874|A|500123',
    'PRC|2709999|HRMC|||3450.00&USD||||||20261201|||0278||A',
  ].join('\r');
  const cdmEvent = events(m04)[0] as EventOf<'ChargeMasterChanged'>;
  assert.deepEqual(cdmEvent.payload, {
    action: 'add',
    cdmCode: '2709999',
    description: 'STENT DRUG-ELUTING 3.0X18',
    revenueCode: '0278',
    hcpcsCode: 'C1874',
    price: 345000n,
    currency: 'USD',
    itemCode: '500123',
    effectiveFrom: '2026-12-01',
    active: true,
  });

  const m05 = [
    MSH('MFN^M05^MFN_M05'),
    'MFI|LOC^Location master^HL70175||UPD|||NE',
    'MFE|MAD|1|20261124101500|OR09^^^HRMC|PL',
    'LOC|OR09^^^HRMC|Operating Room 9|OR',
    'LDP|OR09^^^HRMC|10641001^Surgical Services^99DEP',
    'MFE|MUP|2|20261124101500|ED^^^HRMC|PL',
    'LOC|ED^^^HRMC|Emergency Department|ER',
  ].join('\r');
  const [newRoom, ed] = events(m05) as EventOf<'LocationChanged'>[];
  assert.deepEqual(newRoom?.payload, {
    action: 'add',
    facility: 'HRMC',
    pointOfCare: 'OR09',
    room: null,
    bed: null,
    description: 'Operating Room 9',
    locationType: 'OR',
    ehrDepartmentCode: '10641001',
    careLocationCode: null,
    active: true,
  });
  assert.equal(ed?.payload.careLocationCode, 'HRMC-ED', 'a location the release knows is named');
  assert.equal(errorOf(() => run(m05.replace('MFE|MAD', 'MFE|MXX'))).code, 'CW_ERR_INTERPRET_BAD_VALUE');
});

test('message types without a meaning are skipped visibly, not failed', (t) => {
  const r = run(`${MSH('ADT^A28^ADT_A05')}\rEVN|A28\rPID|1||123^^^HRH^MR`);
  assert.equal(r.status, 'not-interpreted');
  assert.equal(r.messageType, 'ADT^A28');
  assert.deepEqual(r.events, []);
  assert.equal(r.status === 'not-interpreted' && r.code, 'CW_ERR_INTERPRET_UNSUPPORTED_TYPE');
  const e = errorOf(() => requireInterpreted(r));
  assert.equal(e.code, 'CW_ERR_INTERPRET_UNSUPPORTED_TYPE');
  assert.match(e.message, /^message type ADT\^A28 is not interpreted: Crosswalk interprets DFT\^P03/);
  if (!corpusPresent) return t.skip('corpus absent');
  assert.equal(run(corpus('ORU-R01-01.hl7')).status, 'not-interpreted');
});

test('an ADT needs its encounter; a location or facility the release lacks is named', () => {
  const m = firstOf('adt-a04');
  const msg = parseMessage(m.message);
  msg.set('PV1-3.1', 'ED99');
  const e = errorOf(() => run(msg));
  assert.equal(e.code, 'CW_ERR_MAP_UNKNOWN_LOCATION');
  assert.match(e.message, /point of care ED99 at facility \w+ \(PV1-3\)/);
  msg.set('PV1-3', null);
  msg.set('MSH-4', 'ELSEWHERE');
  assert.match(
    errorOf(() => run(msg)).message,
    /^facility ELSEWHERE \(MSH-4\) is not mapped to a legal entity/,
  );
  msg.set('PV1-19', null);
  assert.match(errorOf(() => run(msg)).message, /^PV1-19 is empty; it is needed for the encounter/);
});
