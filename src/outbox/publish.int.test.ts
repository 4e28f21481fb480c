/**
 * Publishing the item and charge masters to the EHR, per engine, with real sockets on port 0:
 * - over MLLP to a real MLLP listener answering AA: every MFN^M16 read back with the project's own HL7
 *   parser and MFN interpreter gives the demo's items; an AE answer is an exception and is not resent;
 * - over FHIR to Crosswalk's own /fhir (a second database behind a real HTTP server): the published
 *   DeviceDefinition and ChargeItemDefinition resources read back there, validated on the way in by the
 *   project's FHIR validator;
 * - an MFN^M16 arriving through the inbox and the apply stage queues an item-master document with its
 *   effects; a duplicate of it queues nothing more.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Applier } from '../apply/applier.ts';
import type { CanonicalEvent, ItemMasterPayload } from '../canonical/index.ts';
import { buildAck, formatHl7Timestamp, parseMessage, readHeader } from '../hl7v2/index.ts';
import { Inbox } from '../inbox/index.ts';
import { interpretHl7 } from '../interpret/index.ts';
import { createRelease, demoRelease } from '../mapping/index.ts';
import { createMllpListener } from '../mllp/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { buildApp } from '../server/app.ts';
import { fetchToken, registerTestClient } from '../server/smart-testing.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { migrate, type Store } from '../store/index.ts';
import { syncDestinations } from '../store/outbox-repository.ts';
import { publishMasterSnapshot } from '../store/publish-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import type { Connector } from './connector.ts';
import { Deliverer } from './deliverer.ts';
import { documentsForBatch } from './documents.ts';
import { fhirConnector } from './fhir-connector.ts';
import { itemMasterDocumentOf, MASTER_CHUNK, masterSnapshotDocuments } from './master-documents.ts';
import { mllpConnector } from './mllp-connector.ts';
import { resourceIdOf } from './render-fhir.ts';
import { renderMasterMfn } from './render-hl7.ts';
import { AT, count, demoBooks, demoSystem, TOKEN_KEY } from './testing.ts';

const HEADER = {
  sendingApplication: 'CROSSWALK',
  sendingFacility: 'HRH',
  receivingApplication: 'EHR',
  receivingFacility: 'HRH',
};

/** A real MLLP listener on port 0 that keeps what it receives and answers `code`. */
async function mllpPeer(code: 'AA' | 'AE') {
  const received: Buffer[] = [];
  let n = 0;
  const listener = createMllpListener({
    port: 0,
    onMessage: (payload) => {
      received.push(Buffer.from(payload));
      return buildAck(readHeader(payload), {
        code,
        controlId: `ack${++n}`,
        timestamp: formatHl7Timestamp(AT),
        ...(code === 'AE'
          ? { error: { code: 207, location: 'ITM', message: 'item class not set up in the EHR' } }
          : {}),
      }).encode();
    },
  });
  const { port } = await listener.listen();
  return { port, received, close: () => listener.close({ graceful: false }) };
}

async function register(store: Store, c: Connector): Promise<void> {
  await store.transaction((tx) =>
    syncDestinations(tx, [{ name: c.name, connector: c.type, kinds: c.kinds }], AT.toISOString()),
  );
  const [row] = await store.query('SELECT connector FROM outbox_destinations WHERE name = ?', [c.name]);
  assert.equal(row?.['connector'], c.type, 'the destination is recorded with its own connector type');
}

function deliverer(store: Store, c: Connector): Deliverer {
  return new Deliverer({
    store,
    connectors: [c],
    retry: { baseMs: 5, maxMs: 20 },
    alertAfterMs: 3_600_000,
    clock: () => new Date(),
    // One owner for every deliverer of a test: a later one takes over the destination's lease at once.
    owner: 'publish-test',
  });
}

/** Passes until nothing is pending for `dest` (bounded). */
async function drain(d: Deliverer, store: Store, dest: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await d.runOnce(dest);
    const pending = await count(
      store,
      "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = ? AND state IN ('pending', 'delivering')",
      [dest],
    );
    if (pending === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`deliveries to ${dest} still pending`);
}

eachEngine('publishing the item master to the EHR', (engine) => {
  test('over MLLP: each MFN^M16 reads back, through the project parser and MFN interpreter, as the demo items', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    t.after(() => store.close());
    await demoBooks(store);
    const peer = await mllpPeer('AA');
    t.after(peer.close);
    const c = mllpConnector({
      name: 'ehr-mllp',
      host: '127.0.0.1',
      port: peer.port,
      timeoutMs: 5000,
      honoursIdempotencyKey: false,
      header: HEADER,
    });
    await register(store, c);
    const published = await publishMasterSnapshot(store, { master: 'items', by: 'alice', at: AT });
    const items = demoSystem().items;
    assert.equal(published.records, items.length);
    assert.deepEqual(published.destinations, ['ehr-mllp']);
    await drain(deliverer(store, c), store, 'ehr-mllp');

    assert.equal(peer.received.length, Math.ceil(items.length / MASTER_CHUNK));
    assert.deepEqual(
      peer.received.map((p) => parseMessage(p).get('MSH-10')),
      published.documents,
      'one message per document, in order, MSH-10 = document id',
    );
    const release = createRelease(demoRelease(demoSystem()), 'test');
    const events: CanonicalEvent[] = peer.received.flatMap((p) => {
      const msg = parseMessage(p);
      assert.equal(msg.get('MSH-9'), 'MFN');
      const r = interpretHl7(msg, {
        release,
        tokenKey: TOKEN_KEY,
        sourceMessageId: `CROSSWALK|HRH|${msg.get('MSH-10')}`,
        receivedAt: AT.toISOString(),
        orderingKey: 'ehr',
      });
      assert.equal(r.status, 'interpreted', r.status === 'interpreted' ? '' : r.reason);
      return r.status === 'interpreted' ? [...r.events] : [];
    });
    const back = new Map(
      events.map((e) => [(e.payload as ItemMasterPayload).itemCode, e.payload as ItemMasterPayload]),
    );
    assert.equal(back.size, items.length);
    for (const i of items) {
      const p = back.get(i.code);
      assert.ok(p !== undefined, `item ${i.code} published`);
      assert.deepEqual(
        [p.description, p.manufacturerName, p.vendorCatalogNumber, p.cdmCode, p.stocked, p.packages.length],
        [
          i.description,
          i.manufacturerName,
          i.vendorCatalogNumber,
          i.cdmCode,
          !i.billOnly,
          demoSystem().itemUoms.filter((u) => u.itemCode === i.code).length,
        ],
      );
    }
    assert.equal(
      await count(
        store,
        "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = 'ehr-mllp' AND state = 'delivered'",
      ),
      published.documents.length,
    );
  });

  test('over MLLP: an AE answer is an exception with the ERR evidence, and nothing is resent', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    t.after(() => store.close());
    await demoBooks(store);
    const peer = await mllpPeer('AE');
    t.after(peer.close);
    const c = mllpConnector({
      name: 'ehr-mllp',
      host: '127.0.0.1',
      port: peer.port,
      timeoutMs: 5000,
      honoursIdempotencyKey: false,
      header: HEADER,
    });
    await register(store, c);
    const published = await publishMasterSnapshot(store, { master: 'charges', by: 'alice', at: AT });
    const d = deliverer(store, c);
    await d.runOnce('ehr-mllp');
    await d.runOnce('ehr-mllp');
    await d.runOnce('ehr-mllp');
    assert.equal(
      peer.received.length,
      1,
      'the refused document is not resent, and it holds back the rest of its key',
    );
    const rows = await store.query(
      "SELECT state, exception_id, last_error FROM outbox_deliveries WHERE destination = 'ehr-mllp' ORDER BY seq_part",
    );
    assert.equal(rows.length, published.documents.length);
    assert.equal(rows[0]!['state'], 'failed');
    assert.match(String(rows[0]!['last_error']), /MSA AE.*207.*item class not set up/);
    const ex = await store.query('SELECT reason_code FROM exceptions WHERE id = ?', [
      rows[0]!['exception_id'] as bigint,
    ]);
    assert.equal(ex[0]!['reason_code'], 'CW_ERR_OUTBOX_REJECTED');
    assert.ok(
      rows.slice(1).every((r) => r['state'] === 'pending'),
      'later documents wait',
    );
  });

  test('over MLLP: no listener is a retry; no answer after sending is quarantined (no MSH-10 dedupe)', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    t.after(() => store.close());
    await demoBooks(store);
    const silent = createMllpListener({ port: 0, onMessage: () => new Promise<null>(() => {}) });
    const { port } = await silent.listen();
    t.after(() => silent.close({ graceful: false }));
    const down = await mllpPeer('AA');
    await down.close();
    const refused = mllpConnector({
      name: 'ehr-mllp',
      host: '127.0.0.1',
      port: down.port,
      timeoutMs: 300,
      honoursIdempotencyKey: false,
      header: HEADER,
    });
    await register(store, refused);
    await publishMasterSnapshot(store, { master: 'charges', by: 'alice', at: AT });
    await deliverer(store, refused).runOnce('ehr-mllp');
    const r1 = await store.query(
      "SELECT state, attempts FROM outbox_deliveries WHERE destination = 'ehr-mllp' ORDER BY seq_part",
    );
    assert.deepEqual(
      [r1[0]!['state'], Number(r1[0]!['attempts'])],
      ['pending', 1],
      'not sent: retried later',
    );

    const mute = mllpConnector({
      name: 'ehr-mllp',
      host: '127.0.0.1',
      port,
      timeoutMs: 300,
      honoursIdempotencyKey: false,
      header: HEADER,
    });
    await new Promise((r) => setTimeout(r, 60));
    await deliverer(store, mute).runOnce('ehr-mllp');
    const r2 = await store.query(
      "SELECT state FROM outbox_deliveries WHERE destination = 'ehr-mllp' ORDER BY seq_part",
    );
    assert.equal(r2[0]!['state'], 'quarantined');
  });

  test('over FHIR: DeviceDefinition and ChargeItemDefinition read back from Crosswalk’s own /fhir', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    t.after(() => store.close());
    await demoBooks(store);
    const ehr = (await engine.freshStore({ migrated: true })).store;
    t.after(() => ehr.close());
    await migrate(ehr);
    const app = await buildApp({
      store: ehr,
      logger: createLogger('warn', new Writable({ write: (_c, _e, cb) => cb() })),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 'test',
      bodyLimitBytes: 16 * 1024 * 1024,
    });
    t.after(() => app.close());
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    // The receiving /fhir wants a SMART access token; a static header is enough for one test's run.
    const client = await registerTestClient(ehr, { clientId: 'crosswalk-publisher', scopes: 'system/*.*' });
    const token = await fetchToken(`${base}/fhir`, client);
    const authorization = `Bearer ${token}`;
    const c = fhirConnector({
      name: 'ehr-fhir',
      baseUrl: `${base}/fhir`,
      timeoutMs: 20_000,
      headers: { authorization },
    });
    await register(store, c);
    const items = await publishMasterSnapshot(store, { master: 'items', by: 'alice', at: AT });
    const charges = await publishMasterSnapshot(store, {
      master: 'charges',
      by: 'alice',
      at: new Date(AT.getTime() + 1000),
      to: 'ehr-fhir',
    });
    await drain(deliverer(store, c), store, 'ehr-fhir');
    const failed = await store.query(
      "SELECT document_id, last_error FROM outbox_deliveries WHERE state <> 'delivered'",
    );
    assert.deepEqual(failed, []);

    const get = async (path: string) => {
      const res = await fetch(`${base}/fhir/${path}`, {
        headers: { accept: 'application/fhir+json', authorization },
      });
      assert.equal(res.status, 200, path);
      return (await res.json()) as Record<string, unknown>;
    };
    const system = demoSystem();
    const found = await get('DeviceDefinition?_count=1');
    assert.equal(found['total'], system.items.length, 'every item is a DeviceDefinition there');
    for (const i of system.items.slice(0, 25)) {
      const r = await get(`DeviceDefinition/${resourceIdOf('item', i.code)}`);
      assert.equal(r['modelNumber'], i.manufacturerCatalogNumber);
      assert.equal(r['manufacturerString'], i.manufacturerName);
      assert.deepEqual((r['identifier'] as { value: string }[])[0]!.value, i.code);
    }
    const lines = await get('ChargeItemDefinition?_count=1');
    assert.equal(lines['total'], system.chargeMaster.length);
    for (const l of system.chargeMaster.slice(0, 25)) {
      const bundle = await get(
        `ChargeItemDefinition?identifier=${encodeURIComponent(`https://crosswalk.invalid/fhir/sid/cdm|${l.code}`)}`,
      );
      const r = (bundle['entry'] as { resource: Record<string, unknown> }[])[0]!.resource;
      assert.equal(r['title'], l.description);
      const pc = (
        r['propertyGroup'] as { priceComponent: { amount: { value: number; currency: string } }[] }[]
      )[0]!.priceComponent[0]!;
      assert.equal(Math.round(pc.amount.value * 100), Number(l.price));
    }
    assert.equal(
      items.documents.length + charges.documents.length,
      await count(store, "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE state = 'delivered'"),
    );

    // A resend of a delivered document changes nothing there (PUT by id, same content).
    const versions = await count(ehr, 'SELECT COUNT(*) AS n FROM fhir_resource_versions');
    const doc = await store.query('SELECT id, kind, payload FROM outbox_documents WHERE id = ?', [
      items.documents[0]!,
    ]);
    const again = await c.send(
      {
        id: String(doc[0]!['id']),
        kind: 'item-master',
        payload: String(doc[0]!['payload']),
        orderingKey: 'publish:items',
        seqMessageId: 0n,
        seqPart: 0,
        entity: null,
      },
      { accounts: new Map(), scaleOf: () => 2 },
    );
    assert.equal(again.outcome, 'delivered');
    assert.equal(await count(ehr, 'SELECT COUNT(*) AS n FROM fhir_resource_versions'), versions);
  });

  test('an MFN^M16 through the inbox and apply stage queues an item-master document with its effects', async (t) => {
    const { store } = await engine.freshStore({ migrated: true });
    t.after(() => store.close());
    await demoBooks(store);
    const c = mllpConnector({
      name: 'ehr-mllp',
      host: '127.0.0.1',
      port: 1,
      timeoutMs: 100,
      honoursIdempotencyKey: false,
      header: HEADER,
    });
    await register(store, c);
    // An ERP item-master update: three items, sent as the ERP's interface would (facility HRH).
    const system = demoSystem();
    const [snap] = masterSnapshotDocuments(
      'items',
      { items: system.items.slice(0, 3), itemUoms: system.itemUoms, chargeMaster: system.chargeMaster },
      { createdAt: AT.toISOString(), publishedBy: 'erp', seqMessageId: 1n },
    );
    const inbound = Buffer.from(
      renderMasterMfn(snap!, { ...HEADER, sendingApplication: 'ERP' }, () => 2).replace(
        snap!.id,
        'ERP-MFN-1',
      ),
    );
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
    await inbox.receive(inbound, { name: 'erp' });
    const applier = new Applier({ store, tokenKey: TOKEN_KEY, clock: () => AT, batchSize: 10 });
    await applier.drain();
    const docs = await store.query(
      "SELECT id, ordering_key, payload FROM outbox_documents WHERE kind = 'item-master'",
    );
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!['ordering_key'], 'erp');
    const payload = itemMasterDocumentOf(String(docs[0]!['payload']));
    assert.equal(payload.source, 'change');
    assert.deepEqual(
      payload.records.map((r) => r.fields.code),
      system.items.slice(0, 3).map((i) => i.code),
    );
    assert.equal(
      await count(store, "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = 'ehr-mllp'"),
      1,
    );
    assert.equal(
      await count(store, "SELECT COUNT(*) AS n FROM canonical_events WHERE type = 'ItemMasterChanged'"),
      3,
      'the events the document came from are posted with it',
    );

    // The same message again (a resend) is a duplicate: nothing new.
    await inbox.receive(inbound, { name: 'erp' });
    await applier.drain();
    // Re-deriving the batch's documents from its stored events gives the same id, which is taken once.
    const stored = await store.query(
      "SELECT payload FROM canonical_events WHERE type = 'ItemMasterChanged' ORDER BY position",
    );
    // Amounts come back as strings (JSON has no bigint); the document renders them as strings anyway.
    const evs = stored.map((r) =>
      typeof r['payload'] === 'string' ? JSON.parse(r['payload']) : r['payload'],
    ) as CanonicalEvent[];
    const msgId = (await store.query('SELECT id FROM inbound_messages'))[0]!['id'];
    const again = documentsForBatch(
      'erp',
      [{ kind: 'applied', message: { id: BigInt(String(msgId)) }, events: evs }],
      AT.toISOString(),
    );
    assert.equal(again.length, 1);
    assert.equal(again[0]!.id, docs[0]!['id'], 're-applying the batch derives the same document id');
    assert.equal(
      await count(store, "SELECT COUNT(*) AS n FROM outbox_documents WHERE kind = 'item-master'"),
      1,
    );
  });
});
