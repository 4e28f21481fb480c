import { CrosswalkError } from '../errors/index.ts';
import { EVENT_ID_PATTERN } from './ids.ts';
import { type CanonicalEvent, EVENT_TYPES, type EventType } from './types.ts';

/**
 * Runtime validation of canonical events: every producer (HL7 v2, FHIR, ERP feeds) and every consumer that
 * reads events back from storage runs the same checks. A check returns the reason a value is wrong, or null.
 * Token fields must look like tokens of their kind, which keeps a raw MRN or visit number from slipping
 * into a token slot.
 */

type Check = (v: unknown) => string | null;

const MAX_TEXT = 1024;

const text: Check = (v) =>
  typeof v !== 'string'
    ? 'must be a string'
    : v.length === 0
      ? 'must not be empty (use null for absent)'
      : v.length > MAX_TEXT
        ? `must be at most ${MAX_TEXT} characters`
        : null;
const nullable =
  (c: Check): Check =>
  (v) =>
    v === null ? null : c(v);
const textN = nullable(text);
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be a boolean');
const boolN = nullable(bool);
const positiveInt: Check = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? null : 'must be a positive safe integer';
const positiveIntN = nullable(positiveInt);
const money: Check = (v) => (typeof v === 'bigint' ? null : 'must be a bigint (minor units)');
const moneyN = nullable(money);
const nonNegativeMoney: Check = (v) =>
  typeof v !== 'bigint' ? 'must be a bigint (minor units)' : v < 0n ? 'must not be negative' : null;
const currencyN = nullable((v) =>
  typeof v === 'string' && /^[A-Z]{3}$/.test(v) ? null : 'must be ISO 4217',
);
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const instant: Check = (v) =>
  typeof v === 'string' && ISO_UTC.test(v) && new Date(v).toISOString() === v
    ? null
    : 'must be a UTC ISO-8601 time as toISOString writes it';
const instantN = nullable(instant);
const dateN = nullable((v) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`))
    ? null
    : 'must be a YYYY-MM-DD date',
);
const token = (prefix: string): Check => {
  const pattern = new RegExp(`^${prefix}_[0-9a-f]{32}$`);
  return (v) =>
    typeof v === 'string' && pattern.test(v) ? null : `must be a keyed token ${prefix}_<32 hex>`;
};
const oneOf =
  (...values: readonly unknown[]): Check =>
  (v) =>
    values.includes(v) ? null : `must be one of ${values.join(', ')}`;
const literal = (value: unknown): Check => oneOf(value);

type Spec = Readonly<Record<string, Check>>;

/** Checks an object against a spec; extra keys are refused so a typo or a stray field cannot hide. */
function shape(spec: Spec): (v: unknown, path: string) => [string, string] | null {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return [path, 'must be an object'];
    const rec = v as Record<string, unknown>;
    for (const [key, check] of Object.entries(spec)) {
      if (!(key in rec)) return [`${path}.${key}`, 'is missing'];
      const reason = check(rec[key]);
      if (reason !== null) return [`${path}.${key}`, reason];
    }
    for (const key of Object.keys(rec)) if (!(key in spec)) return [`${path}.${key}`, 'is not a known field'];
    return null;
  };
}

function nested(spec: Spec): Check {
  const s = shape(spec);
  return (v) => {
    const bad = s(v, '');
    return bad === null ? null : `${bad[0].slice(1)} ${bad[1]}`;
  };
}

function list(item: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return 'must be an array';
    for (const [i, x] of v.entries()) {
      const reason = item(x);
      if (reason !== null) return `[${i}] ${reason}`;
    }
    return null;
  };
}

const npiN = nullable((v) => (typeof v === 'string' && /^\d{10}$/.test(v) ? null : 'must be 10 digits'));
const provider = nested({ id: text, npi: npiN, employeeCode: textN });
const providerN = nullable(provider);
const trace = nested({
  udiDi: textN,
  lotNumber: textN,
  serialNumber: textN,
  expiryDate: dateN,
  udi: textN,
  manufacturerName: textN,
});

const SUPPLY: Spec = {
  itemCode: text,
  ehrSupplyCode: text,
  itemCategory: text,
  quantity: positiveInt,
  uom: text,
  parLocationCode: text,
  careLocationCode: text,
  departmentCode: text,
  costCenterCode: text,
  encounterToken: nullable(token('enc')),
  caseToken: nullable(token('case')),
  performer: providerN,
  unitCost: moneyN,
  currency: currencyN,
  implant: bool,
  trace: nullable(trace),
  sourceTransactionId: textN,
  reversal: bool,
};

const CHARGE: Spec = {
  cdmCode: text,
  revenueCode: (v) => (typeof v === 'string' && /^\d{4}$/.test(v) ? null : 'must be a 4-digit revenue code'),
  hcpcsCode: textN,
  quantity: positiveInt,
  unitPrice: moneyN,
  amount: nonNegativeMoney,
  currency: (v) => currencyN(v) ?? (v === null ? 'must not be null' : null),
  priceSource: oneOf('message', 'charge-master'),
  itemCode: textN,
  departmentCode: text,
  costCenterCode: text,
  careLocationCode: textN,
  encounterToken: nullable(token('enc')),
  caseToken: nullable(token('case')),
  performer: providerN,
  sourceTransactionId: textN,
  reversal: bool,
};

const ENCOUNTER: Spec = {
  encounterToken: token('enc'),
  patientToken: nullable(token('pt')),
  trigger: text,
  patientClass: textN,
  admissionType: textN,
  hospitalService: textN,
  careLocationCode: textN,
  departmentCode: textN,
  costCenterCode: textN,
  attending: providerN,
  admittedAt: instantN,
  dischargedAt: instantN,
};

const CASE: Spec = {
  caseToken: token('case'),
  action: oneOf('booked', 'rescheduled', 'modified', 'cancelled'),
  encounterToken: nullable(token('enc')),
  patientToken: nullable(token('pt')),
  procedureCode: textN,
  procedureCodeSystem: textN,
  careLocationCode: textN,
  scheduledStart: instantN,
  scheduledEnd: instantN,
  durationMinutes: positiveIntN,
  participants: list(nested({ role: text, provider })),
};

const ACTION = oneOf('add', 'update', 'delete', 'deactivate', 'reactivate');

const PAYLOADS: Readonly<Record<EventType, Spec>> = {
  SupplyUsed: SUPPLY,
  SupplyWasted: SUPPLY,
  SupplyReturned: SUPPLY,
  ImplantUsed: { ...SUPPLY, trace, billOnly: literal(true) },
  ChargePosted: CHARGE,
  ChargeCredited: CHARGE,
  EncounterStarted: ENCOUNTER,
  EncounterUpdated: ENCOUNTER,
  EncounterEnded: ENCOUNTER,
  EncounterCancelled: ENCOUNTER,
  DischargeCancelled: ENCOUNTER,
  CaseScheduled: { ...CASE, action: oneOf('booked', 'rescheduled', 'modified') },
  CaseCancelled: { ...CASE, action: literal('cancelled') },
  PractitionerChanged: {
    action: ACTION,
    practitionerId: text,
    npi: npiN,
    employeeCode: textN,
    familyName: textN,
    givenName: textN,
    credential: textN,
    specialty: textN,
    active: bool,
  },
  ChargeMasterChanged: {
    action: ACTION,
    cdmCode: text,
    description: textN,
    revenueCode: textN,
    hcpcsCode: textN,
    price: moneyN,
    currency: currencyN,
    itemCode: textN,
    effectiveFrom: dateN,
    active: bool,
  },
  LocationChanged: {
    action: ACTION,
    facility: text,
    pointOfCare: text,
    room: textN,
    bed: textN,
    description: textN,
    locationType: textN,
    ehrDepartmentCode: textN,
    careLocationCode: textN,
    active: bool,
  },
  ItemMasterChanged: {
    action: ACTION,
    itemCode: text,
    description: textN,
    status: textN,
    itemType: textN,
    category: textN,
    expires: boolN,
    manufacturerName: textN,
    manufacturerCatalogNumber: textN,
    chargeable: boolN,
    cdmCode: textN,
    chargePrice: moneyN,
    stocked: boolN,
    vendorCode: textN,
    vendorCatalogNumber: textN,
    currency: currencyN,
    packages: list(nested({ uom: text, quantity: positiveInt, orderUnit: bool, price: moneyN })),
  },
};

const ENVELOPE = shape({
  id: (v) =>
    typeof v === 'string' && EVENT_ID_PATTERN.test(v)
      ? null
      : 'must be ev_<14 digits>_<24 hex> or ev_<32 hex>',
  type: oneOf(...EVENT_TYPES),
  orderingKey: text,
  sourceMessageId: text,
  position: text,
  mappingReleaseId: text,
  occurredAt: instant,
  entity: text,
  payload: (v) => (typeof v === 'object' && v !== null ? null : 'must be an object'),
});

const PAYLOAD_SHAPES = Object.fromEntries(
  Object.entries(PAYLOADS).map(([type, spec]) => [type, shape(spec)]),
) as Record<EventType, ReturnType<typeof shape>>;

/** Returns the event typed when it is valid; throws CW_ERR_CANONICAL_INVALID_EVENT naming the field. */
export function validateEvent(value: unknown): CanonicalEvent {
  const typeName =
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
      ? String((value as { type: string }).type).slice(0, 40)
      : '(untyped)';
  const bad =
    ENVELOPE(value, 'event') ??
    PAYLOAD_SHAPES[(value as { type: EventType }).type]((value as { payload: unknown }).payload, 'payload');
  if (bad !== null) {
    throw new CrosswalkError('CW_ERR_CANONICAL_INVALID_EVENT', {
      type: typeName,
      field: bad[0],
      reason: bad[1],
    });
  }
  return value as CanonicalEvent;
}

/** Whether a value is a valid event, without throwing. */
export function isValidEvent(value: unknown): value is CanonicalEvent {
  try {
    validateEvent(value);
    return true;
  } catch (e) {
    if (e instanceof CrosswalkError) return false;
    throw e;
  }
}
