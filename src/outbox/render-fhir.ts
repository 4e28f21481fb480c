/**
 * An item-master document as one FHIR R4 transaction Bundle of PUTs. Pure.
 *
 * - A charge master line is a ChargeItemDefinition: `url` and identifier from the CDM code, the code as
 *   the first coding of `code` (HCPCS after it), `title`, `status` active or retired, the base price in
 *   `propertyGroup.priceComponent` (type `base`), the effective date in `effectivePeriod.start`. That is
 *   what `fhir/interpret.ts` reads inbound, so Crosswalk reads what it publishes.
 * - An item is a DeviceDefinition (R4 has no InventoryItem): the ERP item number and the vendor catalog
 *   number as identifiers, the GTIN as UDI device identifier, manufacturer, model number (manufacturer
 *   catalog number), the category as `type`, and what R4 has no element for (status, stocked,
 *   chargeable, CDM code and charge price, packaging levels) as `property` entries typed by Crosswalk's
 *   own code system. DeviceDefinition has no status element: a deactivated or deleted item is published
 *   with the status property `inactive`, never deleted at the receiver.
 *
 * Invariants: ids are deterministic from the code (`item-<code>`, `cdm-<code>`; a hash when the code is
 * not a valid FHIR id), so a PUT is idempotent and a resent document changes nothing; one transaction
 * per document, so a receiver takes all of it or none.
 */
import { createHash } from 'node:crypto';
import {
  type ItemMasterDocument,
  itemMasterDocumentOf,
  type MasterRecord,
  type PublishedChargeLine,
  type PublishedItem,
} from './master-documents.ts';

export const CROSSWALK_FHIR_BASE = 'https://crosswalk.invalid/fhir';
export const ITEM_SYSTEM = `${CROSSWALK_FHIR_BASE}/sid/erp-item`;
export const VENDOR_CATALOG_SYSTEM = `${CROSSWALK_FHIR_BASE}/sid/vendor-catalog`;
export const CDM_SYSTEM = `${CROSSWALK_FHIR_BASE}/sid/cdm`;
export const CATEGORY_SYSTEM = `${CROSSWALK_FHIR_BASE}/CodeSystem/item-category`;
export const PROPERTY_SYSTEM = `${CROSSWALK_FHIR_BASE}/CodeSystem/item-property`;
export const REVENUE_CODE_EXTENSION = `${CROSSWALK_FHIR_BASE}/StructureDefinition/revenue-code`;
export const ITEM_EXTENSION = `${CROSSWALK_FHIR_BASE}/StructureDefinition/erp-item`;
const HCPCS_SYSTEM = 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';
const REVENUE_SYSTEM = 'https://www.nubc.org/CodeSystem/RevenueCodes';
const GS1_DI = 'http://hl7.org/fhir/NamingSystem/gs1-di';
const ISO_4217 = 'urn:iso:std:iso:4217';

type Json = Record<string, unknown>;

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** `prefix-code` when that is a valid FHIR id, else `prefix-h` + 16 hex of the code. */
export function resourceIdOf(prefix: 'item' | 'cdm', code: string): string {
  const plain = `${prefix}-${code}`;
  if (FHIR_ID.test(plain)) return plain;
  return `${prefix}-h${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;
}

/** Minor units → a JSON decimal with the currency's digits (exact: the string is built, then read). */
function amount(minor: string, scale: number): number {
  const neg = minor.startsWith('-');
  const digits = (neg ? minor.slice(1) : minor).padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return Number(`${neg ? '-' : ''}${text}`);
}

const compact = (o: Json): Json =>
  Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0),
    ),
  );

const prop = (code: string, value: Json): Json => ({
  type: { coding: [{ system: PROPERTY_SYSTEM, code }] },
  ...value,
});
const codeValue = (code: string): Json => ({ valueCode: [{ coding: [{ system: PROPERTY_SYSTEM, code }] }] });

function deviceDefinition(r: MasterRecord<PublishedItem>, scaleOf: (c: string) => number): Json {
  const f = r.fields;
  const active = r.action !== 'delete' && r.action !== 'deactivate' && (f.status ?? 'A') !== 'I';
  const cur = f.currency ?? 'USD';
  const money = (minor: string) => ({
    valueQuantity: [{ value: amount(minor, scaleOf(cur)), unit: cur, system: ISO_4217, code: cur }],
  });
  const properties: Json[] = [prop('status', codeValue(active ? 'active' : 'inactive'))];
  if (f.itemType !== null) properties.push(prop('item-type', codeValue(f.itemType)));
  if (f.stocked !== null) properties.push(prop('stocked', codeValue(f.stocked ? 'Y' : 'N')));
  if (f.chargeable !== null) properties.push(prop('chargeable', codeValue(f.chargeable ? 'Y' : 'N')));
  if (f.expires !== null) properties.push(prop('expires', codeValue(f.expires ? 'Y' : 'N')));
  if (f.cdmCode !== null) {
    properties.push(prop('cdm-code', { valueCode: [{ coding: [{ system: CDM_SYSTEM, code: f.cdmCode }] }] }));
  }
  if (f.chargePrice !== null) properties.push(prop('charge-price', money(f.chargePrice)));
  for (const p of f.packages) {
    properties.push(
      prop(p.orderUnit ? 'order-package' : 'package', {
        valueQuantity: [
          { value: p.quantity, unit: p.uom },
          ...(p.price === null ? [] : money(p.price).valueQuantity),
        ],
      }),
    );
  }
  return compact({
    resourceType: 'DeviceDefinition',
    id: resourceIdOf('item', f.code),
    identifier: [
      { system: ITEM_SYSTEM, value: f.code },
      ...(f.vendorCatalogNumber === null
        ? []
        : [
            {
              system: `${VENDOR_CATALOG_SYSTEM}/${encodeURIComponent(f.vendorCode ?? 'unknown')}`,
              value: f.vendorCatalogNumber,
            },
          ]),
    ],
    udiDeviceIdentifier:
      f.gtin === null
        ? null
        : [
            {
              deviceIdentifier: f.gtin,
              issuer: GS1_DI,
              jurisdiction: 'http://hl7.org/fhir/NamingSystem/fda-udi',
            },
          ],
    manufacturerString: f.manufacturerName,
    deviceName: f.description === null ? null : [{ name: f.description, type: 'user-friendly-name' }],
    modelNumber: f.manufacturerCatalogNumber,
    type: f.category === null ? null : { coding: [{ system: CATEGORY_SYSTEM, code: f.category }] },
    property: properties,
  });
}

function chargeItemDefinition(r: MasterRecord<PublishedChargeLine>, scaleOf: (c: string) => number): Json {
  const f = r.fields;
  const active = f.active && r.action !== 'delete' && r.action !== 'deactivate';
  const cur = f.currency ?? 'USD';
  return compact({
    resourceType: 'ChargeItemDefinition',
    id: resourceIdOf('cdm', f.code),
    url: `${CROSSWALK_FHIR_BASE}/ChargeItemDefinition/${encodeURIComponent(f.code)}`,
    identifier: [{ system: CDM_SYSTEM, value: f.code }],
    title: f.description,
    status: active ? 'active' : 'retired',
    date: r.at,
    extension: [
      ...(f.revenueCode === null
        ? []
        : [{ url: REVENUE_CODE_EXTENSION, valueCoding: { system: REVENUE_SYSTEM, code: f.revenueCode } }]),
      ...(f.itemCode === null
        ? []
        : [{ url: ITEM_EXTENSION, valueIdentifier: { system: ITEM_SYSTEM, value: f.itemCode } }]),
    ],
    code: compact({
      coding: [
        compact({ system: CDM_SYSTEM, code: f.code, display: f.description }),
        ...(f.hcpcsCode === null ? [] : [{ system: HCPCS_SYSTEM, code: f.hcpcsCode }]),
      ],
      text: f.description,
    }),
    effectivePeriod: f.effectiveFrom === null ? null : { start: f.effectiveFrom },
    propertyGroup:
      f.price === null
        ? null
        : [
            {
              priceComponent: [
                { type: 'base', amount: { value: amount(f.price, scaleOf(cur)), currency: cur } },
              ],
            },
          ],
  });
}

/** The resources of a document, in record order. */
export function masterResources(payload: string, scaleOf: (currency: string) => number): Json[] {
  const m: ItemMasterDocument = itemMasterDocumentOf(payload);
  return m.master === 'items'
    ? m.records.map((r) => deviceDefinition(r, scaleOf))
    : m.records.map((r) => chargeItemDefinition(r, scaleOf));
}

/**
 * The transaction Bundle of a document: one PUT by deterministic id per resource. A record changed twice
 * in one document appears once, as its last state (a transaction may not name one resource twice).
 */
export function renderMasterBundle(
  doc: { readonly id: string; readonly payload: string },
  scaleOf: (currency: string) => number,
): Json {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    identifier: { system: `${CROSSWALK_FHIR_BASE}/sid/outbox-document`, value: doc.id },
    entry: [
      ...new Map(
        masterResources(doc.payload, scaleOf).map((r) => [`${r['resourceType']}/${r['id']}`, r]),
      ).values(),
    ].map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource['resourceType']}/${resource['id']}` },
    })),
  };
}
