/**
 * The outbox on the hot path, on both engines: the apply stage writes one journal-batch document per
 * batch per entity (and requisition documents) in its own transaction; every entry posted by the apply
 * stage is in exactly one document; documents balance and are ordered per key; enqueueing the same
 * documents again changes nothing; deliveries exist for each enabled destination only.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CURRENCIES } from '../ledger/index.ts';
import { enqueueDocuments, syncDestinations } from '../store/outbox-repository.ts';
import { eachEngine } from '../store/test-engines.ts';
import { asBigInt, asNumber } from '../store/values.ts';
import { documentsForBatch, journalEntriesOf, type OutboundDocument } from './documents.ts';
import { appliedEntryIds, applyUsage, count, demoBooks } from './testing.ts';

eachEngine('outbox enqueue from the apply stage', (engine) => {
  test('each apply batch writes one balanced journal-batch document per entity, and nothing twice', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await demoBooks(store);
    await applyUsage(store, { keys: ['or', 'cath'], perKey: 12, batchSize: 5 });

    const docs = await store.query(
      'SELECT id, kind, ordering_key, seq_message_id, seq_part, entity, item_count, payload FROM outbox_documents ORDER BY ordering_key, seq_message_id, seq_part',
    );
    assert.ok(docs.length > 0, 'documents were written');
    const batches = docs.filter((d) => d['kind'] === 'journal-batch');
    // 12 messages per key in batches of 5 → 3 apply batches per key; one document per batch per entity.
    const perKeyBatches = new Map<string, Set<string>>();
    for (const d of batches) {
      const k = String(d['ordering_key']);
      const s = perKeyBatches.get(k) ?? new Set<string>();
      perKeyBatches.set(k, s);
      s.add(`${asBigInt(d['seq_message_id'])}|${d['entity']}`);
    }
    assert.deepEqual([...perKeyBatches.keys()].sort(), ['cath', 'or']);

    const seen = new Map<string, string>();
    for (const d of batches) {
      const entries = journalEntriesOf(String(d['payload']));
      assert.equal(entries.length, asNumber(d['item_count']), 'item count = entries');
      const totals = JSON.parse(String(d['payload'])).controlTotals as {
        currency: string;
        debitMinor: string;
        creditMinor: string;
      }[];
      for (const t of totals)
        assert.equal(t.debitMinor, t.creditMinor, `${d['id']} balances in ${t.currency}`);
      for (const e of entries) {
        assert.equal(e.entity, d['entity'], 'one entity per document');
        assert.equal(seen.has(e.id), false, `entry ${e.id} is in ${seen.get(e.id)} and ${d['id']}`);
        seen.set(e.id, String(d['id']));
        assert.ok(
          DEFAULT_CURRENCIES.some((c) => c.code === e.currency),
          e.currency,
        );
      }
    }
    assert.deepEqual([...seen.keys()].sort(), await appliedEntryIds(store), 'every applied entry, once');

    // One delivery per document to the one enabled destination (the default), in state pending.
    assert.equal(
      await count(
        store,
        "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE destination = 'journal-files' AND state = 'pending'",
      ),
      docs.length,
    );

    // The same documents again (a replayed batch): no new rows.
    const again: OutboundDocument[] = docs.map((d) => ({
      id: String(d['id']),
      kind: d['kind'] as OutboundDocument['kind'],
      orderingKey: String(d['ordering_key']),
      seqMessageId: asBigInt(d['seq_message_id']),
      seqPart: asNumber(d['seq_part']),
      entity: String(d['entity']),
      firstMessageId: 0n,
      lastMessageId: 0n,
      itemCount: asNumber(d['item_count']),
      payload: String(d['payload']),
      createdAt: '2030-01-01T00:00:00.000Z',
    }));
    await store.transaction((tx) => enqueueDocuments(tx, again));
    assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM outbox_documents'), docs.length);
    assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM outbox_deliveries'), docs.length);
  });

  test('documents go to every enabled destination that takes their kind, and to no other', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await demoBooks(store);
    const at = '2026-11-25T12:00:00.000Z';
    await store.transaction((tx) =>
      syncDestinations(
        tx,
        [
          { name: 'erp', connector: 'http', kinds: ['journal-batch', 'requisition'] },
          { name: 'reqs-only', connector: 'http', kinds: ['requisition'] },
        ],
        at,
      ),
    );
    await applyUsage(store, { keys: ['or'], perKey: 4, batchSize: 10 });
    const rows = await store.query(
      'SELECT v.destination, x.kind, COUNT(*) AS n FROM outbox_deliveries v JOIN outbox_documents x ON x.id = v.document_id GROUP BY v.destination, x.kind ORDER BY v.destination, x.kind',
    );
    const got = rows.map((r) => `${r['destination']} ${r['kind']} ${asNumber(r['n'])}`);
    const journal = await count(
      store,
      "SELECT COUNT(*) AS n FROM outbox_documents WHERE kind = 'journal-batch'",
    );
    const reqs = await count(store, "SELECT COUNT(*) AS n FROM outbox_documents WHERE kind = 'requisition'");
    assert.ok(journal > 0, 'journal batches written');
    const expected = [`erp journal-batch ${journal}`];
    if (reqs > 0) expected.push(`erp requisition ${reqs}`, `reqs-only requisition ${reqs}`);
    assert.deepEqual(got, expected, 'the default destination was disabled by the configuration');
  });
});

test('documentsForBatch: nothing for a batch that applied nothing; parts numbered in order', () => {
  assert.deepEqual(documentsForBatch('k', [{ kind: 'failed', message: { id: 5n } }], 'T'), []);
});
