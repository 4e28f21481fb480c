/**
 * The organisational skeleton of the demo: entities, the shared chart of accounts, cost centers,
 * departments, par locations and care locations. The layout is fixed (a demo should look the same on
 * every run); only the organisation NPIs come from the seed.
 */

import { makeNpi } from './identifiers.ts';
import type {
  Account,
  AccountRole,
  AccountType,
  CareLocation,
  CareLocationKind,
  CostCenter,
  Department,
  DepartmentKind,
  Entity,
  EntityKind,
  IntercompanyRelationship,
  ParLocation,
  ParLocationKind,
} from './model.ts';
import type { Random } from './random.ts';

interface EntitySpec {
  readonly code: string;
  readonly name: string;
  readonly kind: EntityKind;
  readonly city: string;
}

const ENTITY_SPECS: readonly EntitySpec[] = [
  { code: 'HRMC', name: 'Harbor Ridge Medical Center', kind: 'hospital', city: 'Harbor Ridge' },
  { code: 'WCCH', name: 'Willow Creek Community Hospital', kind: 'hospital', city: 'Willow Creek' },
  {
    code: 'HRSC',
    name: 'Harbor Ridge Surgery Center',
    kind: 'ambulatory-surgery-center',
    city: 'Harbor Ridge',
  },
];

export const HEALTH_SYSTEM_NAME = 'Harbor Ridge Health';

export function buildEntities(rng: Random): Entity[] {
  return ENTITY_SPECS.map((s) => ({
    code: s.code,
    name: s.name,
    kind: s.kind,
    currency: 'USD',
    npi: makeNpi(`1${rng.digits(8, true)}`),
    hl7SendingApplication: `${s.code}_EHR`,
    hl7Facility: s.code,
    city: s.city,
    state: 'OH',
  }));
}

// --- chart of accounts -------------------------------------------------------------------------

type AccountSpec = readonly [number: string, name: string, type: AccountType, role: AccountRole | null];

const BASE_ACCOUNTS: readonly AccountSpec[] = [
  ['1000', 'Cash - Operating', 'asset', 'cash'],
  ['1200', 'Patient Accounts Receivable', 'asset', 'patient-ar'],
  ['1210', 'Unbilled Patient Charges (Charge Clearing)', 'asset', 'charge-clearing'],
  ['1300', 'Inventory - Medical & Surgical Supplies', 'asset', 'inventory'],
  ['1310', 'Inventory - Pharmacy', 'asset', 'pharmacy-inventory'],
  ['2000', 'Accounts Payable - Trade', 'liability', 'accounts-payable'],
  ['2010', 'Goods Received Not Invoiced', 'liability', 'grni'],
  ['2020', 'Accrued Liabilities - Bill-Only Implants', 'liability', 'ap-accrual'],
  ['2100', 'Accrued Payroll', 'liability', 'accrued-payroll'],
  ['3000', 'Net Assets Without Donor Restrictions', 'equity', 'net-assets'],
  ['4900', 'Contractual Allowances', 'revenue', 'contractual-allowance'],
  ['6100', 'Salaries & Wages', 'expense', 'labor-expense'],
  ['6110', 'Employee Benefits', 'expense', 'benefits-expense'],
  ['6200', 'Medical & Surgical Supplies Expense', 'expense', 'supply-expense'],
  ['6210', 'Implants Expense', 'expense', 'implant-expense'],
  ['6220', 'Drugs Expense', 'expense', 'drug-expense'],
  ['6290', 'Inventory Variance & Shrink', 'expense', 'inventory-variance'],
];

/** Gross revenue, one account per UB-04 revenue code family. */
const REVENUE_FAMILIES: readonly (readonly [number: string, family: string, name: string])[] = [
  ['4010', '012', 'Room & Board - Semi-Private'],
  ['4020', '020', 'Intensive Care'],
  ['4030', '025', 'Pharmacy'],
  ['4040', '027', 'Medical/Surgical Supplies & Devices'],
  ['4045', '032', 'Radiology - Diagnostic'],
  ['4050', '036', 'Operating Room Services'],
  ['4060', '045', 'Emergency Room'],
  ['4070', '048', 'Cardiology'],
  ['4080', '049', 'Ambulatory Surgical Care'],
  ['4085', '051', 'Clinic'],
  ['4090', '063', 'Drugs Requiring Detailed Coding'],
  ['4100', '071', 'Recovery Room'],
];

export function dueFromAccountCode(counterparty: string): string {
  return `1410-${counterparty}`;
}

export function dueToAccountCode(counterparty: string): string {
  return `2410-${counterparty}`;
}

export function buildAccounts(entities: readonly Entity[]): Account[] {
  const accounts: Account[] = [];
  for (const [code, name, type, role] of BASE_ACCOUNTS) {
    // Contractual allowances are contra-revenue: a revenue account with a debit balance.
    const normalBalance = type === 'asset' || type === 'expense' || role === 'contractual-allowance';
    accounts.push({
      code,
      name,
      type,
      normalBalance: normalBalance ? 'debit' : 'credit',
      role,
      revenueCodeFamily: null,
      counterpartyEntityCode: null,
    });
  }
  for (const [code, family, name] of REVENUE_FAMILIES) {
    accounts.push({
      code,
      name: `Gross Patient Revenue - ${name}`,
      type: 'revenue',
      normalBalance: 'credit',
      role: 'gross-revenue',
      revenueCodeFamily: family,
      counterpartyEntityCode: null,
    });
  }
  for (const e of entities) {
    accounts.push({
      code: dueFromAccountCode(e.code),
      name: `Due From ${e.name}`,
      type: 'asset',
      normalBalance: 'debit',
      role: 'intercompany-due-from',
      revenueCodeFamily: null,
      counterpartyEntityCode: e.code,
    });
    accounts.push({
      code: dueToAccountCode(e.code),
      name: `Due To ${e.name}`,
      type: 'liability',
      normalBalance: 'credit',
      role: 'intercompany-due-to',
      revenueCodeFamily: null,
      counterpartyEntityCode: e.code,
    });
  }
  return accounts.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

const TRADING_PAIRS: readonly (readonly [string, string, IntercompanyRelationship['purpose']])[] = [
  ['HRMC', 'WCCH', 'supply-transfer'],
  ['HRMC', 'HRSC', 'supply-transfer'],
  ['WCCH', 'HRSC', 'shared-services'],
];

export function buildIntercompany(): IntercompanyRelationship[] {
  const out: IntercompanyRelationship[] = [];
  for (const [a, b, purpose] of TRADING_PAIRS) {
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      out.push({
        code: `${self}-${other}`,
        entityCode: self,
        counterpartyEntityCode: other,
        purpose,
        dueFromAccountCode: dueFromAccountCode(other),
        dueToAccountCode: dueToAccountCode(other),
      });
    }
  }
  return out;
}

// --- cost centers, departments, par and care locations ------------------------------------------

interface DepartmentSpec {
  readonly key: string;
  readonly costCenter: string;
  readonly name: string;
  readonly kind: DepartmentKind;
}

const HOSPITAL_CORE: readonly DepartmentSpec[] = [
  { key: 'ED', costCenter: '6010', name: 'Emergency Department', kind: 'emergency' },
  { key: 'ICU', costCenter: '6110', name: 'Intensive Care Unit', kind: 'intensive-care' },
  { key: 'SURG', costCenter: '6410', name: 'Surgical Services', kind: 'surgery' },
  { key: 'PACU', costCenter: '6430', name: 'Perianesthesia - Pre-Op & PACU', kind: 'perioperative' },
  { key: 'PHARM', costCenter: '6510', name: 'Pharmacy', kind: 'pharmacy' },
  { key: 'SPD', costCenter: '6610', name: 'Sterile Processing', kind: 'sterile-processing' },
  { key: 'MM', costCenter: '8410', name: 'Materials Management', kind: 'materials-management' },
];

const DEPARTMENT_SPECS: Readonly<Record<string, readonly DepartmentSpec[]>> = {
  HRMC: [
    ...HOSPITAL_CORE,
    { key: 'MS4W', costCenter: '6210', name: 'Medical-Surgical 4 West', kind: 'medical-surgical' },
    { key: 'MS5E', costCenter: '6220', name: 'Medical-Surgical 5 East', kind: 'medical-surgical' },
    { key: 'CATH', costCenter: '6420', name: 'Cardiac Catheterization Lab', kind: 'cath-lab' },
  ],
  WCCH: [
    ...HOSPITAL_CORE,
    { key: 'MS3N', costCenter: '6210', name: 'Medical-Surgical 3 North', kind: 'medical-surgical' },
  ],
  HRSC: [
    { key: 'SURG', costCenter: '6410', name: 'Surgical Services', kind: 'surgery' },
    { key: 'PACU', costCenter: '6430', name: 'Pre-Op & Recovery', kind: 'perioperative' },
    { key: 'PHARM', costCenter: '6510', name: 'Pharmacy', kind: 'pharmacy' },
    { key: 'SPD', costCenter: '6610', name: 'Sterile Processing', kind: 'sterile-processing' },
    { key: 'MM', costCenter: '8410', name: 'Materials Management', kind: 'materials-management' },
  ],
};

interface ParSpec {
  readonly key: string;
  readonly name: string;
  readonly kind: ParLocationKind;
  readonly departmentKey: string;
}

const PAR_SPECS: Readonly<Record<string, readonly ParSpec[]>> = {
  HRMC: [
    { key: 'CS', name: 'Central Stores', kind: 'central-stores', departmentKey: 'MM' },
    { key: 'ORCORE', name: 'OR Core Supply', kind: 'or-core', departmentKey: 'SURG' },
    { key: 'CATHSTK', name: 'Cath Lab Stock Room', kind: 'cath-stock', departmentKey: 'CATH' },
    { key: 'PHARM', name: 'Main Pharmacy', kind: 'pharmacy', departmentKey: 'PHARM' },
    { key: 'EDSUP', name: 'ED Supply Room', kind: 'unit-supply-room', departmentKey: 'ED' },
    { key: 'ICUSUP', name: 'ICU Supply Room', kind: 'unit-supply-room', departmentKey: 'ICU' },
    { key: '4WSUP', name: '4 West Supply Room', kind: 'unit-supply-room', departmentKey: 'MS4W' },
    { key: '5ESUP', name: '5 East Supply Room', kind: 'unit-supply-room', departmentKey: 'MS5E' },
    { key: 'PACUSUP', name: 'Pre-Op/PACU Supply Room', kind: 'unit-supply-room', departmentKey: 'PACU' },
  ],
  WCCH: [
    { key: 'CS', name: 'Central Stores', kind: 'central-stores', departmentKey: 'MM' },
    { key: 'ORCORE', name: 'OR Core Supply', kind: 'or-core', departmentKey: 'SURG' },
    { key: 'PHARM', name: 'Pharmacy', kind: 'pharmacy', departmentKey: 'PHARM' },
    { key: 'EDSUP', name: 'ED Supply Room', kind: 'unit-supply-room', departmentKey: 'ED' },
    { key: 'ICUSUP', name: 'ICU Supply Room', kind: 'unit-supply-room', departmentKey: 'ICU' },
    { key: '3NSUP', name: '3 North Supply Room', kind: 'unit-supply-room', departmentKey: 'MS3N' },
    { key: 'PACUSUP', name: 'Pre-Op/PACU Supply Room', kind: 'unit-supply-room', departmentKey: 'PACU' },
  ],
  HRSC: [
    { key: 'CS', name: 'Central Supply', kind: 'central-stores', departmentKey: 'MM' },
    { key: 'ORCORE', name: 'OR Core Supply', kind: 'or-core', departmentKey: 'SURG' },
    { key: 'PHARM', name: 'Pharmacy', kind: 'pharmacy', departmentKey: 'PHARM' },
    { key: 'PACUSUP', name: 'Pre-Op/Recovery Supply', kind: 'unit-supply-room', departmentKey: 'PACU' },
  ],
};

interface CareSpec {
  readonly pointOfCare: string;
  readonly name: string;
  readonly kind: CareLocationKind;
  readonly departmentKey: string;
  readonly parKey: string;
}

function operatingRooms(count: number): CareSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    return {
      pointOfCare: `OR${n}`,
      name: `Operating Room ${i + 1}`,
      kind: 'operating-room',
      departmentKey: 'SURG',
      parKey: 'ORCORE',
    } as const;
  });
}

const CARE_SPECS: Readonly<Record<string, readonly CareSpec[]>> = {
  HRMC: [
    ...operatingRooms(8),
    {
      pointOfCare: 'CATH1',
      name: 'Cath Lab 1',
      kind: 'procedure-room',
      departmentKey: 'CATH',
      parKey: 'CATHSTK',
    },
    {
      pointOfCare: 'CATH2',
      name: 'Cath Lab 2',
      kind: 'procedure-room',
      departmentKey: 'CATH',
      parKey: 'CATHSTK',
    },
    {
      pointOfCare: 'ED',
      name: 'Emergency Department',
      kind: 'emergency',
      departmentKey: 'ED',
      parKey: 'EDSUP',
    },
    { pointOfCare: 'ICU', name: 'Intensive Care Unit', kind: 'icu', departmentKey: 'ICU', parKey: 'ICUSUP' },
    { pointOfCare: '4W', name: '4 West', kind: 'nursing-unit', departmentKey: 'MS4W', parKey: '4WSUP' },
    { pointOfCare: '5E', name: '5 East', kind: 'nursing-unit', departmentKey: 'MS5E', parKey: '5ESUP' },
    {
      pointOfCare: 'PACU',
      name: 'Pre-Op & PACU',
      kind: 'pre-post-op',
      departmentKey: 'PACU',
      parKey: 'PACUSUP',
    },
  ],
  WCCH: [
    ...operatingRooms(4),
    {
      pointOfCare: 'ED',
      name: 'Emergency Department',
      kind: 'emergency',
      departmentKey: 'ED',
      parKey: 'EDSUP',
    },
    { pointOfCare: 'ICU', name: 'Intensive Care Unit', kind: 'icu', departmentKey: 'ICU', parKey: 'ICUSUP' },
    { pointOfCare: '3N', name: '3 North', kind: 'nursing-unit', departmentKey: 'MS3N', parKey: '3NSUP' },
    {
      pointOfCare: 'PACU',
      name: 'Pre-Op & PACU',
      kind: 'pre-post-op',
      departmentKey: 'PACU',
      parKey: 'PACUSUP',
    },
  ],
  HRSC: [
    ...operatingRooms(4),
    {
      pointOfCare: 'PREOP',
      name: 'Pre-Op & Recovery',
      kind: 'pre-post-op',
      departmentKey: 'PACU',
      parKey: 'PACUSUP',
    },
  ],
};

export interface OrgStructure {
  readonly costCenters: CostCenter[];
  readonly departments: Department[];
  readonly parLocations: ParLocation[];
  readonly careLocations: CareLocation[];
}

export function buildOrgStructure(entities: readonly Entity[]): OrgStructure {
  const costCenters: CostCenter[] = [];
  const departments: Department[] = [];
  const parLocations: ParLocation[] = [];
  const careLocations: CareLocation[] = [];
  entities.forEach((entity, entityIndex) => {
    const e = entity.code;
    const deptSpecs = DEPARTMENT_SPECS[e] ?? [];
    const ccOf = new Map<string, string>();
    for (const d of deptSpecs) {
      const cc = `${e}-${d.costCenter}`;
      ccOf.set(d.key, cc);
      costCenters.push({ code: cc, entityCode: e, number: d.costCenter, name: d.name });
      departments.push({
        code: `${e}-${d.key}`,
        entityCode: e,
        name: d.name,
        kind: d.kind,
        costCenterCode: cc,
        ehrDepartmentCode: `1${entityIndex}${d.costCenter}01`,
      });
    }
    const centralStores = `${e}-CS`;
    for (const p of PAR_SPECS[e] ?? []) {
      const cc = ccOf.get(p.departmentKey);
      if (cc === undefined) throw new Error(`demo layout: par ${e}-${p.key} names unknown department`);
      const fromVendor = p.kind === 'central-stores' || p.kind === 'pharmacy';
      parLocations.push({
        code: `${e}-${p.key}`,
        entityCode: e,
        name: p.name,
        kind: p.kind,
        costCenterCode: cc,
        replenishedFromCode: fromVendor ? null : centralStores,
      });
    }
    for (const c of CARE_SPECS[e] ?? []) {
      careLocations.push({
        code: `${e}-${c.pointOfCare}`,
        entityCode: e,
        pointOfCare: c.pointOfCare,
        facility: entity.hl7Facility,
        name: c.name,
        kind: c.kind,
        departmentCode: `${e}-${c.departmentKey}`,
        parLocationCode: `${e}-${c.parKey}`,
      });
    }
  });
  return { costCenters, departments, parLocations, careLocations };
}
