/**
 * The demo health system as plain, flat records: one array per table, foreign keys by `code`, nothing
 * nested that a loader would have to unpick. Every record has a stable `code`; where the domain already
 * has a natural key (account number, ERP item number, vendor number, employee id, CDM code) the code IS
 * that key. Money is `bigint` minor units (cents) with the currency named beside it. Absent values are
 * `null`, never `undefined`, so a record maps one-to-one onto a table row.
 */

import type { Account as LedgerAccount } from '../ledger/model.ts';

/** Minor units (cents for USD). */
export type Money = bigint;
export type CurrencyCode = 'USD';
/** Calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

// --- organisation ------------------------------------------------------------------------------

export type EntityKind = 'hospital' | 'ambulatory-surgery-center';

export interface Entity {
  readonly code: string;
  readonly name: string;
  readonly kind: EntityKind;
  /** Functional currency of the entity's books. */
  readonly currency: CurrencyCode;
  /** Organisation NPI (type 2), valid check digit. */
  readonly npi: string;
  /** MSH-3 of messages the entity's EHR sends. */
  readonly hl7SendingApplication: string;
  /** MSH-4 and PL-4 (facility) of messages the entity's EHR sends. */
  readonly hl7Facility: string;
  readonly city: string;
  readonly state: string;
}

/**
 * One direction of an intercompany relationship: in `entityCode`'s books, amounts owed by the
 * counterparty go to `dueFromAccountCode`, amounts owed to it to `dueToAccountCode`. Each pair of
 * entities that trade appears twice, once from each side.
 */
export interface IntercompanyRelationship {
  readonly code: string;
  readonly entityCode: string;
  readonly counterpartyEntityCode: string;
  readonly purpose: 'supply-transfer' | 'shared-services';
  readonly dueFromAccountCode: string;
  readonly dueToAccountCode: string;
}

// The chart's vocabulary belongs to the ledger; the demo chart is data in that vocabulary.
export type { AccountRole, AccountType, NormalBalance } from '../ledger/model.ts';

/** A row of the demo chart of accounts: the ledger's account, always postable. */
export type Account = Omit<LedgerAccount, 'postable'>;

export interface CostCenter {
  /** `<entity>-<number>`, e.g. `HRMC-6410`. */
  readonly code: string;
  readonly entityCode: string;
  /** The ERP cost-center segment value. */
  readonly number: string;
  readonly name: string;
}

export type DepartmentKind =
  | 'emergency'
  | 'intensive-care'
  | 'medical-surgical'
  | 'surgery'
  | 'perioperative'
  | 'cath-lab'
  | 'pharmacy'
  | 'sterile-processing'
  | 'materials-management';

export interface Department {
  readonly code: string;
  readonly entityCode: string;
  readonly name: string;
  readonly kind: DepartmentKind;
  readonly costCenterCode: string;
  /** The department id the EHR sends (FT1-13); differs from `code`, as in real feeds. */
  readonly ehrDepartmentCode: string;
}

export type ParLocationKind = 'central-stores' | 'or-core' | 'cath-stock' | 'pharmacy' | 'unit-supply-room';

export interface ParLocation {
  readonly code: string;
  readonly entityCode: string;
  readonly name: string;
  readonly kind: ParLocationKind;
  readonly costCenterCode: string;
  /** Where replenishment comes from; `null` means straight from vendors (central stores, pharmacy). */
  readonly replenishedFromCode: string | null;
}

export type CareLocationKind =
  | 'operating-room'
  | 'procedure-room'
  | 'emergency'
  | 'icu'
  | 'nursing-unit'
  | 'pre-post-op';

export interface CareLocation {
  /** `<entity>-<point of care>`, e.g. `HRMC-OR03`. */
  readonly code: string;
  readonly entityCode: string;
  /** PL-1 point of care as the EHR sends it, e.g. `OR03`, `CATH1`, `4W`. */
  readonly pointOfCare: string;
  /** PL-4 facility. */
  readonly facility: string;
  readonly name: string;
  readonly kind: CareLocationKind;
  readonly departmentCode: string;
  /** The par location supplies used here are issued from. */
  readonly parLocationCode: string;
}

// --- supply chain ------------------------------------------------------------------------------

export interface Vendor {
  /** The ERP vendor number, e.g. `V10017`. */
  readonly code: string;
  readonly name: string;
  readonly kind: 'distributor' | 'manufacturer-direct' | 'pharmacy-wholesaler';
  readonly paymentTermsDays: number;
}

export type ItemCategory =
  | 'suture'
  | 'glove'
  | 'drape'
  | 'catheter'
  | 'iv-set'
  | 'coronary-stent'
  | 'cath-lab-device'
  | 'orthopedic-implant'
  | 'cardiac-device'
  | 'intraocular-lens'
  | 'surgical-disposable'
  | 'med-surg'
  | 'pharmacy';

/** `lot-serial`: every unit has a serial number and belongs to a lot (implants, devices). */
export type TrackingLevel = 'none' | 'lot' | 'lot-serial';

export type UnitOfMeasure = 'EA' | 'PK' | 'BX' | 'CS';

export interface Item {
  /** The ERP item number (the ERP is the system of record for items). */
  readonly code: string;
  /** The EHR's supply id, as it appears in FT1-7; a crosswalk maps it to `code`. */
  readonly ehrSupplyCode: string;
  readonly description: string;
  readonly category: ItemCategory;
  readonly manufacturerName: string;
  readonly manufacturerCatalogNumber: string;
  readonly vendorCode: string;
  readonly vendorCatalogNumber: string;
  readonly baseUom: UnitOfMeasure;
  /** Cost per base unit, minor units. */
  readonly unitCost: Money;
  readonly currency: CurrencyCode;
  readonly chargeable: boolean;
  readonly cdmCode: string | null;
  readonly implant: boolean;
  readonly tracking: TrackingLevel;
  /** GTIN-14 = UDI device identifier; present for implants and tracked devices. */
  readonly gtin: string | null;
  /** Consignment / bill-only: used first, purchased after by a requisition naming the case; not stocked. */
  readonly billOnly: boolean;
  readonly expires: boolean;
}

/** One packaging level of an item; the base unit appears with `baseQuantity` 1. */
export interface ItemUom {
  /** `<item>:<uom>`. */
  readonly code: string;
  readonly itemCode: string;
  readonly uom: UnitOfMeasure;
  /** How many base units one of this unit holds. */
  readonly baseQuantity: number;
  readonly isBase: boolean;
  /** The unit purchase orders are placed in. */
  readonly isPurchaseUnit: boolean;
}

/** A charge description master (CDM) line. */
export interface ChargeMasterEntry {
  readonly code: string;
  readonly description: string;
  /** UB-04 revenue code, 4 digits, e.g. `0272`. */
  readonly revenueCode: string;
  readonly hcpcsCode: string | null;
  readonly price: Money;
  readonly currency: CurrencyCode;
  /** The supply item this line charges for; `null` for service lines (OR time, ED visit level). */
  readonly itemCode: string | null;
}

export interface ParLevel {
  /** `<par location>:<item>`. */
  readonly code: string;
  readonly parLocationCode: string;
  readonly itemCode: string;
  /** Quantity to refill to, base units. */
  readonly parQuantity: number;
  /** Replenish when on-hand falls to this, base units. */
  readonly reorderPoint: number;
}

/** On-hand at the opening date; implants have one row per serial number. */
export interface OpeningStock {
  readonly code: string;
  readonly parLocationCode: string;
  readonly itemCode: string;
  /** Base units. */
  readonly quantity: number;
  /** Cost per base unit, minor units. */
  readonly unitCost: Money;
  readonly currency: CurrencyCode;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  readonly expiryDate: IsoDate | null;
}

// --- workforce ---------------------------------------------------------------------------------

export type PractitionerKind = 'physician' | 'crna' | 'nurse-practitioner' | 'physician-assistant';

export interface Practitioner {
  /** The EHR provider id. */
  readonly code: string;
  readonly npi: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly middleInitial: string | null;
  readonly credential: string;
  readonly kind: PractitionerKind;
  readonly specialty: string;
  readonly primaryEntityCode: string;
}

export type LaborCategory =
  | 'physician'
  | 'advanced-practice'
  | 'nursing'
  | 'technical'
  | 'pharmacy'
  | 'support';

export interface JobCode {
  readonly code: string;
  readonly title: string;
  readonly laborCategory: LaborCategory;
}

export interface Employee {
  /** The HR employee id. */
  readonly code: string;
  readonly familyName: string;
  readonly givenName: string;
  readonly jobCode: string;
  readonly entityCode: string;
  readonly homeCostCenterCode: string;
  readonly hireDate: IsoDate;
  readonly terminationDate: IsoDate | null;
  /** Base hourly rate, minor units. */
  readonly hourlyRate: Money;
  readonly currency: CurrencyCode;
  /** Full-time equivalent in percent (100 = full time), kept integral on purpose. */
  readonly ftePercent: number;
}

/** Practitioner ↔ employee, effective-dated; `effectiveTo` is inclusive, `null` while current. */
export interface IdentityLink {
  readonly code: string;
  readonly practitionerCode: string;
  readonly employeeCode: string;
  readonly effectiveFrom: IsoDate;
  readonly effectiveTo: IsoDate | null;
}

// --- the whole ---------------------------------------------------------------------------------

export interface DemoHealthSystem {
  readonly seed: number;
  readonly name: string;
  /** The date opening stock is counted at; the demo's books open on it. */
  readonly openingDate: IsoDate;
  readonly entities: readonly Entity[];
  readonly intercompanyRelationships: readonly IntercompanyRelationship[];
  readonly accounts: readonly Account[];
  readonly costCenters: readonly CostCenter[];
  readonly departments: readonly Department[];
  readonly parLocations: readonly ParLocation[];
  readonly careLocations: readonly CareLocation[];
  readonly vendors: readonly Vendor[];
  readonly items: readonly Item[];
  readonly itemUoms: readonly ItemUom[];
  readonly chargeMaster: readonly ChargeMasterEntry[];
  readonly parLevels: readonly ParLevel[];
  readonly openingStock: readonly OpeningStock[];
  readonly jobCodes: readonly JobCode[];
  readonly practitioners: readonly Practitioner[];
  readonly employees: readonly Employee[];
  readonly identityLinks: readonly IdentityLink[];
}

/** Record counts per kind, keyed like the arrays of `DemoHealthSystem`. */
export type DemoSummary = {
  readonly [K in keyof DemoHealthSystem as DemoHealthSystem[K] extends readonly unknown[]
    ? K
    : never]: number;
};
