/**
 * Item-master documents, pure: snapshots of the demo masters rendered as MFN^M16 / MFN^M04 read back by
 * the project's own HL7 parser and MFN interpreter into the same items and charge lines; change
 * documents from events with ids that repeat on re-apply and differ for a new message; FHIR rendering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CanonicalEvent, ChargeMasterPayload, ItemMasterPayload } from '../canonical/index.ts';
import { parseMessage } from '../hl7v2/index.ts';
import { interpretHl7 } from '../interpret/index.ts';
import { KEY, RELEASE, SYSTEM } from '../interpret/testing.ts';
import { documentsForBatch } from './documents.ts';
import { itemMasterDocumentOf, MASTER_CHUNK, masterSnapshotDocuments } from './master-documents.ts';
import { judgeAck } from './mllp-connector.ts';
import { renderMasterBundle, resourceIdOf } from './render-fhir.ts';
import { renderMasterMfn } from './render-hl7.ts';

const AT = new Date('2026-11-25T03:00:00.000Z');
const HEADER = {
  sendingApplication: 'CROSSWALK',
  sendingFacility: 'HRH',
  receivingApplication: 'EHR',
  receivingFacility: 'HRH',
};
const scaleOf = () => 2;

function readBack(docs: readonly { id: string; payload: string }[]): CanonicalEvent[] {
  return docs.flatMap((d) => {
    const r = interpretHl7(parseMessage(renderMasterMfn(d, HEADER, scaleOf)), {
      release: RELEASE,
      tokenKey: KEY,
      sourceMessageId: `CROSSWALK|HRH|${d.id}`,
      receivedAt: AT.toISOString(),
      orderingKey: 'ehr',
    });
    assert.equal(r.status, 'interpreted', `${d.id}: ${r.status === 'interpreted' ? '' : r.reason}`);
    return r.status === 'interpreted' ? [...r.events] : [];
  });
}

test('the item master snapshot as MFN^M16 reads back as the same items', () => {
  const docs = masterSnapshotDocuments('items', SYSTEM, {
    createdAt: AT.toISOString(),
    publishedBy: 'alice',
    seqMessageId: BigInt(AT.getTime()),
  });
  assert.equal(docs.length, Math.ceil(SYSTEM.items.length / MASTER_CHUNK));
  const events = readBack(docs);
  assert.equal(events.length, SYSTEM.items.length);
  const byCode = new Map(events.map((e) => [(e.payload as ItemMasterPayload).itemCode, e]));
  for (const item of SYSTEM.items) {
    const e = byCode.get(item.code);
    assert.ok(e !== undefined, `item ${item.code} read back`);
    const p = e.payload as ItemMasterPayload;
    assert.equal(e.type, 'ItemMasterChanged');
    assert.equal(p.action, 'update');
    assert.equal(p.description, item.description);
    assert.equal(p.manufacturerName, item.manufacturerName);
    assert.equal(p.manufacturerCatalogNumber, item.manufacturerCatalogNumber);
    assert.equal(p.vendorCode, item.vendorCode);
    assert.equal(p.vendorCatalogNumber, item.vendorCatalogNumber);
    assert.equal(p.stocked, !item.billOnly);
    assert.equal(p.chargeable, item.chargeable);
    assert.equal(p.cdmCode, item.cdmCode);
    assert.equal(p.expires, item.expires);
    assert.equal(p.category, item.category);
    const line = SYSTEM.chargeMaster.find((c) => c.code === item.cdmCode);
    assert.equal(p.chargePrice, line?.price ?? null);
    const uoms = SYSTEM.itemUoms.filter((u) => u.itemCode === item.code);
    assert.deepEqual(
      [...p.packages].sort((a, b) => a.quantity - b.quantity),
      uoms
        .map((u) => ({
          uom: u.uom,
          quantity: u.baseQuantity,
          orderUnit: u.isPurchaseUnit,
          price: item.unitCost * BigInt(u.baseQuantity),
        }))
        .sort((a, b) => a.quantity - b.quantity),
    );
  }
});

test('the charge master snapshot as MFN^M04 reads back as the same lines', () => {
  const docs = masterSnapshotDocuments('charges', SYSTEM, {
    createdAt: AT.toISOString(),
    publishedBy: 'alice',
    seqMessageId: 1n,
  });
  const events = readBack(docs);
  assert.equal(events.length, SYSTEM.chargeMaster.length);
  for (const [i, line] of [...SYSTEM.chargeMaster].sort((a, b) => (a.code < b.code ? -1 : 1)).entries()) {
    const p = events[i]!.payload as ChargeMasterPayload;
    assert.deepEqual(
      [p.cdmCode, p.description, p.revenueCode, p.hcpcsCode, p.price, p.currency, p.itemCode, p.active],
      [
        line.code,
        line.description,
        line.revenueCode,
        line.hcpcsCode,
        line.price,
        line.currency,
        line.itemCode,
        true,
      ],
    );
  }
});

test('values holding delimiters are escaped and read back unchanged', () => {
  const item = { ...SYSTEM.items[0]!, description: 'GAUZE 4|4 ^STERILE~ & \\ 10/PK\nnew' };
  const [doc] = masterSnapshotDocuments(
    'items',
    { items: [item], itemUoms: [], chargeMaster: [] },
    { createdAt: AT.toISOString(), publishedBy: 'alice', seqMessageId: 1n },
  );
  const text = renderMasterMfn(doc!, HEADER, scaleOf);
  assert.equal(text.split('\r').filter((s) => s.startsWith('ITM')).length, 1, 'one ITM segment');
  const [e] = readBack([doc!]);
  assert.equal((e!.payload as ItemMasterPayload).description, item.description);
  assert.equal(parseMessage(text).get('MSH-10'), doc!.id, 'MSH-10 is the document id');
});

test('change documents: from the batch events, the same ids on re-apply, new ids for a new message', () => {
  const source = masterSnapshotDocuments('items', SYSTEM, {
    createdAt: AT.toISOString(),
    publishedBy: 'x',
    seqMessageId: 1n,
  });
  const events = readBack(source.slice(0, 1)).slice(0, 3);
  const plan = (id: bigint, evs: readonly CanonicalEvent[]) => ({
    kind: 'applied',
    message: { id },
    events: evs,
  });
  const a = documentsForBatch('erp', [plan(7n, events)], AT.toISOString());
  const again = documentsForBatch('erp', [plan(7n, events)], AT.toISOString());
  assert.equal(a.length, 1);
  assert.equal(a[0]!.kind, 'item-master');
  assert.deepEqual(again, a, 'deterministic');
  const payload = itemMasterDocumentOf(a[0]!.payload);
  assert.equal(payload.source, 'change');
  assert.equal(payload.records.length, 3);
  const other = events.map((e) => ({ ...e, id: `${e.id}x` })) as CanonicalEvent[];
  const b = documentsForBatch('erp', [plan(8n, other)], AT.toISOString());
  assert.notEqual(b[0]!.id, a[0]!.id, 'the same change from another message is another document');
  assert.deepEqual(documentsForBatch('erp', [plan(9n, [])], AT.toISOString()), []);
});

test('FHIR: DeviceDefinition per item, ChargeItemDefinition per CDM line, PUT by deterministic id', () => {
  const [items] = masterSnapshotDocuments('items', SYSTEM, {
    createdAt: AT.toISOString(),
    publishedBy: 'alice',
    seqMessageId: 1n,
  });
  const bundle = renderMasterBundle(items!, scaleOf) as {
    type: string;
    entry: { resource: Record<string, unknown>; request: { method: string; url: string } }[];
  };
  assert.equal(bundle.type, 'transaction');
  assert.equal(bundle.entry.length, MASTER_CHUNK);
  const first = bundle.entry[0]!;
  assert.equal(first.resource['resourceType'], 'DeviceDefinition');
  assert.equal(first.request.method, 'PUT');
  assert.equal(first.request.url, `DeviceDefinition/${first.resource['id']}`);
  const [charges] = masterSnapshotDocuments('charges', SYSTEM, {
    createdAt: AT.toISOString(),
    publishedBy: 'alice',
    seqMessageId: 1n,
  });
  const cb = renderMasterBundle(charges!, scaleOf) as { entry: { resource: Record<string, unknown> }[] };
  const r = cb.entry[0]!.resource;
  assert.equal(r['resourceType'], 'ChargeItemDefinition');
  assert.equal(r['status'], 'active');
  assert.equal(
    resourceIdOf('item', 'A B/C').startsWith('item-h'),
    true,
    'a code that is no FHIR id is hashed',
  );
});

test('acknowledgments: AA delivered, AE refused with ERR evidence, other control id unknown', () => {
  const ack = (code: string, id: string, err = '') =>
    Buffer.from(
      `MSH|^~\\&|EHR|HRH|CROSSWALK|HRH|20261125030000||ACK^M16^ACK|a1|P|2.6\rMSA|${code}|${id}|text\r${err}`,
    );
  assert.equal(judgeAck(ack('AA', 'im_1'), 'im_1').outcome, 'delivered');
  assert.equal(judgeAck(ack('CA', 'im_1'), 'im_1').outcome, 'delivered');
  const ae = judgeAck(
    ack('AE', 'im_1', 'ERR||ITM^1^1|207^Application internal error^HL70357|E||||unknown item class\r'),
    'im_1',
  );
  assert.equal(ae.outcome, 'rejected');
  assert.match(ae.outcome === 'rejected' ? ae.reason : '', /AE.*207.*unknown item class/);
  assert.equal(judgeAck(ack('AR', 'im_1'), 'im_1').outcome, 'rejected');
  assert.equal(judgeAck(ack('AA', 'im_2'), 'im_1').outcome, 'unknown');
  assert.equal(judgeAck(Buffer.from('garbage'), 'im_1').outcome, 'unknown');
});
