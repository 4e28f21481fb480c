/**
 * The FHIR R4 resource types Crosswalk serves and what it knows about each: the elements that must be
 * there, the code sets of the elements that drive mapping, the element types it checks, the search
 * parameters it indexes, and whether a write has back-office effects (and so goes to the inbox and the
 * apply stage). One table: validation, search, the CapabilityStatement and the write path all read it,
 * so what the server says about itself is what it does.
 */

export type ElementType =
  | 'code'
  | 'string'
  | 'uri'
  | 'boolean'
  | 'integer'
  | 'decimal'
  | 'date'
  | 'dateTime'
  | 'instant'
  | 'Reference'
  | 'CodeableConcept'
  | 'Coding'
  | 'Identifier'
  | 'Quantity'
  | 'Period'
  | 'Money';

export type SearchKind = 'token' | 'reference' | 'date';

export interface SearchParamSpec {
  readonly name: string;
  readonly kind: SearchKind;
  /** Dotted element paths (choice types spelled out, e.g. `performedDateTime`); arrays are walked. */
  readonly paths: readonly string[];
  /** Reference params: the target types (a bare id is taken as the first). */
  readonly targets?: readonly string[];
  /** The standard R4 definition; absent for the few Crosswalk adds (said so in the CapabilityStatement). */
  readonly definition?: string;
  readonly documentation: string;
}

export interface ResourceSpec {
  readonly type: string;
  /** Elements with cardinality 1.. in R4 (choice types as `name[x]`). */
  readonly required: readonly string[];
  /** Element paths and their type; `[]` suffix: an array of that type. */
  readonly elements: Readonly<Record<string, `${ElementType}` | `${ElementType}[]`>>;
  /** Required code sets of elements Crosswalk relies on. */
  readonly codes: Readonly<Record<string, readonly string[]>>;
  readonly search: readonly SearchParamSpec[];
  /** A write has back-office effects: it is stored in the inbox too and reaches the apply stage. */
  readonly inbound: boolean;
  readonly purpose: string;
}

const R4 = 'http://hl7.org/fhir/SearchParameter/';
const CROSSWALK_SP = 'https://crosswalk.invalid/fhir/SearchParameter/';

const identifier = (type: string): SearchParamSpec => ({
  name: 'identifier',
  kind: 'token',
  paths: ['identifier'],
  definition: `${R4}${type}-identifier`,
  documentation: 'Business identifier: system|value, |value, system| or value',
});

const patientOf = (type: string, path: string): SearchParamSpec => ({
  name: 'patient',
  kind: 'reference',
  paths: [path],
  targets: ['Patient'],
  definition: `${R4}clinical-patient`,
  documentation: `${type}.${path} when it is a Patient`,
});

const subjectOf = (type: string): SearchParamSpec => ({
  name: 'subject',
  kind: 'reference',
  paths: ['subject'],
  targets: ['Patient', 'Group'],
  definition: `${R4}${type}-subject`,
  documentation: `${type}.subject`,
});

const statusOf = (type: string): SearchParamSpec => ({
  name: 'status',
  kind: 'token',
  paths: ['status'],
  definition: `${R4}${type}-status`,
  documentation: `${type}.status`,
});

const PERIOD_OR_DATETIME = (stem: string) => [`${stem}DateTime`, `${stem}Period`];

export const RESOURCE_SPECS: readonly ResourceSpec[] = [
  {
    type: 'SupplyDelivery',
    required: [],
    elements: {
      status: 'code',
      patient: 'Reference',
      type: 'CodeableConcept',
      'suppliedItem.quantity': 'Quantity',
      'suppliedItem.itemCodeableConcept': 'CodeableConcept',
      'suppliedItem.itemReference': 'Reference',
      occurrenceDateTime: 'dateTime',
      occurrencePeriod: 'Period',
      supplier: 'Reference',
      destination: 'Reference',
      identifier: 'Identifier[]',
    },
    codes: { status: ['in-progress', 'completed', 'abandoned', 'entered-in-error'] },
    search: [
      identifier('SupplyDelivery'),
      patientOf('SupplyDelivery', 'patient'),
      statusOf('SupplyDelivery'),
      {
        name: 'date',
        kind: 'date',
        paths: PERIOD_OR_DATETIME('occurrence'),
        definition: `${CROSSWALK_SP}SupplyDelivery-date`,
        documentation: 'SupplyDelivery.occurrence[x] (added by Crosswalk: R4 defines no date parameter here)',
      },
    ],
    inbound: true,
    purpose: 'supplies delivered to a patient: supply usage at the par location of the care location',
  },
  {
    type: 'SupplyRequest',
    required: ['quantity', 'item[x]'],
    elements: {
      status: 'code',
      quantity: 'Quantity',
      itemCodeableConcept: 'CodeableConcept',
      itemReference: 'Reference',
      authoredOn: 'dateTime',
      requester: 'Reference',
      identifier: 'Identifier[]',
    },
    codes: {
      status: ['draft', 'active', 'suspended', 'cancelled', 'completed', 'entered-in-error', 'unknown'],
    },
    search: [
      identifier('SupplyRequest'),
      statusOf('SupplyRequest'),
      {
        name: 'date',
        kind: 'date',
        paths: ['authoredOn'],
        definition: `${R4}SupplyRequest-date`,
        documentation: 'SupplyRequest.authoredOn',
      },
      {
        name: 'requester',
        kind: 'reference',
        paths: ['requester'],
        targets: ['Practitioner', 'PractitionerRole', 'Organization', 'Patient', 'RelatedPerson', 'Device'],
        definition: `${R4}SupplyRequest-requester`,
        documentation: 'SupplyRequest.requester',
      },
    ],
    inbound: false,
    purpose: 'stored and searchable; replenishment comes from par levels, not from EHR requests',
  },
  {
    type: 'ChargeItem',
    required: ['status', 'code', 'subject'],
    elements: {
      status: 'code',
      code: 'CodeableConcept',
      subject: 'Reference',
      context: 'Reference',
      occurrenceDateTime: 'dateTime',
      occurrencePeriod: 'Period',
      quantity: 'Quantity',
      priceOverride: 'Money',
      factorOverride: 'decimal',
      performingOrganization: 'Reference',
      requestingOrganization: 'Reference',
      costCenter: 'Reference',
      enteredDate: 'dateTime',
      identifier: 'Identifier[]',
    },
    codes: {
      status: ['planned', 'billable', 'not-billable', 'aborted', 'billed', 'entered-in-error', 'unknown'],
    },
    search: [
      identifier('ChargeItem'),
      patientOf('ChargeItem', 'subject'),
      subjectOf('ChargeItem'),
      {
        name: 'context',
        kind: 'reference',
        paths: ['context'],
        targets: ['Encounter', 'EpisodeOfCare'],
        definition: `${R4}ChargeItem-context`,
        documentation: 'ChargeItem.context (the encounter)',
      },
      {
        name: 'occurrence',
        kind: 'date',
        paths: PERIOD_OR_DATETIME('occurrence'),
        definition: `${R4}ChargeItem-occurrence`,
        documentation: 'ChargeItem.occurrence[x]',
      },
      {
        name: 'date',
        kind: 'date',
        paths: PERIOD_OR_DATETIME('occurrence'),
        definition: `${CROSSWALK_SP}ChargeItem-date`,
        documentation: 'ChargeItem.occurrence[x] under the common name (added by Crosswalk)',
      },
    ],
    inbound: true,
    purpose: 'charges: gross revenue by revenue code through the charge master of the release',
  },
  {
    type: 'ChargeItemDefinition',
    required: ['url', 'status'],
    elements: {
      url: 'uri',
      status: 'code',
      code: 'CodeableConcept',
      date: 'dateTime',
      title: 'string',
      identifier: 'Identifier[]',
    },
    codes: { status: ['draft', 'active', 'retired', 'unknown'] },
    search: [
      identifier('ChargeItemDefinition'),
      statusOf('ChargeItemDefinition'),
      {
        name: 'url',
        kind: 'token',
        paths: ['url'],
        definition: `${R4}ChargeItemDefinition-url`,
        documentation: 'ChargeItemDefinition.url',
      },
      {
        name: 'date',
        kind: 'date',
        paths: ['date'],
        definition: `${R4}ChargeItemDefinition-date`,
        documentation: 'ChargeItemDefinition.date',
      },
    ],
    inbound: true,
    purpose: 'charge master lines (CDM): ChargeMasterChanged',
  },
  {
    type: 'Procedure',
    required: ['status', 'subject'],
    elements: {
      status: 'code',
      subject: 'Reference',
      encounter: 'Reference',
      code: 'CodeableConcept',
      performedDateTime: 'dateTime',
      performedPeriod: 'Period',
      location: 'Reference',
      usedReference: 'Reference[]',
      usedCode: 'CodeableConcept[]',
      identifier: 'Identifier[]',
    },
    codes: {
      status: [
        'preparation',
        'in-progress',
        'not-done',
        'on-hold',
        'stopped',
        'completed',
        'entered-in-error',
        'unknown',
      ],
    },
    search: [
      identifier('Procedure'),
      patientOf('Procedure', 'subject'),
      subjectOf('Procedure'),
      statusOf('Procedure'),
      {
        name: 'encounter',
        kind: 'reference',
        paths: ['encounter'],
        targets: ['Encounter'],
        definition: `${R4}clinical-encounter`,
        documentation: 'Procedure.encounter',
      },
      {
        name: 'date',
        kind: 'date',
        paths: PERIOD_OR_DATETIME('performed'),
        definition: `${R4}clinical-date`,
        documentation: 'Procedure.performed[x]',
      },
    ],
    inbound: true,
    purpose: 'the items a procedure used (usedCode, usedReference): supply usage, implants',
  },
  {
    type: 'Encounter',
    required: ['status', 'class'],
    elements: {
      status: 'code',
      class: 'Coding',
      subject: 'Reference',
      period: 'Period',
      serviceProvider: 'Reference',
      identifier: 'Identifier[]',
    },
    codes: {
      status: [
        'planned',
        'arrived',
        'triaged',
        'in-progress',
        'onleave',
        'finished',
        'cancelled',
        'entered-in-error',
        'unknown',
      ],
    },
    search: [
      identifier('Encounter'),
      patientOf('Encounter', 'subject'),
      subjectOf('Encounter'),
      statusOf('Encounter'),
      {
        name: 'date',
        kind: 'date',
        paths: ['period'],
        definition: `${R4}clinical-date`,
        documentation: 'Encounter.period',
      },
      {
        name: 'location',
        kind: 'reference',
        paths: ['location.location'],
        targets: ['Location'],
        definition: `${R4}Encounter-location`,
        documentation: 'Encounter.location.location',
      },
    ],
    inbound: true,
    purpose: 'encounter context for costing and reconciliation',
  },
  {
    type: 'Practitioner',
    required: [],
    elements: { active: 'boolean', identifier: 'Identifier[]' },
    codes: {},
    search: [identifier('Practitioner')],
    inbound: true,
    purpose: 'practitioner master (PractitionerChanged), linked to employees by NPI',
  },
  {
    type: 'PractitionerRole',
    required: [],
    elements: {
      active: 'boolean',
      practitioner: 'Reference',
      organization: 'Reference',
      identifier: 'Identifier[]',
    },
    codes: {},
    search: [
      identifier('PractitionerRole'),
      {
        name: 'practitioner',
        kind: 'reference',
        paths: ['practitioner'],
        targets: ['Practitioner'],
        definition: `${R4}PractitionerRole-practitioner`,
        documentation: 'PractitionerRole.practitioner',
      },
      {
        name: 'organization',
        kind: 'reference',
        paths: ['organization'],
        targets: ['Organization'],
        definition: `${R4}PractitionerRole-organization`,
        documentation: 'PractitionerRole.organization',
      },
    ],
    inbound: true,
    purpose: 'practitioner master: the role and specialty of a practitioner (PractitionerChanged)',
  },
  {
    type: 'Organization',
    required: [],
    elements: { active: 'boolean', name: 'string', identifier: 'Identifier[]' },
    codes: {},
    search: [identifier('Organization')],
    inbound: false,
    purpose:
      'facilities and departments: read by the release (facilities, departments tables) through their identifiers',
  },
  {
    type: 'Location',
    required: [],
    elements: {
      status: 'code',
      name: 'string',
      managingOrganization: 'Reference',
      partOf: 'Reference',
      identifier: 'Identifier[]',
    },
    codes: { status: ['active', 'suspended', 'inactive'] },
    search: [
      identifier('Location'),
      {
        name: 'organization',
        kind: 'reference',
        paths: ['managingOrganization'],
        targets: ['Organization'],
        definition: `${R4}Location-organization`,
        documentation: 'Location.managingOrganization',
      },
    ],
    inbound: true,
    purpose: 'care locations (LocationChanged), mapped to par locations and departments by the release',
  },
  {
    type: 'Device',
    required: [],
    elements: {
      status: 'code',
      patient: 'Reference',
      type: 'CodeableConcept',
      lotNumber: 'string',
      serialNumber: 'string',
      expirationDate: 'dateTime',
      location: 'Reference',
      identifier: 'Identifier[]',
    },
    codes: { status: ['active', 'inactive', 'entered-in-error', 'unknown'] },
    search: [identifier('Device'), patientOf('Device', 'patient')],
    inbound: true,
    purpose: 'a device implanted in a patient: implant usage (bill-only when the item is)',
  },
  {
    type: 'DeviceDefinition',
    required: [],
    elements: {
      identifier: 'Identifier[]',
      manufacturerString: 'string',
      modelNumber: 'string',
      type: 'CodeableConcept',
    },
    codes: {},
    search: [identifier('DeviceDefinition')],
    inbound: false,
    purpose:
      'the item master as Crosswalk publishes it (stored and searchable, no events: the ERP is the system of record for items)',
  },
  {
    type: 'Patient',
    required: [],
    elements: { active: 'boolean', identifier: 'Identifier[]' },
    codes: {},
    search: [identifier('Patient')],
    inbound: false,
    purpose:
      'the target of patient references; its identifier becomes the keyed token (nothing after the edge holds it)',
  },
];

export const SPEC_BY_TYPE: ReadonlyMap<string, ResourceSpec> = new Map(
  RESOURCE_SPECS.map((s) => [s.type, s]),
);

export const SUPPORTED_TYPES: readonly string[] = RESOURCE_SPECS.map((s) => s.type);

/** Parameters every type takes besides its own. */
export const COMMON_SEARCH: readonly SearchParamSpec[] = [
  {
    name: '_id',
    kind: 'token',
    paths: ['id'],
    definition: `${R4}Resource-id`,
    documentation: 'Logical id',
  },
  {
    name: '_lastUpdated',
    kind: 'date',
    paths: ['meta.lastUpdated'],
    definition: `${R4}Resource-lastUpdated`,
    documentation: 'When the current version was stored',
  },
];

export function searchParamsOf(type: string): readonly SearchParamSpec[] {
  return [...COMMON_SEARCH, ...(SPEC_BY_TYPE.get(type)?.search ?? [])];
}

/** `_count` when the client gives none, and the most it may ask for. */
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 1000;
