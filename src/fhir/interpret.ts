import {
  type CanonicalEvent,
  type DeviceTrace,
  type EventType,
  eventId,
  identifierKey,
  MIN_TOKEN_KEY_BYTES,
  type PayloadByType,
  type ProviderRef,
  type SupplyPayload,
  tokenize,
  validateEvent,
} from '../canonical/index.ts';
import { CrosswalkError, isCrosswalkError } from '../errors/index.ts';
import {
  type CareLocationRow,
  findCareLocation,
  findCharge,
  findFacility,
  findItem,
  findPractitioner,
  type ItemRow,
  type MappingRelease,
  minorDigits,
  resolveCareLocation,
  resolveDepartment,
  resolveFacility,
  resolveUomFactor,
} from '../mapping/index.ts';
import { type FhirInboundDocument, type InboundContext, isEnvelope } from './envelope.ts';
import { arr, type FhirResource, type JsonObject, obj, str } from './json.ts';

/**
 * A stored FHIR write (its inbox envelope, see envelope.ts) → canonical events, through the same
 * mapping release as HL7 v2. Pure and deterministic: event ids come from the inbox key
 * (`fhir|Type/id/_history/n`) and the element the event comes from, so a replay gives the same ids.
 *
 * How FHIR meets the release's tables:
 * - supply items: the codes of `suppliedItem.itemCodeableConcept`, `Procedure.usedCode`, or the used
 *   Device's `type`, in order, are looked up as EHR supply codes; the first the release maps wins;
 * - places: a Location's first identifier value is the point of care, its managing Organization's (or the
 *   encounter's service provider's) first identifier value the facility, as PL-1 and PL-4 are for HL7;
 * - charges: ChargeItem.code codings are looked up as CDM codes; the department is the identifier value
 *   of the performing (or cost-center, or requesting) Organization, else the care location's;
 * - master data without a facility of its own takes the FHIR source (the inbox sender) as the facility
 *   that names the entity, as the sending facility does for MFN.
 * - patients and encounters: keyed tokens of their business identifier (`system|value`), the same normal
 *   form as HL7's `authority|id`; without one, of `fhir:<Type>|<id>`.
 *
 * An update reverses what the version it supersedes did (a SupplyDelivery whose quantity changes from
 * 2 to 3 returns 2 and uses 3), so a corrected resource never double-counts; `entered-in-error` only
 * reverses.
 */

export interface FhirStoredMessage {
  readonly sender: string;
  readonly controlId: string;
  readonly receivedAt: string;
  readonly orderingKey: string;
  readonly raw: Buffer;
}

export interface FhirInterpretContext {
  readonly release: MappingRelease;
  readonly tokenKey: Uint8Array;
}

export type FhirInterpretation =
  | { readonly kind: 'events'; readonly messageType: string; readonly events: readonly CanonicalEvent[] }
  | { readonly kind: 'skipped'; readonly messageType: string; readonly code: string; readonly reason: string }
  | { readonly kind: 'failed'; readonly messageType: string; readonly error: CrosswalkError };

/** A stored inbox row is FHIR when its bytes are a JSON object (HL7 v2 starts with MSH, BHS or FHS). */
export function isFhirMessage(m: { readonly raw: Buffer }): boolean {
  return m.raw.length > 0 && m.raw[0] === 0x7b;
}

interface Instant {
  readonly iso: string;
  /** The sender's calendar date as written, which effective dates are compared with. */
  readonly date: string;
}

const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';

function missing(position: string, what: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_MISSING_FIELD', { position, what });
}

function badValue(position: string, value: string, reason: string): CrosswalkError {
  return new CrosswalkError('CW_ERR_INTERPRET_BAD_VALUE', { position, value: value.slice(0, 40), reason });
}

function instantOf(text: string | null, position: string): Instant | null {
  if (text === null) return null;
  const t = Date.parse(
    text.length === 10
      ? `${text}T00:00:00Z`
      : text.length < 10
        ? `${text.padEnd(7, '-01')}-01T00:00:00Z`
        : text,
  );
  if (Number.isNaN(t)) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_TIMESTAMP', { position, value: text.slice(0, 40) });
  }
  return { iso: new Date(t).toISOString(), date: text.slice(0, 10).padEnd(10, '-01').slice(0, 10) };
}

function firstIdentifier(r: JsonObject | null | undefined): { system: string; value: string } | null {
  if (!r) return null;
  const ids = arr(r['identifier'])
    .map(obj)
    .filter((i): i is JsonObject => i !== null && str(i['value']) !== null);
  const preferred =
    ids.find((i) => str(obj(i['type'])?.['text']) === 'Medical Record Number') ??
    ids.find((i) => arr(obj(i['type'])?.['coding']).some((c) => str(obj(c)?.['code']) === 'MR')) ??
    ids.find((i) => i['use'] === 'official' || i['use'] === 'usual') ??
    ids[0];
  return preferred ? { system: str(preferred['system']) ?? '', value: str(preferred['value'])! } : null;
}

function identifierValue(r: JsonObject | null | undefined): string | null {
  if (!r) return null;
  for (const i of arr(r['identifier'])) {
    const v = str(obj(i)?.['value']);
    if (v !== null) return v;
  }
  return null;
}

function codesOf(concept: unknown): string[] {
  return arr(obj(concept)?.['coding'])
    .map((c) => str(obj(c)?.['code']))
    .filter((c): c is string => c !== null);
}

class FhirEmitter {
  readonly events: CanonicalEvent[] = [];
  readonly sourceMessageId: string;

  constructor(
    readonly message: FhirStoredMessage,
    readonly doc: FhirInboundDocument,
    readonly ctx: FhirInterpretContext,
  ) {
    this.sourceMessageId = `${message.sender}|${message.controlId}`;
  }

  get release(): MappingRelease {
    return this.ctx.release;
  }

  /** The stored version's lastUpdated: the ids' sort prefix, read from the stored bytes. */
  get sourceTime(): string {
    return str(obj(this.doc.resource['meta'])?.['lastUpdated']) ?? this.message.receivedAt;
  }

  get received(): Instant {
    return { iso: this.message.receivedAt, date: this.message.receivedAt.slice(0, 10) };
  }

  emit<T extends EventType>(
    type: T,
    position: string,
    at: Instant,
    entity: string,
    payload: PayloadByType[T],
  ): void {
    this.events.push(
      validateEvent({
        id: eventId(this.sourceMessageId, position, this.sourceTime),
        type,
        orderingKey: this.message.orderingKey,
        sourceMessageId: this.sourceMessageId,
        position,
        mappingReleaseId: this.release.id,
        occurredAt: at.iso,
        entity,
        payload,
      }),
    );
  }

  token(kind: 'patient' | 'encounter', snap: JsonObject | undefined): string | null {
    if (!snap) return null;
    const ident = firstIdentifier(snap);
    if (ident) return tokenize(this.ctx.tokenKey, kind, identifierKey(ident.system, ident.value));
    const id = str(snap['id']);
    return id === null
      ? null
      : tokenize(this.ctx.tokenKey, kind, identifierKey(`fhir:${snap['resourceType']}`, id));
  }

  /** The facility that names the entity of master data without a place of its own: the FHIR source. */
  sourceEntity(date: string): string {
    return resolveFacility(this.release, this.message.sender, date, 'FHIR source').entityCode;
  }

  provider(snap: JsonObject | undefined, date: string): ProviderRef | null {
    if (!snap) return null;
    const npi = npiOf(snap);
    const id = npi ?? identifierValue(snap) ?? str(snap['id']);
    if (id === null) return null;
    return {
      id,
      npi,
      employeeCode: npi === null ? null : (findPractitioner(this.release, npi, date)?.employeeCode ?? null),
    };
  }
}

function npiOf(snap: JsonObject): string | null {
  for (const i of arr(snap['identifier'])) {
    const o = obj(i);
    const v = str(o?.['value']);
    if (o && o['system'] === NPI_SYSTEM && v !== null && /^\d{10}$/.test(v)) return v;
  }
  return null;
}

/** A Location in the context as the release's care location key: facility + point of care. */
function placeOf(
  context: InboundContext,
  where: string,
  serviceProvider: string | null,
): { facility: string; pointOfCare: string } | null {
  const loc = context[where];
  if (!loc) return null;
  const pointOfCare = identifierValue(loc) ?? str(loc['id']);
  if (pointOfCare === null) return null;
  const org =
    identifierValue(context[`${where}.managingOrganization`]) ??
    str(obj(obj(loc['managingOrganization'])?.['identifier'])?.['value']) ??
    (serviceProvider === null ? null : identifierValue(context[serviceProvider]));
  return { facility: org ?? '', pointOfCare };
}

/** Where supplies of a resource were used: its own Location, else its encounter's first one. */
function careLocationFor(
  em: FhirEmitter,
  context: InboundContext,
  own: string,
  encounterAt: string,
  date: string,
  position: string,
): CareLocationRow {
  const place =
    placeOf(context, own, null) ??
    placeOf(context, `${encounterAt}.location[0].location`, `${encounterAt}.serviceProvider`);
  if (place === null) throw missing(position, 'the care location supplies are issued at');
  return resolveCareLocation(em.release, place.facility, place.pointOfCare, date, position);
}

function itemFor(
  em: FhirEmitter,
  codes: readonly string[],
  date: string,
  position: string,
): { item: ItemRow; code: string } {
  if (codes.length === 0) throw missing(position, 'the supply item code');
  for (const code of codes) {
    const item = findItem(em.release, code, date);
    if (item) return { item, code };
  }
  throw new CrosswalkError('CW_ERR_MAP_UNMAPPED_ITEM', { code: codes[0]!, position, date });
}

function wholeQuantity(value: unknown, position: string): number {
  if (value === undefined) throw missing(position, 'the quantity of a supply line');
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw badValue(position, String(value), 'not a number');
  return value;
}

function traceOfDevice(d: JsonObject | undefined): DeviceTrace | null {
  if (!d) return null;
  const udi = obj(arr(d['udiCarrier'])[0]);
  const expiry = str(d['expirationDate']);
  const t: DeviceTrace = {
    udiDi: str(udi?.['deviceIdentifier']) ?? str(d['distinctIdentifier']),
    lotNumber: str(d['lotNumber']),
    serialNumber: str(d['serialNumber']),
    expiryDate: expiry === null ? null : expiry.slice(0, 10).length === 10 ? expiry.slice(0, 10) : null,
    udi: str(udi?.['carrierHRF']),
    manufacturerName: str(d['manufacturer']),
  };
  return Object.values(t).every((v) => v === null) ? null : t;
}

interface SupplyLine {
  readonly position: string;
  readonly codes: readonly string[];
  readonly quantity: number;
  readonly uom: string | null;
  readonly trace: DeviceTrace | null;
  readonly sourceTransactionId: string;
}

/** One supply line at a care location: SupplyUsed, or ImplantUsed for a bill-only item. */
function supply(
  em: FhirEmitter,
  line: SupplyLine,
  where: { loc: CareLocationRow; at: Instant; encounterToken: string | null },
  reversal: boolean,
): void {
  const { item, code } = itemFor(em, line.codes, where.at.date, line.position);
  const factor =
    line.uom === null || line.uom === item.baseUom
      ? 1
      : resolveUomFactor(em.release, item, line.uom, where.at.date, line.position);
  const exact = line.quantity * factor;
  const base = Math.abs(exact - Math.round(exact)) < 1e-9 ? Math.round(exact) : exact;
  if (!Number.isSafeInteger(base) || base <= 0) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_QUANTITY', {
      value: String(line.quantity),
      position: line.position,
      reason: `not a positive whole number of ${item.baseUom}`,
    });
  }
  const payload: SupplyPayload = {
    itemCode: item.itemCode,
    ehrSupplyCode: code,
    itemCategory: item.category,
    quantity: base,
    uom: item.baseUom,
    parLocationCode: where.loc.parLocationCode,
    careLocationCode: where.loc.careLocationCode,
    departmentCode: where.loc.departmentCode,
    costCenterCode: where.loc.costCenterCode,
    encounterToken: where.encounterToken,
    caseToken: null,
    performer: null,
    unitCost: null,
    currency: null,
    implant: item.implant,
    trace: line.trace,
    sourceTransactionId: line.sourceTransactionId,
    reversal,
  };
  const position = reversal ? `previous:${line.position}` : line.position;
  if (reversal) {
    em.emit('SupplyReturned', position, where.at, where.loc.entityCode, payload);
    return;
  }
  if (item.billOnly) {
    if (line.trace === null) throw missing(line.position, 'the lot/serial of a bill-only implant (a Device)');
    em.emit('ImplantUsed', position, where.at, where.loc.entityCode, {
      ...payload,
      trace: line.trace,
      billOnly: true,
    });
    return;
  }
  em.emit('SupplyUsed', position, where.at, where.loc.entityCode, payload);
}

function occurrence(r: JsonObject, ...stems: readonly string[]): string | null {
  for (const s of stems) {
    const v = str(r[`${s}DateTime`]) ?? str(obj(r[`${s}Period`])?.['start']);
    if (v !== null) return v;
  }
  return null;
}

/** The supply lines of a SupplyDelivery or Procedure version; empty when its status moves nothing. */
function supplyLines(r: FhirResource, context: InboundContext): SupplyLine[] {
  const type = r.resourceType;
  const ref = `${type}/${String(r['id'])}`;
  if (type === 'SupplyDelivery') {
    if (r['status'] !== undefined && r['status'] !== 'completed') return [];
    const item = obj(r['suppliedItem']);
    if (item === null) throw missing('SupplyDelivery.suppliedItem', 'the item delivered');
    const q = obj(item['quantity']);
    if (item['itemReference'] !== undefined && item['itemCodeableConcept'] === undefined) {
      throw missing(
        'SupplyDelivery.suppliedItem.itemCodeableConcept',
        'a supply code (an itemReference is not mapped)',
      );
    }
    return [
      {
        position: 'SupplyDelivery.suppliedItem',
        codes: codesOf(item['itemCodeableConcept']),
        quantity: wholeQuantity(q?.['value'], 'SupplyDelivery.suppliedItem.quantity.value'),
        uom: str(q?.['code']) ?? str(q?.['unit']),
        trace: null,
        sourceTransactionId: ref,
      },
    ];
  }
  if (r['status'] !== 'completed') return [];
  const lines: SupplyLine[] = [];
  arr(r['usedCode']).forEach((c, i) => {
    lines.push({
      position: `Procedure.usedCode[${i}]`,
      codes: codesOf(c),
      quantity: 1,
      uom: null,
      trace: null,
      sourceTransactionId: ref,
    });
  });
  arr(r['usedReference']).forEach((_, i) => {
    const device = context[`usedReference[${i}]`];
    if (device?.['resourceType'] !== 'Device') {
      throw missing(
        `Procedure.usedReference[${i}]`,
        'a stored Device (other used references are not mapped)',
      );
    }
    lines.push({
      position: `Procedure.usedReference[${i}]`,
      codes: codesOf(device['type']),
      quantity: 1,
      uom: null,
      trace: traceOfDevice(device),
      sourceTransactionId: ref,
    });
  });
  return lines;
}

function supplies(em: FhirEmitter): void {
  const versions: [FhirResource, InboundContext, boolean][] = [];
  if (em.doc.previous) versions.push([em.doc.previous.resource, em.doc.previous.context, true]);
  versions.push([em.doc.resource, em.doc.context, false]);
  for (const [r, context, reversal] of versions) {
    const lines = supplyLines(r, context);
    if (lines.length === 0) continue;
    const isDelivery = r.resourceType === 'SupplyDelivery';
    const when = occurrence(r, isDelivery ? 'occurrence' : 'performed');
    const at =
      instantOf(when, `${r.resourceType}.${isDelivery ? 'occurrence' : 'performed'}[x]`) ?? em.received;
    const loc = careLocationFor(
      em,
      context,
      isDelivery ? 'destination' : 'location',
      'encounter',
      at.date,
      `${r.resourceType}.${isDelivery ? 'destination' : 'location'}`,
    );
    const where = { loc, at, encounterToken: em.token('encounter', context['encounter']) };
    for (const line of lines) supply(em, line, where, reversal);
  }
}

function device(em: FhirEmitter): void {
  const r = em.doc.resource;
  if (r['status'] !== undefined && r['status'] !== 'active') return;
  if (r['patient'] === undefined) return;
  const at = em.received;
  const loc = careLocationFor(em, em.doc.context, 'location', 'encounter', at.date, 'Device.location');
  supply(
    em,
    {
      position: 'Device',
      codes: codesOf(r['type']),
      quantity: 1,
      uom: null,
      trace: traceOfDevice(r),
      sourceTransactionId: `Device/${String(r['id'])}`,
    },
    { loc, at, encounterToken: null },
    false,
  );
}

function money(value: unknown, currency: string, position: string): bigint {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw badValue(position, String(value), 'not a number');
  const scaled = value * 10 ** minorDigits(currency);
  const whole = Math.round(scaled);
  if (Math.abs(scaled - whole) > 1e-6 || !Number.isSafeInteger(whole)) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_AMOUNT', {
      value: String(value),
      position,
      reason: `not a whole number of minor units of ${currency}`,
    });
  }
  return BigInt(whole);
}

function chargeOf(em: FhirEmitter, r: FhirResource, context: InboundContext, reversal: boolean): void {
  if (r['status'] !== 'billable' && r['status'] !== 'billed') return;
  const when = occurrence(r, 'occurrence') ?? str(r['enteredDate']);
  const at = instantOf(when, 'ChargeItem.occurrence[x]') ?? em.received;
  const codes = codesOf(r['code']);
  if (codes.length === 0) throw missing('ChargeItem.code', 'the charge code');
  const cdm = codes.map((c) => findCharge(em.release, c, at.date)).find((c) => c !== undefined);
  if (!cdm) {
    throw new CrosswalkError('CW_ERR_MAP_UNKNOWN_CHARGE_CODE', {
      code: codes[0]!,
      position: 'ChargeItem.code',
      date: at.date,
    });
  }
  const q = obj(r['quantity'])?.['value'];
  const qty = q === undefined ? 1 : q;
  if (typeof qty !== 'number' || !Number.isSafeInteger(qty) || qty === 0) {
    throw new CrosswalkError('CW_ERR_INTERPRET_BAD_QUANTITY', {
      value: String(qty),
      position: 'ChargeItem.quantity.value',
      reason: 'a charge counts whole units',
    });
  }
  const orgAt = ['performingOrganization', 'costCenter', 'requestingOrganization'].find(
    (k) => identifierValue(context[k]) !== null,
  );
  const place = placeOf(context, 'context.location[0].location', 'context.serviceProvider');
  const loc =
    place === null
      ? null
      : (findCareLocation(em.release, place.facility, place.pointOfCare, at.date) ?? null);
  const dept = orgAt
    ? resolveDepartment(em.release, identifierValue(context[orgAt])!, at.date, `ChargeItem.${orgAt}`)
    : loc
      ? { departmentCode: loc.departmentCode, costCenterCode: loc.costCenterCode, entityCode: loc.entityCode }
      : null;
  if (dept === null) throw missing('ChargeItem.performingOrganization', 'the department a charge belongs to');
  const price = obj(r['priceOverride']);
  const currency = str(price?.['currency']) ?? cdm.currency;
  const unitPrice = price ? money(price['value'], currency, 'ChargeItem.priceOverride.value') : cdm.price;
  const negative = qty < 0;
  const credit = negative !== reversal;
  const units = Math.abs(qty);
  em.emit(
    credit ? 'ChargeCredited' : 'ChargePosted',
    reversal ? 'previous:ChargeItem' : 'ChargeItem',
    at,
    dept.entityCode,
    {
      cdmCode: cdm.cdmCode,
      revenueCode: cdm.revenueCode,
      hcpcsCode: cdm.hcpcsCode,
      quantity: units,
      unitPrice,
      amount: unitPrice * BigInt(units),
      currency,
      priceSource: price ? 'message' : 'charge-master',
      itemCode: cdm.itemCode,
      departmentCode: dept.departmentCode,
      costCenterCode: dept.costCenterCode,
      careLocationCode: loc?.careLocationCode ?? null,
      encounterToken: em.token('encounter', context['context']),
      caseToken: null,
      performer: null,
      sourceTransactionId: `ChargeItem/${String(r['id'])}`,
      reversal: reversal || negative,
    },
  );
}

function charges(em: FhirEmitter): void {
  if (em.doc.previous) chargeOf(em, em.doc.previous.resource, em.doc.previous.context, true);
  chargeOf(em, em.doc.resource, em.doc.context, false);
}

function encounter(em: FhirEmitter): void {
  const r = em.doc.resource;
  const c = em.doc.context;
  const status = String(r['status']);
  const period = obj(r['period']);
  const start = instantOf(str(period?.['start']), 'Encounter.period.start');
  const end = instantOf(str(period?.['end']), 'Encounter.period.end');
  const at = (status === 'finished' ? end : null) ?? start ?? em.received;
  const token = em.token('encounter', {
    resourceType: 'Encounter',
    id: r['id'] ?? null,
    identifier: r['identifier'] ?? [],
  } as JsonObject);
  if (token === null) throw missing('Encounter.identifier', 'the encounter identity');
  const place = placeOf(c, 'location[0].location', 'serviceProvider');
  const loc =
    place === null
      ? null
      : (findCareLocation(em.release, place.facility, place.pointOfCare, at.date) ?? null);
  const facility = place?.facility || identifierValue(c['serviceProvider']);
  const entity =
    loc?.entityCode ??
    (facility ? findFacility(em.release, facility, at.date)?.entityCode : undefined) ??
    resolveFacility(em.release, facility ?? '', at.date, 'Encounter.serviceProvider').entityCode;
  const type: EventType =
    status === 'finished'
      ? 'EncounterEnded'
      : status === 'cancelled' || status === 'entered-in-error'
        ? 'EncounterCancelled'
        : em.doc.previous === null && ['arrived', 'triaged', 'in-progress', 'onleave'].includes(status)
          ? 'EncounterStarted'
          : 'EncounterUpdated';
  const attendingAt = Object.keys(c).find((k) => k.startsWith('participant[') && k.endsWith('.individual'));
  em.emit(type as 'EncounterStarted', 'Encounter', at, entity, {
    encounterToken: token,
    patientToken: em.token('patient', c['subject']),
    trigger: `FHIR:${status}`,
    patientClass: str(obj(r['class'])?.['code']),
    admissionType: null,
    hospitalService: null,
    careLocationCode: loc?.careLocationCode ?? null,
    departmentCode: loc?.departmentCode ?? null,
    costCenterCode: loc?.costCenterCode ?? null,
    attending: em.provider(attendingAt ? c[attendingAt] : undefined, at.date),
    admittedAt: start?.iso ?? null,
    dischargedAt: status === 'finished' ? (end?.iso ?? null) : null,
  });
}

function practitioner(em: FhirEmitter): void {
  const r = em.doc.resource;
  const isRole = r.resourceType === 'PractitionerRole';
  const person = isRole ? em.doc.context['practitioner'] : r;
  if (!person) throw missing('PractitionerRole.practitioner', 'the practitioner the role is for');
  const at = em.received;
  const ref = em.provider(person, at.date);
  if (ref === null) throw missing(`${r.resourceType}.identifier`, 'the practitioner identity');
  const org = isRole ? identifierValue(em.doc.context['organization']) : null;
  const entity =
    (org ? findFacility(em.release, org, at.date)?.entityCode : undefined) ?? em.sourceEntity(at.date);
  const name = obj(arr(person['name'])[0]);
  const active = r['active'] !== false;
  const specialty = isRole ? (codesOf(arr(r['specialty'])[0])[0] ?? null) : null;
  const credential = codesOf(obj(arr(r['qualification'])[0])?.['code'])[0] ?? null;
  em.emit('PractitionerChanged', r.resourceType, at, entity, {
    action: em.doc.previous === null ? (active ? 'add' : 'deactivate') : active ? 'update' : 'deactivate',
    practitionerId: ref.id,
    npi: ref.npi,
    employeeCode: ref.employeeCode,
    familyName: isRole ? null : str(name?.['family']),
    givenName: isRole ? null : str(arr(name?.['given'])[0]),
    credential: isRole ? null : credential,
    specialty,
    active,
  });
}

function location(em: FhirEmitter): void {
  const r = em.doc.resource;
  const at = em.received;
  const pointOfCare = identifierValue(r) ?? str(r['id']);
  if (pointOfCare === null) throw missing('Location.identifier', 'the point of care the location is');
  const facility =
    identifierValue(em.doc.context['managingOrganization']) ??
    str(obj(obj(r['managingOrganization'])?.['identifier'])?.['value']) ??
    '';
  const place = { facility, pointOfCare };
  const loc = findCareLocation(em.release, place.facility, place.pointOfCare, at.date);
  const entity =
    loc?.entityCode ??
    (place.facility ? findFacility(em.release, place.facility, at.date)?.entityCode : undefined) ??
    em.sourceEntity(at.date);
  const status = str(r['status']);
  em.emit('LocationChanged', 'Location', at, entity, {
    action: em.doc.previous === null ? 'add' : status === 'inactive' ? 'deactivate' : 'update',
    facility: place.facility || em.message.sender,
    pointOfCare: place.pointOfCare,
    room: null,
    bed: null,
    description: str(r['name']),
    locationType: codesOf(r['physicalType'])[0] ?? null,
    ehrDepartmentCode: null,
    careLocationCode: loc?.careLocationCode ?? null,
    active: status === null || status === 'active',
  });
}

function chargeDefinition(em: FhirEmitter): void {
  const r = em.doc.resource;
  const at = em.received;
  const code = codesOf(r['code'])[0] ?? identifierValue(r);
  if (!code) throw missing('ChargeItemDefinition.code', 'the charge code');
  const known = findCharge(em.release, code, at.date);
  let price: bigint | null = null;
  let currency: string | null = null;
  for (const g of arr(r['propertyGroup'])) {
    for (const pc of arr(obj(g)?.['priceComponent'])) {
      const p = obj(pc);
      const amount = obj(p?.['amount']);
      if (p?.['type'] === 'base' && amount) {
        currency = str(amount['currency']) ?? known?.currency ?? 'USD';
        price = money(amount['value'], currency, 'ChargeItemDefinition.propertyGroup.priceComponent.amount');
      }
    }
  }
  const status = String(r['status']);
  const from = str(obj(r['effectivePeriod'])?.['start']);
  em.emit('ChargeMasterChanged', 'ChargeItemDefinition', at, em.sourceEntity(at.date), {
    action: em.doc.previous === null ? 'add' : status === 'retired' ? 'deactivate' : 'update',
    cdmCode: code,
    description: str(r['title']) ?? str(obj(r['code'])?.['text']),
    revenueCode: known?.revenueCode ?? null,
    hcpcsCode: known?.hcpcsCode ?? null,
    price,
    currency,
    itemCode: known?.itemCode ?? null,
    effectiveFrom: from === null ? null : from.slice(0, 10),
    active: status === 'active',
  });
}

const HANDLERS: Readonly<Record<string, (em: FhirEmitter) => void>> = {
  SupplyDelivery: supplies,
  Procedure: supplies,
  Device: device,
  ChargeItem: charges,
  Encounter: encounter,
  Practitioner: practitioner,
  PractitionerRole: practitioner,
  Location: location,
  ChargeItemDefinition: chargeDefinition,
};

/** Interprets one stored FHIR inbox row. Never throws: failures come back as `failed`. */
export function interpretFhir(message: FhirStoredMessage, ctx: FhirInterpretContext): FhirInterpretation {
  let messageType = 'FHIR';
  try {
    if (ctx.tokenKey.byteLength < MIN_TOKEN_KEY_BYTES) {
      throw new CrosswalkError('CW_ERR_CANONICAL_TOKEN_KEY', { min: MIN_TOKEN_KEY_BYTES });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(message.raw.toString('utf8'));
    } catch {
      throw badValue('FHIR inbox row', '(not JSON)', 'the stored bytes are not a FHIR inbox document');
    }
    if (!isEnvelope(doc))
      throw badValue('FHIR inbox row', '(unknown format)', 'not a Crosswalk FHIR inbox document');
    messageType = `FHIR:${doc.resource.resourceType}`;
    const handler = HANDLERS[doc.resource.resourceType];
    if (!handler) {
      return {
        kind: 'skipped',
        messageType,
        code: 'CW_ERR_INTERPRET_UNSUPPORTED_TYPE',
        reason: `Crosswalk interprets FHIR ${Object.keys(HANDLERS).join(', ')}`,
      };
    }
    const em = new FhirEmitter(message, doc, ctx);
    handler(em);
    return { kind: 'events', messageType, events: em.events };
  } catch (e) {
    const error = isCrosswalkError(e)
      ? e
      : new CrosswalkError('CW_ERR_APPLY_INTERNAL', { reason: (e as Error).message ?? String(e) });
    return { kind: 'failed', messageType, error };
  }
}
