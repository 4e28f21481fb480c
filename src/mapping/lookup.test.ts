import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem } from '../demo/index.ts';
import {
  createRelease,
  demoRelease,
  findItem,
  findPractitioner,
  type ReleaseContent,
  resolveAccountRoles,
  resolveCareLocation,
  resolveCharge,
  resolveDepartment,
  resolveFacility,
  resolveItem,
  resolvePractitioner,
  resolveUomFactor,
} from './index.ts';
import { codeOf, OPEN, smallContent } from './testing.ts';

test('look-ups honour effective dates, both ends inclusive', () => {
  const r = createRelease(smallContent(), 'ann');
  assert.equal(findItem(r, '7000002', '2025-12-31'), undefined);
  assert.equal(findItem(r, '7000002', '2026-01-01')?.itemCode, '100002');
  assert.equal(findItem(r, '7000002', '2026-06-30')?.itemCode, '100002');
  assert.equal(findItem(r, '7000002', '2026-07-01'), undefined);
  assert.equal(resolveItem(r, '7000001', '1999-01-01').itemCode, '100001', 'open rows always apply');
  assert.equal(findPractitioner(r, '1131007829', '2019-12-31'), undefined);
  assert.equal(resolvePractitioner(r, '1131007829', '2020-01-01').employeeCode, 'E100001');
});

test('a superseding row takes over on its start date', () => {
  const c = smallContent();
  const glove = c.items[0]!;
  const next: ReleaseContent = {
    ...c,
    items: [
      { ...glove, effectiveTo: '2026-11-30' },
      { ...glove, itemCode: '100099', effectiveFrom: '2026-12-01' },
    ],
  };
  const r = createRelease(next, 'ann');
  assert.equal(resolveItem(r, '7000001', '2026-11-30').itemCode, '100001');
  assert.equal(resolveItem(r, '7000001', '2026-12-01').itemCode, '100099');
});

test('resolve* errors are typed and name the code, where it came from and the date', () => {
  const r = createRelease(smallContent(), 'ann');
  assert.equal(
    codeOf(() => resolveItem(r, '9999999', '2026-11-24', 'FT1[2]-7')),
    'CW_ERR_MAP_UNMAPPED_ITEM EHR supply code 9999999 at FT1[2]-7 has no ERP item mapping on 2026-11-24',
  );
  assert.equal(
    codeOf(() => resolveDepartment(r, '19326636', '2026-11-24', 'FT1[1]-13')),
    'CW_ERR_MAP_UNKNOWN_DEPARTMENT EHR department 19326636 at FT1[1]-13 is not mapped on 2026-11-24',
  );
  assert.match(
    codeOf(() => resolveCareLocation(r, 'HRMC', 'OR99', '2026-11-24', 'FT1[1]-16')),
    /^CW_ERR_MAP_UNKNOWN_LOCATION point of care OR99 at facility HRMC \(FT1\[1\]-16\)/,
  );
  assert.match(
    codeOf(() => resolveFacility(r, 'XYZ', '2026-11-24', 'MSH-4')),
    /^CW_ERR_MAP_UNKNOWN_FACILITY facility XYZ/,
  );
  assert.match(
    codeOf(() => resolveCharge(r, '1', '2026-11-24', 'FT1[1]-25.1')),
    /^CW_ERR_MAP_UNKNOWN_CHARGE_CODE charge code 1/,
  );
  assert.match(
    codeOf(() => resolvePractitioner(r, '1234567893', '2026-11-24')),
    /^CW_ERR_MAP_UNKNOWN_PRACTITIONER/,
  );
  const glove = resolveItem(r, '7000001', '2026-11-24');
  assert.equal(resolveUomFactor(r, glove, 'EA', '2026-11-24'), 1);
  assert.equal(resolveUomFactor(r, glove, 'BX', '2026-11-24'), 100);
  assert.match(
    codeOf(() => resolveUomFactor(r, glove, 'CS', '2026-11-24', 'FT1[1]')),
    /^CW_ERR_MAP_UNKNOWN_UOM item 100001 has no unit of measure CS/,
  );
});

test('account determination picks the most specific row', () => {
  const c = smallContent();
  const row = (itemCategory: string, entityCode: string, debitRole: string) => ({
    itemCategory,
    entityCode,
    eventType: 'SupplyUsed',
    debitRole,
    creditRole: 'inventory',
    ...OPEN,
  });
  const r = createRelease(
    {
      ...c,
      accountDetermination: [
        row('*', '*', 'supply-expense'),
        row('*', 'HRSC', 'asc-supply-expense'),
        row('pharmacy', '*', 'drug-expense'),
        row('pharmacy', 'WCCH', 'wcch-drug-expense'),
      ],
    },
    'ann',
  );
  const roles = (itemCategory: string, entity: string) =>
    resolveAccountRoles(r, { eventType: 'SupplyUsed', itemCategory, entity }, '2026-11-24').debitRole;
  assert.equal(roles('glove', 'HRMC'), 'supply-expense');
  assert.equal(roles('glove', 'HRSC'), 'asc-supply-expense');
  assert.equal(roles('pharmacy', 'HRMC'), 'drug-expense');
  assert.equal(roles('pharmacy', 'WCCH'), 'wcch-drug-expense');
  assert.equal(roles('pharmacy', 'HRSC'), 'asc-supply-expense', 'an entity override beats a category row');
  assert.match(
    codeOf(() =>
      resolveAccountRoles(r, { eventType: 'ChargePosted', itemCategory: '*', entity: 'HRMC' }, '2026-11-24'),
    ),
    /^CW_ERR_MAP_NO_ACCOUNT_RULE no account determination for ChargePosted/,
  );
});

test('the demo release maps every demo code and the public sample codes', () => {
  const system = generateDemoHealthSystem();
  const r = createRelease(demoRelease(system), 'ann');
  const day = '2026-11-24';
  for (const i of system.items) assert.equal(resolveItem(r, i.ehrSupplyCode, day).itemCode, i.code);
  for (const d of system.departments)
    assert.equal(resolveDepartment(r, d.ehrDepartmentCode, day).departmentCode, d.code);
  for (const c of system.careLocations) {
    assert.equal(resolveCareLocation(r, c.facility, c.pointOfCare, day).parLocationCode, c.parLocationCode);
  }
  for (const c of system.chargeMaster) assert.equal(resolveCharge(r, c.code, day).price, c.price);
  for (const e of system.entities) assert.equal(resolveFacility(r, e.hl7Facility, day).entityCode, e.code);
  const linked = system.identityLinks.filter((l) => l.effectiveTo === null);
  assert.ok(linked.length > 0);
  const npi = system.practitioners.find((p) => p.code === linked[0]!.practitionerCode)!.npi;
  assert.equal(resolvePractitioner(r, npi, day).employeeCode, linked[0]!.employeeCode);
  // The ms-fhir-converter samples.
  assert.equal(resolveFacility(r, 'GHHSFacility', '2019-11-22').entityCode, 'HRMC');
  assert.equal(resolveDepartment(r, 'RAD-1', '2019-11-22').costCenterCode, 'HRMC-6010');
  assert.equal(
    resolveCareLocation(r, 'HOMERTON UNIVER', 'HUH AE OMU', '2015-02-08').careLocationCode,
    'HRMC-ED',
  );
  assert.deepEqual(
    ['71045', '99011', '92002'].map((code) => resolveCharge(r, code, '2019-11-22').revenueCode),
    ['0324', '0510', '0510'],
  );
  for (const eventType of [
    'SupplyUsed',
    'SupplyWasted',
    'SupplyReturned',
    'ImplantUsed',
    'ChargePosted',
    'ChargeCredited',
  ]) {
    for (const category of new Set(system.items.map((i) => i.category))) {
      assert.ok(resolveAccountRoles(r, { eventType, itemCategory: category, entity: 'WCCH' }, day).debitRole);
    }
  }
  assert.equal(
    resolveAccountRoles(r, { eventType: 'SupplyUsed', itemCategory: 'coronary-stent', entity: 'HRMC' }, day)
      .debitRole,
    'implant-expense',
  );
});
