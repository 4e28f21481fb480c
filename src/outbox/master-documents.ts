/**
 * Item-master documents: what the EHR is owed when the item master or the charge master changes, in a
 * neutral form the connectors render (MFN^M16 / MFN^M04 over MLLP, FHIR DeviceDefinition /
 * ChargeItemDefinition). Pure.
 *
 * Two producers:
 * - changes: the ItemMasterChanged / ChargeMasterChanged events of an apply batch (`masterChangeDocuments`,
 *   called by `documentsForBatch`, so they are written in the apply transaction like journal batches);
 * - snapshots: the whole master as stored, on demand (`masterSnapshotDocuments`, `crosswalk publish`).
 *
 * Invariants:
 * - A document holds one master file (items or charges) of one entity and at most `MASTER_CHUNK`
 *   records, so one document is one HL7 message or one FHIR transaction of bounded size.
 * - Its id (`im_` + hash) depends only on what it was derived from: the records and, for changes, the
 *   ids of the events they come from (re-applying or replaying the same messages gives the same id; the
 *   same change sent twice by the source, two different messages, is published twice, so an A→B→A edit
 *   cannot be swallowed), for snapshots the snapshot's time (a repeated `publish` is a new snapshot; a
 *   retried delivery of one snapshot is the same document).
 * - Amounts are integer minor units in strings, as in every outbox payload; nothing patient-related.
 */
import { createHash } from 'node:crypto';
import type { ChargeMasterPayload, ItemMasterPayload, MasterFileAction } from '../canonical/index.ts';
import { CrosswalkError } from '../errors/index.ts';

export type MasterFile = 'items' | 'charges';
export type MasterSource = 'change' | 'snapshot';

/** Records per document (one MFN message, one FHIR transaction). */
export const MASTER_CHUNK = 100;

export interface PublishedPackage {
  readonly uom: string;
  /** Base units per package. */
  readonly quantity: number;
  readonly orderUnit: boolean;
  /** Minor units, as a decimal string; null when unpriced. */
  readonly price: string | null;
}

export interface PublishedItem {
  /** The ERP item number. */
  readonly code: string;
  readonly description: string | null;
  readonly status: string | null;
  readonly itemType: string | null;
  readonly category: string | null;
  readonly expires: boolean | null;
  readonly manufacturerName: string | null;
  readonly manufacturerCatalogNumber: string | null;
  readonly chargeable: boolean | null;
  readonly cdmCode: string | null;
  readonly chargePrice: string | null;
  /** False for bill-only / consignment items. */
  readonly stocked: boolean | null;
  readonly vendorCode: string | null;
  readonly vendorCatalogNumber: string | null;
  readonly currency: string | null;
  /** GTIN-14 (UDI device identifier) when known; change events do not carry it. */
  readonly gtin: string | null;
  readonly packages: readonly PublishedPackage[];
}

export interface PublishedChargeLine {
  readonly code: string;
  readonly description: string | null;
  readonly revenueCode: string | null;
  readonly hcpcsCode: string | null;
  readonly price: string | null;
  readonly currency: string | null;
  readonly itemCode: string | null;
  /** YYYY-MM-DD */
  readonly effectiveFrom: string | null;
  readonly active: boolean;
}

export interface MasterRecord<T> {
  readonly action: MasterFileAction;
  /** When the change took effect at its source (ISO instant); the snapshot's time for snapshots. */
  readonly at: string;
  readonly fields: T;
}

interface PayloadCommon {
  readonly format: 'crosswalk.outbox.item-master';
  readonly version: 1;
  readonly id: string;
  readonly source: MasterSource;
  readonly entity: string | null;
  readonly orderingKey: string;
  readonly createdAt: string;
  /** Who asked for a snapshot; null for changes. */
  readonly publishedBy: string | null;
  /** 1-based part and part count of a snapshot or of one batch's changes. */
  readonly part: number;
  readonly parts: number;
}

export type ItemMasterDocument =
  | (PayloadCommon & { readonly master: 'items'; readonly records: readonly MasterRecord<PublishedItem>[] })
  | (PayloadCommon & {
      readonly master: 'charges';
      readonly records: readonly MasterRecord<PublishedChargeLine>[];
    });

/** The slice of an outbox document these builders produce (see OutboundDocument). */
export interface MasterOutboundDocument {
  readonly id: string;
  readonly kind: 'item-master';
  readonly orderingKey: string;
  readonly seqMessageId: bigint;
  readonly seqPart: number;
  readonly entity: string | null;
  readonly firstMessageId: bigint;
  readonly lastMessageId: bigint;
  readonly itemCount: number;
  readonly payload: string;
  readonly createdAt: string;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const str = (v: bigint | null): string | null => (v === null ? null : v.toString());

function documentId(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p}\n`);
  return `im_${h.digest('hex').slice(0, 16)}`;
}

export function publishedItemOfEvent(p: ItemMasterPayload): PublishedItem {
  return {
    code: p.itemCode,
    description: p.description,
    status: p.status,
    itemType: p.itemType,
    category: p.category,
    expires: p.expires,
    manufacturerName: p.manufacturerName,
    manufacturerCatalogNumber: p.manufacturerCatalogNumber,
    chargeable: p.chargeable,
    cdmCode: p.cdmCode,
    chargePrice: str(p.chargePrice),
    stocked: p.stocked,
    vendorCode: p.vendorCode,
    vendorCatalogNumber: p.vendorCatalogNumber,
    currency: p.currency,
    gtin: null,
    packages: p.packages.map((k) => ({
      uom: k.uom,
      quantity: k.quantity,
      orderUnit: k.orderUnit,
      price: str(k.price),
    })),
  };
}

export function publishedChargeOfEvent(p: ChargeMasterPayload): PublishedChargeLine {
  return {
    code: p.cdmCode,
    description: p.description,
    revenueCode: p.revenueCode,
    hcpcsCode: p.hcpcsCode,
    price: str(p.price),
    currency: p.currency,
    itemCode: p.itemCode,
    effectiveFrom: p.effectiveFrom,
    active: p.active,
  };
}

/** The part of a canonical event these builders read (CanonicalEvent has this shape). */
export interface MasterEventLike {
  readonly id: string;
  readonly type: string;
  readonly entity: string;
  readonly occurredAt: string;
  readonly payload: unknown;
}

interface Place {
  readonly orderingKey: string;
  readonly seqMessageId: bigint;
  readonly firstSeqPart: number;
  readonly firstMessageId: bigint;
  readonly lastMessageId: bigint;
  readonly createdAt: string;
}

function chunk<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += MASTER_CHUNK) out.push(xs.slice(i, i + MASTER_CHUNK));
  return out;
}

function build(
  place: Place,
  source: MasterSource,
  master: MasterFile,
  entity: string | null,
  publishedBy: string | null,
  groups: readonly { records: readonly MasterRecord<unknown>[]; derivedFrom: readonly string[] }[],
  seqPart: number,
): MasterOutboundDocument[] {
  return groups.map((g, i) => {
    const records = g.records;
    const id = documentId([source, master, entity ?? '', ...g.derivedFrom, JSON.stringify(records)]);
    const payload = {
      format: 'crosswalk.outbox.item-master',
      version: 1,
      id,
      source,
      master,
      entity,
      orderingKey: place.orderingKey,
      createdAt: place.createdAt,
      publishedBy,
      part: i + 1,
      parts: groups.length,
      records,
    };
    return {
      id,
      kind: 'item-master' as const,
      orderingKey: place.orderingKey,
      seqMessageId: place.seqMessageId,
      seqPart: seqPart + i,
      entity,
      firstMessageId: place.firstMessageId,
      lastMessageId: place.lastMessageId,
      itemCount: records.length,
      payload: JSON.stringify(payload),
      createdAt: place.createdAt,
    };
  });
}

/**
 * The item-master documents the master-file events of one apply batch owe: per entity (code order),
 * items then charges, in event order, chunked. Empty when the batch changed no master.
 */
export function masterChangeDocuments(
  place: Place,
  events: readonly MasterEventLike[],
): MasterOutboundDocument[] {
  const byEntity = new Map<string, { items: MasterEventLike[]; charges: MasterEventLike[] }>();
  for (const e of events) {
    if (e.type !== 'ItemMasterChanged' && e.type !== 'ChargeMasterChanged') continue;
    const g = byEntity.get(e.entity) ?? { items: [], charges: [] };
    byEntity.set(e.entity, g);
    (e.type === 'ItemMasterChanged' ? g.items : g.charges).push(e);
  }
  const docs: MasterOutboundDocument[] = [];
  for (const [entity, g] of [...byEntity.entries()].sort(([a], [b]) => cmp(a, b))) {
    for (const [master, evs] of [
      ['items', g.items],
      ['charges', g.charges],
    ] as const) {
      if (evs.length === 0) continue;
      const groups = chunk(evs).map((part) => ({
        derivedFrom: part.map((e) => e.id),
        records: part.map((e) => {
          const p = e.payload as ItemMasterPayload & ChargeMasterPayload;
          return {
            action: p.action,
            at: e.occurredAt,
            fields: master === 'items' ? publishedItemOfEvent(p) : publishedChargeOfEvent(p),
          };
        }),
      }));
      docs.push(...build(place, 'change', master, entity, null, groups, place.firstSeqPart + docs.length));
    }
  }
  return docs;
}

/** What a snapshot reads of the stored master data (the demo model's shapes). */
export interface MasterSnapshotSource {
  readonly items: readonly {
    readonly code: string;
    readonly description: string;
    readonly category: string;
    readonly manufacturerName: string;
    readonly manufacturerCatalogNumber: string;
    readonly vendorCode: string;
    readonly vendorCatalogNumber: string;
    readonly unitCost: bigint;
    readonly currency: string;
    readonly chargeable: boolean;
    readonly cdmCode: string | null;
    readonly implant: boolean;
    readonly gtin: string | null;
    readonly billOnly: boolean;
    readonly expires: boolean;
  }[];
  readonly itemUoms: readonly {
    readonly itemCode: string;
    readonly uom: string;
    readonly baseQuantity: number;
    readonly isPurchaseUnit: boolean;
  }[];
  readonly chargeMaster: readonly {
    readonly code: string;
    readonly description: string;
    readonly revenueCode: string;
    readonly hcpcsCode: string | null;
    readonly price: bigint;
    readonly currency: string;
    readonly itemCode: string | null;
  }[];
}

/**
 * The whole item master or charge master as documents, in code order, chunked: every record an
 * `update` (receivers take it as add-or-replace). `seqMessageId` orders snapshots within their
 * ordering key; the caller passes a value that grows (the snapshot time in milliseconds).
 */
export function masterSnapshotDocuments(
  master: MasterFile,
  source: MasterSnapshotSource,
  options: { readonly createdAt: string; readonly publishedBy: string; readonly seqMessageId: bigint },
): MasterOutboundDocument[] {
  if (!options.publishedBy.trim()) {
    throw new CrosswalkError('CW_ERR_OUTBOX_BAD_DOCUMENT', { reason: 'a snapshot names who published it' });
  }
  const at = options.createdAt;
  const cdm = new Map(source.chargeMaster.map((c) => [c.code, c]));
  const uoms = new Map<string, MasterSnapshotSource['itemUoms'][number][]>();
  for (const u of source.itemUoms) {
    const g = uoms.get(u.itemCode);
    if (g) g.push(u);
    else uoms.set(u.itemCode, [u]);
  }
  const records: MasterRecord<unknown>[] =
    master === 'items'
      ? [...source.items]
          .sort((a, b) => cmp(a.code, b.code))
          .map((i) => {
            const line = i.cdmCode === null ? undefined : cdm.get(i.cdmCode);
            const fields: PublishedItem = {
              code: i.code,
              description: i.description,
              status: 'A',
              itemType: i.implant ? 'IMP' : 'SUP',
              category: i.category,
              expires: i.expires,
              manufacturerName: i.manufacturerName,
              manufacturerCatalogNumber: i.manufacturerCatalogNumber,
              chargeable: i.chargeable,
              cdmCode: i.cdmCode,
              chargePrice: line === undefined ? null : line.price.toString(),
              stocked: !i.billOnly,
              vendorCode: i.vendorCode,
              vendorCatalogNumber: i.vendorCatalogNumber,
              currency: i.currency,
              gtin: i.gtin,
              packages: (uoms.get(i.code) ?? [])
                .slice()
                .sort((a, b) => a.baseQuantity - b.baseQuantity || cmp(a.uom, b.uom))
                .map((u) => ({
                  uom: u.uom,
                  quantity: u.baseQuantity,
                  orderUnit: u.isPurchaseUnit,
                  price: (i.unitCost * BigInt(u.baseQuantity)).toString(),
                })),
            };
            return { action: 'update' as const, at, fields };
          })
      : [...source.chargeMaster]
          .sort((a, b) => cmp(a.code, b.code))
          .map((c) => {
            const fields: PublishedChargeLine = {
              code: c.code,
              description: c.description,
              revenueCode: c.revenueCode,
              hcpcsCode: c.hcpcsCode,
              price: c.price.toString(),
              currency: c.currency,
              itemCode: c.itemCode,
              effectiveFrom: null,
              active: true,
            };
            return { action: 'update' as const, at, fields };
          });
  const place: Place = {
    orderingKey: `publish:${master}`,
    seqMessageId: options.seqMessageId,
    firstSeqPart: 0,
    firstMessageId: 0n,
    lastMessageId: 0n,
    createdAt: at,
  };
  const groups = chunk(records).map((part) => ({ records: part, derivedFrom: [at] }));
  return build(place, 'snapshot', master, null, options.publishedBy, groups, 0);
}

/** An item-master payload, checked enough for a renderer to rely on its shape. */
export function itemMasterDocumentOf(payload: string): ItemMasterDocument {
  const doc = JSON.parse(payload) as Partial<ItemMasterDocument>;
  if (
    doc.format !== 'crosswalk.outbox.item-master' ||
    (doc.master !== 'items' && doc.master !== 'charges') ||
    !Array.isArray(doc.records)
  ) {
    throw new CrosswalkError('CW_ERR_OUTBOX_BAD_DOCUMENT', { reason: 'not an item-master payload' });
  }
  return doc as ItemMasterDocument;
}
