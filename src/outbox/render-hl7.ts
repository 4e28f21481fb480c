/**
 * An item-master document as one HL7 v2 master file notification. Pure.
 *
 * - Items: MFN^M16 with, per record, MFE + ITM + VND + PKG (one per packaging level). These segments
 *   are v2.6's (the first version with a materials item master), so MSH-12 says 2.6.
 * - Charges: MFN^M04 (v2.5.1) with MFE + CDM + PRC per record.
 * Field positions are the ones `interpret/mfn.ts` reads inbound, so Crosswalk reads what it sends.
 *
 * Invariants:
 * - MSH-10 is the document id (`im_` + 16 hex, 19 characters, within the 20 of older receivers): a resend
 *   carries the same control id, which is what a receiver deduplicating by MSH-10 keys on. MSH-7 is the
 *   document's creation time, so a resend is the same bytes.
 * - Every value goes through the hl7v2 toolkit's `escapeValue` with the standard delimiters (which
 *   MSH-1/2 declare); the text is UTF-8 and MSH-18 says so.
 * - Snapshot records go as MUP: receivers take an update of a record they lack as an add, whereas MAD of
 *   a record they have is commonly refused.
 */
import type { MasterFileAction } from '../canonical/index.ts';
import { DEFAULT_DELIMITERS, escapeValue, formatHl7Timestamp } from '../hl7v2/index.ts';
import {
  type ItemMasterDocument,
  itemMasterDocumentOf,
  type PublishedChargeLine,
  type PublishedItem,
} from './master-documents.ts';

export interface MfnHeader {
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
}

const D = DEFAULT_DELIMITERS;
const EVENT: Readonly<Record<MasterFileAction, string>> = {
  add: 'MAD',
  update: 'MUP',
  delete: 'MDL',
  deactivate: 'MDC',
  reactivate: 'MAC',
};

type Value = string | number | null | undefined;

/** One escaped leaf value. */
const esc = (v: Value, where: string): string =>
  v === null || v === undefined || v === '' ? '' : escapeValue(String(v), D, where);
/** Components of one field, each escaped, trailing empties dropped. */
const comps = (where: string, ...parts: Value[]): string =>
  parts
    .map((p, i) => esc(p, `${where}.${i + 1}`))
    .join(D.component)
    .replace(/\^+$/, '');
const yn = (b: boolean | null): string => (b === null ? '' : b ? 'Y' : 'N');

/** Minor units as a decimal amount with `scale` digits. */
function decimal(minor: string, scale: number): string {
  const neg = minor.startsWith('-');
  const digits = (neg ? minor.slice(1) : minor).padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${neg ? '-' : ''}${whole}${frac}`;
}

/** A CP / MO value: `amount&currency` in the first component. */
function price(minor: string | null, currency: string | null, scaleOf: (c: string) => number, where: string) {
  if (minor === null) return '';
  const cur = currency ?? 'USD';
  return `${esc(decimal(minor, scaleOf(cur)), where)}${D.subcomponent}${esc(cur, where)}`;
}

function segment(name: string, fields: readonly string[]): string {
  let n = fields.length;
  while (n > 0 && fields[n - 1] === '') n--;
  return [name, ...fields.slice(0, n)].join(D.field);
}

/** `YYYYMMDDHHMMSS` of an ISO instant (UTC). */
const stamp = (iso: string): string => formatHl7Timestamp(new Date(iso));

function itemSegments(f: PublishedItem, scaleOf: (c: string) => number, pos: string): string[] {
  const itm: string[] = [];
  itm[0] = comps(`${pos} ITM-1`, f.code);
  itm[1] = esc(f.description, `${pos} ITM-2`);
  itm[2] = comps(`${pos} ITM-3`, f.status);
  itm[3] = comps(`${pos} ITM-4`, f.itemType);
  itm[4] = comps(`${pos} ITM-5`, f.category);
  itm[5] = yn(f.expires);
  itm[6] = '';
  itm[7] = esc(f.manufacturerName, `${pos} ITM-8`);
  itm[8] = esc(f.manufacturerCatalogNumber, `${pos} ITM-9`);
  itm[9] = '';
  itm[10] = yn(f.chargeable);
  itm[11] = comps(`${pos} ITM-12`, f.cdmCode);
  itm[12] = price(f.chargePrice, f.currency, scaleOf, `${pos} ITM-13`);
  itm[13] = yn(f.stocked);
  const out = [segment('ITM', itm)];
  if (f.vendorCode !== null || f.vendorCatalogNumber !== null) {
    out.push(
      segment('VND', [
        '1',
        comps(`${pos} VND-2`, f.vendorCode),
        '',
        comps(`${pos} VND-4`, f.vendorCatalogNumber),
      ]),
    );
  }
  f.packages.forEach((p, k) => {
    out.push(
      segment('PKG', [
        String(k + 1),
        comps(`${pos} PKG-2`, p.uom),
        p.orderUnit ? 'Y' : 'N',
        String(p.quantity),
        price(p.price, f.currency, scaleOf, `${pos} PKG-5`),
      ]),
    );
  });
  return out;
}

function chargeSegments(f: PublishedChargeLine, scaleOf: (c: string) => number, pos: string): string[] {
  const cdm: string[] = [];
  cdm[0] = comps(`${pos} CDM-1`, f.code);
  cdm[1] = '';
  cdm[2] = esc(f.description, `${pos} CDM-3`);
  cdm[3] = esc(f.description, `${pos} CDM-4`);
  cdm[4] = '';
  cdm[5] = '';
  cdm[6] = f.hcpcsCode === null ? '' : comps(`${pos} CDM-7`, f.hcpcsCode, null, 'HCPCS');
  cdm[7] = f.active ? 'A' : 'I';
  cdm[8] = comps(`${pos} CDM-9`, f.itemCode);
  const prc: string[] = [];
  prc[0] = comps(`${pos} PRC-1`, f.code);
  prc[1] = '';
  prc[2] = '';
  prc[3] = '';
  prc[4] = price(f.price, f.currency, scaleOf, `${pos} PRC-5`);
  for (let i = 5; i < 10; i++) prc[i] = '';
  prc[10] = f.effectiveFrom === null ? '' : f.effectiveFrom.replaceAll('-', '');
  prc[11] = '';
  prc[12] = '';
  prc[13] = comps(`${pos} PRC-14`, f.revenueCode);
  prc[14] = '';
  prc[15] = f.active ? 'A' : 'I';
  return [segment('CDM', cdm), segment('PRC', prc)];
}

/** The MFN message of a document, segments ended by CR, as UTF-8 text. */
export function renderMasterMfn(
  doc: { readonly id: string; readonly payload: string },
  header: MfnHeader,
  scaleOf: (currency: string) => number,
): string {
  const m: ItemMasterDocument = itemMasterDocumentOf(doc.payload);
  const items = m.master === 'items';
  const at = stamp(m.createdAt);
  const segments = [
    segment('MSH', [
      `${D.component}${D.repetition}${D.escape}${D.subcomponent}`,
      comps('MSH-3', header.sendingApplication),
      comps('MSH-4', header.sendingFacility),
      comps('MSH-5', header.receivingApplication),
      comps('MSH-6', header.receivingFacility),
      at,
      '',
      items ? 'MFN^M16^MFN_M16' : 'MFN^M04^MFN_M04',
      esc(doc.id, 'MSH-10'),
      'P',
      items ? '2.6' : '2.5.1',
      '',
      '',
      'AL',
      'NE',
      '',
      'UNICODE UTF-8',
    ]),
    segment('MFI', [
      items ? 'ITM^Material item master^HL70175' : 'CDM^Charge description master^HL70175',
      '',
      'UPD',
      at,
      at,
      'NE',
    ]),
  ];
  m.records.forEach((r, i) => {
    const pos = `MFE[${i + 1}]`;
    segments.push(
      segment('MFE', [
        EVENT[r.action],
        esc(`${doc.id}-${i + 1}`, `${pos}-2`),
        stamp(r.at),
        comps(`${pos}-4`, r.fields.code),
        items ? 'EI' : 'CE',
      ]),
    );
    if (items) segments.push(...itemSegments(r.fields as PublishedItem, scaleOf, pos));
    else segments.push(...chargeSegments(r.fields as PublishedChargeLine, scaleOf, pos));
  });
  return `${segments.join('\r')}\r`;
}
