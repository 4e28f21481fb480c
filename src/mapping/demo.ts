import type { DemoHealthSystem } from '../demo/index.ts';
import { normaliseContent } from './release.ts';
import type {
  AccountDeterminationRow,
  CareLocationRow,
  ChargeRow,
  DepartmentRow,
  FacilityRow,
  FieldRules,
  ReleaseContent,
} from './types.ts';

/**
 * The mapping release for the demo health system, so that its generated traffic maps completely (except the
 * deliberately broken messages), plus the codes of the public sample messages
 * ms-fhir-converter/DFT-P03-01.hl7 and DFT-P11-01.hl7 and the ADT samples beside them, which name a
 * foreign facility, point of care, department and CPT-coded charges.
 *
 * Rows are open-ended (no effective dates) except identity links, which keep the demo's own dates: the
 * sample messages are dated 2019–2029 and must still resolve.
 */

export const DEMO_FIELD_RULES: FieldRules = {
  transactionTypes: { SU: 'usage', SW: 'waste', SR: 'return', CG: 'charge', CD: 'credit' },
  negativeQuantity: 'reverse',
  // Demo charges carry the CDM code in FT1-25; FT1-7 is the fallback some senders use.
  chargeCodePaths: ['FT1-25.1', 'FT1-7.1'],
  quantityUomPath: null,
  ft1TraceFields: { lotNumber: null, serialNumber: null, udi: null },
};

const OPEN = { effectiveFrom: null, effectiveTo: null } as const;

/** The demo's supply categories that are implants for account determination. */
const IMPLANT_CATEGORIES = ['orthopedic-implant', 'cardiac-device', 'intraocular-lens', 'coronary-stent'];

function accountRows(): AccountDeterminationRow[] {
  const rows: AccountDeterminationRow[] = [];
  const add = (itemCategory: string, eventType: string, debitRole: string, creditRole: string) =>
    rows.push({ itemCategory, entityCode: '*', eventType, debitRole, creditRole, ...OPEN });
  for (const t of ['SupplyUsed', 'SupplyWasted']) {
    add('*', t, 'supply-expense', 'inventory');
    add('pharmacy', t, 'drug-expense', 'pharmacy-inventory');
    for (const c of IMPLANT_CATEGORIES) add(c, t, 'implant-expense', 'inventory');
  }
  add('*', 'SupplyReturned', 'inventory', 'supply-expense');
  add('pharmacy', 'SupplyReturned', 'pharmacy-inventory', 'drug-expense');
  for (const c of IMPLANT_CATEGORIES) add(c, 'SupplyReturned', 'inventory', 'implant-expense');
  add('*', 'ImplantUsed', 'implant-expense', 'ap-accrual');
  add('*', 'ChargePosted', 'charge-clearing', 'gross-revenue');
  add('*', 'ChargeCredited', 'gross-revenue', 'charge-clearing');
  return rows;
}

/** Codes of the ms-fhir-converter sample messages, mapped onto Harbor Ridge Medical Center. */
function sampleRows(system: DemoHealthSystem) {
  const hospital = system.entities[0]!;
  const ed = system.departments.find((d) => d.entityCode === hospital.code && d.kind === 'emergency');
  const edLocation = system.careLocations.find(
    (c) => c.entityCode === hospital.code && c.kind === 'emergency',
  );
  const facilities: FacilityRow[] = [
    // The samples' sending facility (MSH-4.1) and the PL-4 facility of their PV1-3.
    { facility: 'GHHSFacility', entityCode: hospital.code, ...OPEN },
    { facility: 'HOMERTON UNIVER', entityCode: hospital.code, ...OPEN },
  ];
  const departments: DepartmentRow[] = [];
  const careLocations: CareLocationRow[] = [];
  if (ed !== undefined && edLocation !== undefined) {
    // The samples' radiology department and A&E observation unit: the demo has no radiology, so their
    // charges land in the ED, which ordered the film.
    departments.push({
      ehrDepartmentCode: 'RAD-1',
      departmentCode: ed.code,
      costCenterCode: ed.costCenterCode,
      entityCode: hospital.code,
      ...OPEN,
    });
    careLocations.push({
      facility: 'HOMERTON UNIVER',
      pointOfCare: 'HUH AE OMU',
      careLocationCode: edLocation.code,
      parLocationCode: edLocation.parLocationCode,
      departmentCode: ed.code,
      costCenterCode: ed.costCenterCode,
      entityCode: hospital.code,
      ...OPEN,
    });
  }
  const charge = (cdmCode: string, description: string, revenueCode: string, price: bigint): ChargeRow => ({
    cdmCode,
    description,
    revenueCode,
    hcpcsCode: cdmCode,
    price,
    currency: 'USD',
    itemCode: null,
    ...OPEN,
  });
  const chargeMaster = [
    charge('71045', 'XRAY EXAM CHEST 1 VIEW', '0324', 5_000n),
    charge('99011', 'FIRST OUTPATIENT VISIT', '0510', 12_000n),
    charge('92002', 'OPHTHALMOLOGICAL SERVICES NEW PATIENT', '0510', 7_000n),
  ];
  return { facilities, departments, careLocations, chargeMaster };
}

/** Builds the demo release content (normalised); createRelease(demoRelease(system), author) proposes it. */
export function demoRelease(system: DemoHealthSystem): ReleaseContent {
  const departments = new Map(system.departments.map((d) => [d.code, d]));
  const npiOf = new Map(system.practitioners.map((p) => [p.code, p.npi]));
  const sample = sampleRows(system);
  const facilities: FacilityRow[] = system.entities.map((e) => ({
    facility: e.hl7Facility,
    entityCode: e.code,
    ...OPEN,
  }));
  // The shared ERP sends master data as facility HRH; it books to the parent hospital.
  if (!facilities.some((f) => f.facility === 'HRH') && system.entities[0] !== undefined) {
    facilities.push({ facility: 'HRH', entityCode: system.entities[0].code, ...OPEN });
  }
  return normaliseContent({
    name: `${system.name} demo (seed ${system.seed})`,
    description:
      'Generated from the demo health system; maps the demo traffic and the ms-fhir-converter samples.',
    timeZone: 'America/New_York',
    fieldRules: DEMO_FIELD_RULES,
    facilities: [...facilities, ...sample.facilities],
    items: system.items.map((i) => ({
      ehrSupplyCode: i.ehrSupplyCode,
      itemCode: i.code,
      description: i.description,
      category: i.category,
      baseUom: i.baseUom,
      implant: i.implant,
      billOnly: i.billOnly,
      ...OPEN,
    })),
    itemUoms: system.itemUoms
      .filter((u) => !u.isBase)
      .map((u) => ({ itemCode: u.itemCode, uom: u.uom, baseQuantity: u.baseQuantity, ...OPEN })),
    departments: [
      ...system.departments.map((d) => ({
        ehrDepartmentCode: d.ehrDepartmentCode,
        departmentCode: d.code,
        costCenterCode: d.costCenterCode,
        entityCode: d.entityCode,
        ...OPEN,
      })),
      ...sample.departments,
    ],
    careLocations: [
      ...system.careLocations.map((c) => ({
        facility: c.facility,
        pointOfCare: c.pointOfCare,
        careLocationCode: c.code,
        parLocationCode: c.parLocationCode,
        departmentCode: c.departmentCode,
        costCenterCode: departments.get(c.departmentCode)?.costCenterCode ?? c.departmentCode,
        entityCode: c.entityCode,
        ...OPEN,
      })),
      ...sample.careLocations,
    ],
    practitioners: system.identityLinks.flatMap((l) => {
      const npi = npiOf.get(l.practitionerCode);
      return npi === undefined
        ? []
        : [{ npi, employeeCode: l.employeeCode, effectiveFrom: l.effectiveFrom, effectiveTo: l.effectiveTo }];
    }),
    chargeMaster: [
      ...system.chargeMaster.map((c) => ({
        cdmCode: c.code,
        description: c.description,
        revenueCode: c.revenueCode,
        hcpcsCode: c.hcpcsCode,
        price: c.price,
        currency: c.currency,
        itemCode: c.itemCode,
        ...OPEN,
      })),
      ...sample.chargeMaster,
    ],
    accountDetermination: accountRows(),
  });
}
