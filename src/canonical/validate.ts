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

/**
 * The fast path: each check may carry a predicate that is true exactly when the check returns null,
 * written without regexes, closures over closures or allocation. validateEvent runs the predicates first
 * and only when one fails runs the checks themselves, which name the field and reason; so the errors are
 * the checks' own, and the predicates only have to agree with them on what is valid.
 */
type Valid = (v: unknown) => boolean;
const predicates = new WeakMap<Check, Valid>();

function withPredicate(check: Check, valid: Valid): Check {
  predicates.set(check, valid);
  return check;
}

function predicateOf(check: Check): Valid {
  return predicates.get(check) ?? ((v) => check(v) === null);
}

const MAX_TEXT = 1024;

const text: Check = withPredicate(
  (v) =>
    typeof v !== 'string'
      ? 'must be a string'
      : v.length === 0
        ? 'must not be empty (use null for absent)'
        : v.length > MAX_TEXT
          ? `must be at most ${MAX_TEXT} characters`
          : null,
  (v) => typeof v === 'string' && v.length !== 0 && v.length <= MAX_TEXT,
);
const nullable = (c: Check): Check => {
  const valid = predicateOf(c);
  return withPredicate(
    (v) => (v === null ? null : c(v)),
    (v) => v === null || valid(v),
  );
};
const textN = nullable(text);
const bool: Check = withPredicate(
  (v) => (typeof v === 'boolean' ? null : 'must be a boolean'),
  (v) => typeof v === 'boolean',
);
const boolN = nullable(bool);
const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const positiveInt: Check = withPredicate(
  (v) => (isPositiveInt(v) ? null : 'must be a positive safe integer'),
  isPositiveInt,
);
const positiveIntN = nullable(positiveInt);
const money: Check = withPredicate(
  (v) => (typeof v === 'bigint' ? null : 'must be a bigint (minor units)'),
  (v) => typeof v === 'bigint',
);
const moneyN = nullable(money);
const nonNegativeMoney: Check = withPredicate(
  (v) => (typeof v !== 'bigint' ? 'must be a bigint (minor units)' : v < 0n ? 'must not be negative' : null),
  (v) => typeof v === 'bigint' && v >= 0n,
);
/** Three capital letters A–Z (what /^[A-Z]{3}$/ accepts). */
function isCurrencyCode(v: unknown): boolean {
  if (typeof v !== 'string' || v.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = v.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}
const currencyN = nullable(
  withPredicate(
    (v) => (typeof v === 'string' && /^[A-Z]{3}$/.test(v) ? null : 'must be ISO 4217'),
    isCurrencyCode,
  ),
);
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const isIsoInstant = (v: unknown) =>
  typeof v === 'string' && ISO_UTC.test(v) && new Date(v).toISOString() === v;
/**
 * Instants that passed, so the events of a message (which share a few times) and of a feed pay the date
 * round trip once. Bounded; only successes are kept.
 */
const validInstants = new Set<string>();
const instant: Check = withPredicate(
  (v) => (isIsoInstant(v) ? null : 'must be a UTC ISO-8601 time as toISOString writes it'),
  (v) => {
    if (typeof v !== 'string') return false;
    if (validInstants.has(v)) return true;
    if (!isIsoInstant(v)) return false;
    if (validInstants.size >= 4096) validInstants.clear();
    validInstants.add(v);
    return true;
  },
);
const instantN = nullable(instant);
const dateN = nullable((v) =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`))
    ? null
    : 'must be a YYYY-MM-DD date',
);

/** Whether s holds only lowercase hex digits from `from` on. */
function hexFrom(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

const token = (prefix: string): Check => {
  const pattern = new RegExp(`^${prefix}_[0-9a-f]{32}$`);
  const head = `${prefix}_`;
  return withPredicate(
    (v) => (typeof v === 'string' && pattern.test(v) ? null : `must be a keyed token ${prefix}_<32 hex>`),
    (v) =>
      typeof v === 'string' && v.length === head.length + 32 && v.startsWith(head) && hexFrom(v, head.length),
  );
};
const oneOf = (...values: readonly unknown[]): Check => {
  const set = new Set(values);
  return withPredicate(
    (v) => (values.includes(v) ? null : `must be one of ${values.join(', ')}`),
    (v) => set.has(v),
  );
};
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

/**
 * The predicate of shape(spec): the object's own enumerable keys are exactly the spec's (compared in
 * order first, which is how producers write them) and every value passes. Equal to shape(spec) finding
 * nothing: presence and the refusal of extra keys follow from the key sets being equal.
 */
/** A spec's keys, in order and as a set, for hasExactly. */
interface KeySet {
  readonly keys: readonly string[];
  readonly known: ReadonlySet<string>;
}

function keySet(spec: Spec): KeySet {
  const keys = Object.keys(spec);
  return { keys, known: new Set(keys) };
}

/**
 * Whether v is an object (not an array) whose enumerable keys, own then inherited as for-in walks them
 * (without allocating), are exactly the spec's: then every key is present and no own key is extra, which
 * is what shape() asks. Producers write the keys in the spec's order, which is compared first.
 */
function hasExactly(v: unknown, ks: KeySet): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = ks.keys;
  let i = 0;
  let inOrder = true;
  for (const k in v) {
    if (inOrder && k !== keys[i]) inOrder = false;
    if (!inOrder && !ks.known.has(k)) return false;
    i++;
  }
  return i === keys.length;
}

/** The predicate of shape(spec): the keys are the spec's and every value passes. */
function validShape(spec: Spec): Valid {
  const ks = keySet(spec);
  const keys = ks.keys;
  const valid = keys.map((k) => predicateOf(spec[k]!));
  const n = keys.length;
  return (v) => {
    if (!hasExactly(v, ks)) return false;
    for (let j = 0; j < n; j++) if (!valid[j]!(v[keys[j]!])) return false;
    return true;
  };
}

function nested(spec: Spec): Check {
  const s = shape(spec);
  return withPredicate((v) => {
    const bad = s(v, '');
    return bad === null ? null : `${bad[0].slice(1)} ${bad[1]}`;
  }, validShape(spec));
}

function list(item: Check): Check {
  const valid = predicateOf(item);
  return withPredicate(
    (v) => {
      if (!Array.isArray(v)) return 'must be an array';
      for (const [i, x] of v.entries()) {
        const reason = item(x);
        if (reason !== null) return `[${i}] ${reason}`;
      }
      return null;
    },
    (v) => {
      if (!Array.isArray(v)) return false;
      for (let i = 0; i < v.length; i++) if (!valid(v[i])) return false;
      return true;
    },
  );
}

/** Whether s is all ASCII digits (what \d matches without the u flag). */
function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const isTenDigits = (v: unknown) => typeof v === 'string' && v.length === 10 && isDigits(v);

const npiN = nullable(
  withPredicate(
    (v) => (typeof v === 'string' && /^\d{10}$/.test(v) ? null : 'must be 10 digits'),
    isTenDigits,
  ),
);
const PROVIDER_SPEC: Spec = { id: text, npi: npiN, employeeCode: textN };
const provider = nested(PROVIDER_SPEC);
const providerN = nullable(provider);
const TRACE_SPEC: Spec = {
  udiDi: textN,
  lotNumber: textN,
  serialNumber: textN,
  expiryDate: dateN,
  udi: textN,
  manufacturerName: textN,
};
const trace = nested(TRACE_SPEC);

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
  revenueCode: withPredicate(
    (v) => (typeof v === 'string' && /^\d{4}$/.test(v) ? null : 'must be a 4-digit revenue code'),
    (v) => typeof v === 'string' && v.length === 4 && isDigits(v),
  ),
  hcpcsCode: textN,
  quantity: positiveInt,
  unitPrice: moneyN,
  amount: nonNegativeMoney,
  currency: withPredicate((v) => currencyN(v) ?? (v === null ? 'must not be null' : null), isCurrencyCode),
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

/** `ev_` + 14 digits + `_` + 24 hex, or `ev_` + 32 hex (EVENT_ID_PATTERN). */
function isEventId(v: unknown): boolean {
  if (typeof v !== 'string' || !v.startsWith('ev_')) return false;
  if (v.length === 35) return hexFrom(v, 3);
  if (v.length !== 42 || v.charCodeAt(17) !== 95) return false;
  for (let i = 3; i < 17; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return hexFrom(v, 18);
}

const ENVELOPE_SPEC: Spec = {
  id: withPredicate(
    (v) =>
      typeof v === 'string' && EVENT_ID_PATTERN.test(v)
        ? null
        : 'must be ev_<14 digits>_<24 hex> or ev_<32 hex>',
    isEventId,
  ),
  type: oneOf(...EVENT_TYPES),
  orderingKey: text,
  sourceMessageId: text,
  position: text,
  mappingReleaseId: text,
  occurredAt: instant,
  entity: text,
  payload: withPredicate(
    (v) => (typeof v === 'object' && v !== null ? null : 'must be an object'),
    (v) => typeof v === 'object' && v !== null,
  ),
};
const ENVELOPE = shape(ENVELOPE_SPEC);

const PAYLOAD_SHAPES = Object.fromEntries(
  Object.entries(PAYLOADS).map(([type, spec]) => [type, shape(spec)]),
) as Record<EventType, ReturnType<typeof shape>>;

/*
 * The shapes every DFT line and every replayed message go through, as straight-line predicates: named
 * property reads and direct calls instead of the spec walk. Each is the spec above written out (same
 * keys, same checks); validate.test.ts disturbs every field of each and compares with the spec's checks.
 */
const isText = (v: unknown): boolean => typeof v === 'string' && v.length !== 0 && v.length <= MAX_TEXT;
const isTextN = (v: unknown): boolean => v === null || isText(v);
const isMoneyN = (v: unknown): boolean => v === null || typeof v === 'bigint';
const isBool = (v: unknown): boolean => typeof v === 'boolean';
const isInstant = predicateOf(instant);
const isDateN = predicateOf(dateN);

/** The last token each prefix passed with: the events of a message carry the same encounter and case. */
const lastTokens = new Map<string, string>();

function isTokenN(v: unknown, head: string): boolean {
  if (v === null) return true;
  if (typeof v !== 'string') return false;
  if (v === lastTokens.get(head)) return true;
  if (v.length !== head.length + 32 || !v.startsWith(head) || !hexFrom(v, head.length)) return false;
  lastTokens.set(head, v);
  return true;
}

const PROVIDER_KEYS = keySet(PROVIDER_SPEC);
function isProviderN(v: unknown): boolean {
  if (v === null) return true;
  if (!hasExactly(v, PROVIDER_KEYS)) return false;
  return isText(v['id']) && (v['npi'] === null || isTenDigits(v['npi'])) && isTextN(v['employeeCode']);
}

const TRACE_KEYS = keySet(TRACE_SPEC);
function isTrace(v: unknown): boolean {
  if (!hasExactly(v, TRACE_KEYS)) return false;
  return (
    isTextN(v['udiDi']) &&
    isTextN(v['lotNumber']) &&
    isTextN(v['serialNumber']) &&
    isDateN(v['expiryDate']) &&
    isTextN(v['udi']) &&
    isTextN(v['manufacturerName'])
  );
}

/** The SUPPLY fields (trace apart: nullable in SUPPLY, required in ImplantUsed). */
function supplyFields(p: Record<string, unknown>): boolean {
  return (
    isText(p['itemCode']) &&
    isText(p['ehrSupplyCode']) &&
    isText(p['itemCategory']) &&
    isPositiveInt(p['quantity']) &&
    isText(p['uom']) &&
    isText(p['parLocationCode']) &&
    isText(p['careLocationCode']) &&
    isText(p['departmentCode']) &&
    isText(p['costCenterCode']) &&
    isTokenN(p['encounterToken'], 'enc_') &&
    isTokenN(p['caseToken'], 'case_') &&
    isProviderN(p['performer']) &&
    isMoneyN(p['unitCost']) &&
    (p['currency'] === null || isCurrencyCode(p['currency'])) &&
    isBool(p['implant']) &&
    isTextN(p['sourceTransactionId']) &&
    isBool(p['reversal'])
  );
}

const SUPPLY_KEYS = keySet(SUPPLY);
function isSupply(v: unknown): boolean {
  return hasExactly(v, SUPPLY_KEYS) && supplyFields(v) && (v['trace'] === null || isTrace(v['trace']));
}

const IMPLANT_KEYS = keySet(PAYLOADS.ImplantUsed);
function isImplant(v: unknown): boolean {
  return hasExactly(v, IMPLANT_KEYS) && supplyFields(v) && isTrace(v['trace']) && v['billOnly'] === true;
}

const CHARGE_KEYS = keySet(CHARGE);
function isCharge(v: unknown): boolean {
  if (!hasExactly(v, CHARGE_KEYS)) return false;
  const revenueCode = v['revenueCode'];
  const amount = v['amount'];
  const priceSource = v['priceSource'];
  return (
    isText(v['cdmCode']) &&
    typeof revenueCode === 'string' &&
    revenueCode.length === 4 &&
    isDigits(revenueCode) &&
    isTextN(v['hcpcsCode']) &&
    isPositiveInt(v['quantity']) &&
    isMoneyN(v['unitPrice']) &&
    typeof amount === 'bigint' &&
    amount >= 0n &&
    isCurrencyCode(v['currency']) &&
    (priceSource === 'message' || priceSource === 'charge-master') &&
    isTextN(v['itemCode']) &&
    isText(v['departmentCode']) &&
    isText(v['costCenterCode']) &&
    isTextN(v['careLocationCode']) &&
    isTokenN(v['encounterToken'], 'enc_') &&
    isTokenN(v['caseToken'], 'case_') &&
    isProviderN(v['performer']) &&
    isTextN(v['sourceTransactionId']) &&
    isBool(v['reversal'])
  );
}

const VALID_PAYLOADS = new Map<unknown, Valid>(
  Object.entries(PAYLOADS).map(([type, spec]) => [type, validShape(spec)]),
);
VALID_PAYLOADS.set('SupplyUsed', isSupply);
VALID_PAYLOADS.set('SupplyWasted', isSupply);
VALID_PAYLOADS.set('SupplyReturned', isSupply);
VALID_PAYLOADS.set('ImplantUsed', isImplant);
VALID_PAYLOADS.set('ChargePosted', isCharge);
VALID_PAYLOADS.set('ChargeCredited', isCharge);

const ENVELOPE_KEYS = keySet(ENVELOPE_SPEC);
const EVENT_TYPE_SET: ReadonlySet<unknown> = new Set(EVENT_TYPES);
function isEnvelope(v: unknown): v is Record<string, unknown> {
  if (!hasExactly(v, ENVELOPE_KEYS)) return false;
  const payload = v['payload'];
  return (
    isEventId(v['id']) &&
    EVENT_TYPE_SET.has(v['type']) &&
    isText(v['orderingKey']) &&
    isText(v['sourceMessageId']) &&
    isText(v['position']) &&
    isText(v['mappingReleaseId']) &&
    isInstant(v['occurredAt']) &&
    isText(v['entity']) &&
    typeof payload === 'object' &&
    payload !== null
  );
}

/** The fast path alone: true exactly when eventProblem finds nothing (validate.test.ts holds it to that). */
export function passesFastChecks(value: unknown): boolean {
  return isEnvelope(value) && VALID_PAYLOADS.get(value['type'])!(value['payload']);
}

/** The first field that is wrong and why, as [path, reason]; null for a valid event. */
export function eventProblem(value: unknown): [string, string] | null {
  return (
    ENVELOPE(value, 'event') ??
    PAYLOAD_SHAPES[(value as { type: EventType }).type]((value as { payload: unknown }).payload, 'payload')
  );
}

/** Returns the event typed when it is valid; throws CW_ERR_CANONICAL_INVALID_EVENT naming the field. */
export function validateEvent(value: unknown): CanonicalEvent {
  if (passesFastChecks(value)) return value as CanonicalEvent;
  const typeName =
    typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
      ? String((value as { type: string }).type).slice(0, 40)
      : '(untyped)';
  const bad = eventProblem(value);
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
