/**
 * A mapping release: everything interpretation needs to turn EHR codes into ERP codes, as immutable data.
 * Every crosswalk row is effective-dated (`effectiveFrom`/`effectiveTo` inclusive `YYYY-MM-DD`, null =
 * open-ended); rows of one key may not overlap. Money is bigint minor units.
 */

/** What an FT1-6 transaction type means. */
export type Ft1Meaning = 'usage' | 'waste' | 'return' | 'charge' | 'credit';

export interface FieldRules {
  /** FT1-6 value → meaning, e.g. `{ SU: 'usage', SW: 'waste', SR: 'return', CG: 'charge', CD: 'credit' }`. */
  readonly transactionTypes: Readonly<Record<string, Ft1Meaning>>;
  /**
   * A negative FT1-10 quantity: `reverse` turns the line into its opposite (usage ↔ return, charge ↔
   * credit; a negative waste line cannot be reversed) with `reversal: true`; `reject` makes it an error.
   */
  readonly negativeQuantity: 'reverse' | 'reject';
  /** Where the charge code is read, first non-empty wins, e.g. `['FT1-25.1', 'FT1-7.1']`. */
  readonly chargeCodePaths: readonly string[];
  /** Where a line's unit of measure is read (null: quantities are in base units). */
  readonly quantityUomPath: string | null;
  /** FT1 field numbers holding lot / serial / UDI when the sender puts them in FT1 instead of ZIM. */
  readonly ft1TraceFields: {
    readonly lotNumber: number | null;
    readonly serialNumber: number | null;
    readonly udi: number | null;
  };
}

interface Effective {
  /** YYYY-MM-DD inclusive; null = since always. */
  readonly effectiveFrom: string | null;
  /** YYYY-MM-DD inclusive; null = until further notice. */
  readonly effectiveTo: string | null;
}

/** Sending facility (MSH-4.1) or PL-4 facility → legal entity. */
export interface FacilityRow extends Effective {
  readonly facility: string;
  readonly entityCode: string;
}

/** EHR supply code (FT1-7.1) → ERP item and the attributes interpretation needs. */
export interface ItemRow extends Effective {
  readonly ehrSupplyCode: string;
  readonly itemCode: string;
  readonly description: string;
  readonly category: string;
  readonly baseUom: string;
  readonly implant: boolean;
  readonly billOnly: boolean;
}

/** Packaging levels: how many base units one `uom` of an ERP item holds. */
export interface ItemUomRow extends Effective {
  readonly itemCode: string;
  readonly uom: string;
  readonly baseQuantity: number;
}

/** EHR department (FT1-13.1) → department and cost center. */
export interface DepartmentRow extends Effective {
  readonly ehrDepartmentCode: string;
  readonly departmentCode: string;
  readonly costCenterCode: string;
  readonly entityCode: string;
}

/** Facility + point of care (PL-4, PL-1) → care location, the par location it draws from, its department. */
export interface CareLocationRow extends Effective {
  readonly facility: string;
  readonly pointOfCare: string;
  readonly careLocationCode: string;
  readonly parLocationCode: string;
  readonly departmentCode: string;
  readonly costCenterCode: string;
  readonly entityCode: string;
}

/** Practitioner NPI → HR employee (the identity link). */
export interface PractitionerRow extends Effective {
  readonly npi: string;
  readonly employeeCode: string;
}

/** Charge description master line. */
export interface ChargeRow extends Effective {
  readonly cdmCode: string;
  readonly description: string;
  readonly revenueCode: string;
  readonly hcpcsCode: string | null;
  readonly price: bigint;
  readonly currency: string;
  readonly itemCode: string | null;
}

/**
 * Account-determination input for the ledger's posting rules: which account roles an event of a type, for
 * an item category in an entity, debits and credits. `*` matches any category / entity; the most specific
 * row wins (entity and category > entity > category > both wildcards, the ledger's own precedence).
 * Interpretation only carries this; the ledger applies it.
 */
export interface AccountDeterminationRow extends Effective {
  readonly itemCategory: string;
  readonly entityCode: string;
  readonly eventType: string;
  readonly debitRole: string;
  readonly creditRole: string;
}

export interface ReleaseTables {
  readonly facilities: readonly FacilityRow[];
  readonly items: readonly ItemRow[];
  readonly itemUoms: readonly ItemUomRow[];
  readonly departments: readonly DepartmentRow[];
  readonly careLocations: readonly CareLocationRow[];
  readonly practitioners: readonly PractitionerRow[];
  readonly chargeMaster: readonly ChargeRow[];
  readonly accountDetermination: readonly AccountDeterminationRow[];
}

export type TableName = keyof ReleaseTables;

export type AnyRow = ReleaseTables[TableName][number];

export interface ReleaseContent extends ReleaseTables {
  /** A human label, e.g. `2026-11 demo`. */
  readonly name: string;
  readonly description: string;
  /**
   * IANA time zone HL7 times without an offset are read in (the EHR's local time), e.g.
   * `America/New_York`. Effective dates are compared with the sender's local calendar date.
   */
  readonly timeZone: string;
  readonly fieldRules: FieldRules;
}

export type ReleaseStatus = 'proposed' | 'approved' | 'active' | 'superseded';

/** A release as governance sees it. The id is the content hash: equal content, equal id. */
export interface MappingRelease {
  readonly id: string;
  readonly content: ReleaseContent;
  readonly author: string;
  readonly approver: string | null;
  readonly status: ReleaseStatus;
}
