import { type FhirResource, isObject, type Json, type JsonObject } from './json.ts';

/**
 * The inbox form of a FHIR write with back-office effects. A resource alone does not say everything its
 * interpretation needs: a reference names a Location, not the facility and point of care the release
 * maps; a SupplyDelivery (R4 has no encounter element) names the patient, not the encounter it belongs
 * to. The edge resolves that once, when the write is stored, and keeps the answer beside the resource in
 * the inbox row, so interpretation stays a pure function of the stored bytes and a replay next month sees
 * what the write saw.
 *
 * `context` is keyed by where in the resource a reference was followed (`patient`, `encounter`,
 * `encounter.location`, `usedReference[0]` …); each value is a snapshot of the target with only the
 * elements interpretation reads. A Patient snapshot keeps its identifiers only: they become the keyed
 * token at interpretation, and nothing after it holds them.
 */

export const ENVELOPE_FORMAT = 'crosswalk-fhir-inbound/1';

export interface InboundContext {
  readonly [where: string]: JsonObject;
}

export interface FhirInboundDocument {
  readonly format: typeof ENVELOPE_FORMAT;
  readonly resource: FhirResource;
  readonly context: InboundContext;
  /** How the encounter of a resource without one was found, when it was ('period' of the patient's encounter). */
  readonly encounterInferredBy: string | null;
  /** The version this one supersedes, with its context, so its effects can be reversed. */
  readonly previous: { readonly resource: FhirResource; readonly context: InboundContext } | null;
}

/** Elements a snapshot keeps, per target type (identifiers always). */
const KEEP: Readonly<Record<string, readonly string[]>> = {
  Patient: [],
  Encounter: ['status', 'class', 'period', 'serviceProvider', 'location'],
  Location: ['status', 'name', 'managingOrganization', 'partOf', 'physicalType', 'type'],
  Organization: ['name', 'type', 'partOf', 'active'],
  Practitioner: ['active'],
  PractitionerRole: ['practitioner', 'organization', 'specialty', 'code', 'active'],
  Device: [
    'status',
    'type',
    'udiCarrier',
    'lotNumber',
    'serialNumber',
    'expirationDate',
    'manufacturer',
    'distinctIdentifier',
    'location',
  ],
};

export function snapshotOf(resource: JsonObject): JsonObject {
  const type = String(resource['resourceType']);
  const out: JsonObject = { resourceType: type };
  if (typeof resource['id'] === 'string') out['id'] = resource['id'];
  if (resource['identifier'] !== undefined) out['identifier'] = resource['identifier'];
  for (const k of KEEP[type] ?? []) {
    const v = resource[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A snapshot of what a logical reference (identifier only) says, when no stored resource matches it. */
export function logicalSnapshot(resourceType: string, reference: JsonObject): JsonObject | null {
  const identifier = reference['identifier'];
  if (!isObject(identifier)) return null;
  return { resourceType, identifier: [identifier as Json] };
}

/** `resourceJson` is `doc.resource` already written as JSON (it is not written twice). */
export function encodeEnvelope(doc: FhirInboundDocument, resourceJson?: string): Buffer {
  if (resourceJson === undefined) return Buffer.from(JSON.stringify(doc), 'utf8');
  const { resource: _r, ...rest } = doc;
  const tail = JSON.stringify(rest);
  return Buffer.from(`{"resource":${resourceJson},${tail.slice(1)}`, 'utf8');
}

export function isEnvelope(v: unknown): v is FhirInboundDocument {
  return isObject(v) && v['format'] === ENVELOPE_FORMAT && isObject(v['resource']) && isObject(v['context']);
}
