/**
 * Canonical events: the shared language between interpretation (HL7 v2, FHIR, ERP feeds) and the engines
 * (inventory, ledger, charges, workforce). Every event is a plain, immutable record with the same envelope
 * and a payload typed by `type`.
 *
 * Representation choices (the engines rely on them):
 * - Money is `bigint` minor units with its currency beside it (see DESIGN principle 4).
 * - Quantities are `number`, a positive safe integer in the item's BASE unit of measure. Supplies are
 *   counted in whole base units (EA, a vial, a pack when the pack is the base unit); a fraction of a base
 *   unit is an interpretation error, not a rounding. Direction is the event type (used vs returned, charge
 *   vs credit), never the sign.
 * - Times are UTC ISO-8601 strings as `Date.prototype.toISOString` writes them (`2026-11-24T05:15:41.000Z`),
 *   so one instant has one spelling and ids/diffs stay deterministic. Calendar dates are `YYYY-MM-DD`.
 * - Patient, encounter and surgical-case identifiers never appear: only keyed tokens (`pt_…`, `enc_…`,
 *   `case_…`, see tokens.ts). No names, birth dates or addresses of patients either. Practitioner data
 *   (NPI, name) is workforce master data, not patient data, and may appear.
 * - Absent values are `null`, never `undefined`, so an event maps one-to-one onto JSON and table rows.
 */

export const EVENT_TYPES = [
  'SupplyUsed',
  'SupplyWasted',
  'SupplyReturned',
  'ImplantUsed',
  'ChargePosted',
  'ChargeCredited',
  'EncounterStarted',
  'EncounterUpdated',
  'EncounterEnded',
  'EncounterCancelled',
  'DischargeCancelled',
  'CaseScheduled',
  'CaseCancelled',
  'PractitionerChanged',
  'ChargeMasterChanged',
  'LocationChanged',
  'ItemMasterChanged',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** A practitioner as a message names one: the id it sent, the NPI when the id is one, the linked employee. */
export interface ProviderRef {
  /** XCN-1 as sent (an NPI in the demo feeds, a local provider number elsewhere). */
  readonly id: string;
  /** Set when the sender marked the id as an NPI (XCN-13 or XCN-9 naming NPI). */
  readonly npi: string | null;
  /** The HR employee the release links the NPI to on the event's date; null when not linked. */
  readonly employeeCode: string | null;
}

/**
 * Implant / device traceability. Lot and serial are needed on the bill-only requisition and the recall
 * trail, so they travel even though a serial number is a device identifier: it identifies a device, and
 * the patient only through clinical records the ERP never sees.
 */
export interface DeviceTrace {
  /** UDI device identifier (GTIN-14). */
  readonly udiDi: string | null;
  readonly lotNumber: string | null;
  readonly serialNumber: string | null;
  /** YYYY-MM-DD */
  readonly expiryDate: string | null;
  /** The UDI carrier string as scanned, e.g. GS1 `(01)…(17)…(10)…(21)…`. */
  readonly udi: string | null;
  readonly manufacturerName: string | null;
}

/** SupplyUsed, SupplyWasted, SupplyReturned: a stock movement at a par location. */
export interface SupplyPayload {
  /** The ERP item number. */
  readonly itemCode: string;
  /** The EHR supply id the line carried (FT1-7.1). */
  readonly ehrSupplyCode: string;
  /** Item category, the key account determination uses. */
  readonly itemCategory: string;
  /** Base units, positive integer. */
  readonly quantity: number;
  /** The item's base unit of measure. */
  readonly uom: string;
  readonly parLocationCode: string;
  readonly careLocationCode: string;
  /** The consuming department and its cost center (supply expense lands there). */
  readonly departmentCode: string;
  readonly costCenterCode: string;
  readonly encounterToken: string | null;
  readonly caseToken: string | null;
  readonly performer: ProviderRef | null;
  /** Cost per base unit as the EHR sent it (FT1-22); the inventory engine values at its own cost. */
  readonly unitCost: bigint | null;
  readonly currency: string | null;
  readonly implant: boolean;
  readonly trace: DeviceTrace | null;
  /** FT1-2, the sender's line id, for reconciliation. */
  readonly sourceTransactionId: string | null;
  /** True when this event reverses a line (a negative quantity turned into the opposite event type). */
  readonly reversal: boolean;
}

/** ImplantUsed: a bill-only / consignment implant. No stock issue; the ERP gets a bill-only requisition. */
export interface ImplantPayload extends SupplyPayload {
  readonly trace: DeviceTrace;
  readonly billOnly: true;
}

/** ChargePosted, ChargeCredited. */
export interface ChargePayload {
  /** Charge description master code. */
  readonly cdmCode: string;
  /** UB-04 revenue code, 4 digits. */
  readonly revenueCode: string;
  readonly hcpcsCode: string | null;
  /** Positive integer. */
  readonly quantity: number;
  /** Minor units; null when the message gave an extended amount that does not divide by the quantity. */
  readonly unitPrice: bigint | null;
  /** Extended amount, minor units, never negative (a credit is its own event type). */
  readonly amount: bigint;
  readonly currency: string;
  /** Whether the amount came with the message or was priced from the release's charge master. */
  readonly priceSource: 'message' | 'charge-master';
  /** The supply item the CDM line charges for, when it is a supply charge. */
  readonly itemCode: string | null;
  readonly departmentCode: string;
  readonly costCenterCode: string;
  readonly careLocationCode: string | null;
  readonly encounterToken: string | null;
  readonly caseToken: string | null;
  readonly performer: ProviderRef | null;
  readonly sourceTransactionId: string | null;
  readonly reversal: boolean;
}

/** EncounterStarted / Updated / Ended / Cancelled, DischargeCancelled. */
export interface EncounterPayload {
  readonly encounterToken: string;
  readonly patientToken: string | null;
  /** The HL7 trigger that produced it, e.g. `A01`. */
  readonly trigger: string;
  /** PV1-2 (I, O, E, P …). */
  readonly patientClass: string | null;
  readonly admissionType: string | null;
  readonly hospitalService: string | null;
  readonly careLocationCode: string | null;
  readonly departmentCode: string | null;
  readonly costCenterCode: string | null;
  readonly attending: ProviderRef | null;
  readonly admittedAt: string | null;
  readonly dischargedAt: string | null;
}

export interface CaseParticipant {
  /** The role code as sent (AIP-4.1), e.g. `SURG`, `ANES`. */
  readonly role: string;
  readonly provider: ProviderRef;
}

/** CaseScheduled (S12 booked, S13 rescheduled, S14 modified), CaseCancelled (S15). */
export interface CasePayload {
  readonly caseToken: string;
  readonly action: 'booked' | 'rescheduled' | 'modified' | 'cancelled';
  readonly encounterToken: string | null;
  readonly patientToken: string | null;
  readonly procedureCode: string | null;
  readonly procedureCodeSystem: string | null;
  readonly careLocationCode: string | null;
  readonly scheduledStart: string | null;
  readonly scheduledEnd: string | null;
  readonly durationMinutes: number | null;
  readonly participants: readonly CaseParticipant[];
}

/** MFE-1 record-level event codes (HL7 table 0180). */
export type MasterFileAction = 'add' | 'update' | 'delete' | 'deactivate' | 'reactivate';

export interface PractitionerPayload {
  readonly action: MasterFileAction;
  /** The EHR provider id (MFE-4 / STF-2). */
  readonly practitionerId: string;
  readonly npi: string | null;
  readonly employeeCode: string | null;
  readonly familyName: string | null;
  readonly givenName: string | null;
  readonly credential: string | null;
  readonly specialty: string | null;
  readonly active: boolean;
}

export interface ChargeMasterPayload {
  readonly action: MasterFileAction;
  readonly cdmCode: string;
  readonly description: string | null;
  readonly revenueCode: string | null;
  readonly hcpcsCode: string | null;
  readonly price: bigint | null;
  readonly currency: string | null;
  readonly itemCode: string | null;
  /** YYYY-MM-DD */
  readonly effectiveFrom: string | null;
  readonly active: boolean;
}

export interface LocationPayload {
  readonly action: MasterFileAction;
  readonly facility: string;
  readonly pointOfCare: string;
  readonly room: string | null;
  readonly bed: string | null;
  readonly description: string | null;
  readonly locationType: string | null;
  readonly ehrDepartmentCode: string | null;
  /** The care location the release maps it to; null for a location the release does not know yet. */
  readonly careLocationCode: string | null;
  readonly active: boolean;
}

export interface ItemPackage {
  readonly uom: string;
  /** Base units per package. */
  readonly quantity: number;
  readonly orderUnit: boolean;
  readonly price: bigint | null;
}

export interface ItemMasterPayload {
  readonly action: MasterFileAction;
  readonly itemCode: string;
  readonly description: string | null;
  readonly status: string | null;
  readonly itemType: string | null;
  readonly category: string | null;
  readonly expires: boolean | null;
  readonly manufacturerName: string | null;
  readonly manufacturerCatalogNumber: string | null;
  readonly chargeable: boolean | null;
  readonly cdmCode: string | null;
  readonly chargePrice: bigint | null;
  /** False for bill-only / consignment items. */
  readonly stocked: boolean | null;
  readonly vendorCode: string | null;
  readonly vendorCatalogNumber: string | null;
  readonly currency: string | null;
  readonly packages: readonly ItemPackage[];
}

export interface PayloadByType {
  SupplyUsed: SupplyPayload;
  SupplyWasted: SupplyPayload;
  SupplyReturned: SupplyPayload;
  ImplantUsed: ImplantPayload;
  ChargePosted: ChargePayload;
  ChargeCredited: ChargePayload;
  EncounterStarted: EncounterPayload;
  EncounterUpdated: EncounterPayload;
  EncounterEnded: EncounterPayload;
  EncounterCancelled: EncounterPayload;
  DischargeCancelled: EncounterPayload;
  CaseScheduled: CasePayload;
  CaseCancelled: CasePayload;
  PractitionerChanged: PractitionerPayload;
  ChargeMasterChanged: ChargeMasterPayload;
  LocationChanged: LocationPayload;
  ItemMasterChanged: ItemMasterPayload;
}

export interface EventEnvelope<T extends EventType = EventType> {
  /** `ev_` + 32 hex: sha256 of source message id and position (see ids.ts). */
  readonly id: string;
  readonly type: T;
  /** Events with the same key are applied in order; chosen by the caller (see interpret). */
  readonly orderingKey: string;
  /** The inbox key of the message: sender (MSH-3/MSH-4) + control id (MSH-10). */
  readonly sourceMessageId: string;
  /** Where in the message the event comes from, e.g. `FT1[3]`, `PV1`, `MFE[2]`. */
  readonly position: string;
  /** Content hash of the mapping release that interpreted it. */
  readonly mappingReleaseId: string;
  readonly occurredAt: string;
  /** Legal entity code whose books the event belongs to. */
  readonly entity: string;
  readonly payload: PayloadByType[T];
}

export type CanonicalEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

export type EventOf<T extends EventType> = Extract<CanonicalEvent, { type: T }>;

export const SUPPLY_EVENT_TYPES = ['SupplyUsed', 'SupplyWasted', 'SupplyReturned', 'ImplantUsed'] as const;
export const CHARGE_EVENT_TYPES = ['ChargePosted', 'ChargeCredited'] as const;
export const ENCOUNTER_EVENT_TYPES = [
  'EncounterStarted',
  'EncounterUpdated',
  'EncounterEnded',
  'EncounterCancelled',
  'DischargeCancelled',
] as const;
