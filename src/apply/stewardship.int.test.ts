/**
 * Principle 5 through the real inbox, apply stage and CLI, per engine: an item-master change from the
 * EHR (not the owner of items) is not applied — no event, nothing published, the item master as it was —
 * and becomes one stewardship exception per kind × sender that counts a flood; the ERP's change applies;
 * after `crosswalk ownership set item EHR` (audited) the EHR's next change applies. The invariant
 * checker stays clean throughout (held messages are `applied` with the events they kept).
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { killChildren, runCli } from '../cli/test-process.ts';
import { Inbox } from '../inbox/index.ts';
import { createLogger, Metrics } from '../observe/index.ts';
import { masterSnapshotDocuments } from '../outbox/master-documents.ts';
import { renderMasterMfn } from '../outbox/render-hl7.ts';
import { AT, count, demoBooks, demoSystem, TOKEN_KEY } from '../outbox/testing.ts';
import { buildApp } from '../server/app.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import type { Store } from '../store/index.ts';
import { eachEngine } from '../store/test-engines.ts';
import { tokensAt, userWithToken } from '../store/test-identities.ts';
import { verifyInvariants } from '../store/verify-repository.ts';
import { Applier } from './applier.ts';

after(killChildren);

function itemUpdate(application: string, controlId: string, from: number, n: number): Buffer {
  const system = demoSystem();
  const [snap] = masterSnapshotDocuments(
    'items',
    {
      items: system.items.slice(from, from + n),
      itemUoms: system.itemUoms,
      chargeMaster: system.chargeMaster,
    },
    { createdAt: AT.toISOString(), publishedBy: 'test', seqMessageId: 1n },
  );
  const header = {
    sendingApplication: application,
    sendingFacility: 'HRH',
    receivingApplication: 'CROSSWALK',
    receivingFacility: 'HRH',
  };
  return Buffer.from(renderMasterMfn(snap!, header, () => 2).replaceAll(snap!.id, controlId));
}

const itemsTable = async (store: Store) =>
  JSON.stringify(await store.query('SELECT * FROM items ORDER BY code'), (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );

eachEngine('master-data ownership', (engine) => {
  test('a non-owner item change is a stewardship exception; the owner applies; ownership set moves it', async (t) => {
    const { store, url } = await engine.freshStore({ migrated: true });
    t.after(() => store.close());
    await demoBooks(store);
    const before = await itemsTable(store);
    const receive = async (bytes: Buffer, iface: string, at: Date) => {
      const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => at });
      await inbox.receive(bytes, { name: iface });
      const applier = new Applier({ store, tokenKey: TOKEN_KEY, clock: () => at, batchSize: 10 });
      await applier.drain();
    };
    const events = () =>
      count(store, "SELECT COUNT(*) AS n FROM canonical_events WHERE type = 'ItemMasterChanged'");
    const published = () =>
      count(store, "SELECT COUNT(*) AS n FROM outbox_documents WHERE kind = 'item-master'");

    // The EHR (any application the registry does not name) sends two item changes, then three more.
    await receive(itemUpdate('EPIC', 'EHR-1', 0, 2), 'mllp', AT);
    await receive(itemUpdate('EPIC', 'EHR-2', 2, 3), 'mllp', AT);
    assert.equal(await events(), 0, 'no item change from the EHR is applied');
    assert.equal(await published(), 0, 'nothing is published to other systems');
    assert.equal(await itemsTable(store), before, 'the item master is unchanged');
    const held = await store.query(
      "SELECT reason_code, team, subject, occurrences, evidence, status FROM exceptions WHERE reason_code = 'CW_ERR_STEWARDSHIP_NOT_OWNER'",
    );
    assert.equal(held.length, 1, 'one work item for the kind × sender, not one per change');
    assert.equal(held[0]!['team'], 'data-stewardship');
    assert.equal(held[0]!['subject'], 'ownership:item:EPIC|HRH');
    assert.equal(Number(held[0]!['occurrences']), 5, 'it counts every held change');
    const evidence = (
      typeof held[0]!['evidence'] === 'string'
        ? JSON.parse(String(held[0]!['evidence']))
        : held[0]!['evidence']
    ) as Record<string, unknown>;
    assert.equal(evidence['kind'], 'item');
    assert.equal(evidence['owner'], 'ERP');
    assert.equal(evidence['senderSystem'], 'EHR');
    assert.equal(evidence['sender'], 'EPIC|HRH');
    const second = demoSystem()
      .items.slice(2, 5)
      .map((i) => i.code)
      .sort();
    assert.deepEqual([...(evidence['keysInBatch'] as string[])].sort(), second, 'the keys the batch held');
    assert.equal(second.includes(String(evidence['key'])), true, 'the latest change is the evidence');
    assert.equal(
      (evidence['proposed'] as { itemCode: string }).itemCode,
      evidence['key'],
      'with the proposed change',
    );
    const outcomes = await store.query('SELECT state, event_count FROM message_outcomes ORDER BY message_id');
    assert.deepEqual(
      outcomes.map((o) => [o['state'], Number(o['event_count'])]),
      [
        ['applied', 0],
        ['applied', 0],
      ],
      'a held message is applied with the events it kept (none), so it has exactly one state',
    );

    // The ERP (its application is registered by the demo set-up) owns items: its change applies.
    await receive(itemUpdate('HRH_ERP', 'ERP-1', 0, 3), 'mllp', AT);
    assert.equal(await events(), 3, 'the owner’s changes are applied');
    assert.equal(await published(), 1, 'and published');

    // A data steward makes the EHR the owner of items (through the CLI, audited); its next change applies.
    const { 'dana.steward': dana } = await tokensAt(url, { 'dana.steward': ['data_steward'] });
    const env = { CROSSWALK_DATABASE_URL: url, CROSSWALK_TOKEN: dana! };
    const refused = await runCli(['ownership', 'set', 'widgets', 'EHR', '--as', 'dana.steward'], env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^crosswalk: .*unknown kind widgets.*\[CW_ERR_OWNERSHIP_BAD_INPUT\]\n$/);
    const set = await runCli(['ownership', 'set', 'item', 'EHR', '--as', 'dana.steward'], env);
    assert.equal(set.code, 0, set.stderr);
    const list = JSON.parse((await runCli(['ownership', 'list', '--json'], env)).stdout) as {
      owners: { kind: string; system: string; setBy: string }[];
    };
    assert.deepEqual(
      list.owners.find((o) => o.kind === 'item'),
      { ...list.owners.find((o) => o.kind === 'item')!, system: 'EHR', setBy: 'dana.steward' },
    );
    assert.equal(list.owners.find((o) => o.kind === 'practitioner')?.system, 'EHR', 'defaults stand');
    assert.equal(list.owners.find((o) => o.kind === 'vendor')?.system, 'ERP', 'defaults stand');
    const audit = await store.query(
      "SELECT actor, object, before_state, after_state FROM audit_log WHERE action = 'ownership.manage'",
    );
    assert.equal(audit.length, 1, 'the change is audited');
    assert.equal(audit[0]!['actor'], 'dana.steward');
    assert.equal(audit[0]!['object'], 'ownership:item');
    assert.match(String(audit[0]!['before_state']), /"owner":"ERP"/);
    assert.match(String(audit[0]!['after_state']), /"owner":"EHR"/);

    const app = await buildApp({
      store,
      logger: createLogger('silent'),
      metrics: new Metrics({ defaultMetrics: false }),
      version: 'test',
    });
    try {
      const { headers } = await userWithToken(store, 'rita', ['auditor']);
      assert.equal((await app.inject('/api/ownership')).statusCode, 401, 'the registry is not public');
      const api = await app.inject({ url: '/api/ownership', headers });
      assert.equal(api.statusCode, 200);
      const body = api.json() as {
        owners: { kind: string; system: string }[];
        sources: { source: string }[];
      };
      assert.equal(
        body.owners.find((o) => o.kind === 'item')?.system,
        'EHR',
        'GET /api/ownership shows the change',
      );
      assert.deepEqual(
        body.sources.map((x) => x.source),
        ['*', 'application:HRH_ERP', 'interface:erp'],
      );
    } finally {
      await app.close();
    }

    const later = new Date(Date.now() + 60_000);
    await receive(itemUpdate('EPIC', 'EHR-3', 5, 2), 'mllp', later);
    assert.equal(await events(), 5, 'after the change the EHR’s item changes apply');
    await receive(itemUpdate('HRH_ERP', 'ERP-2', 0, 1), 'mllp', later);
    assert.equal(await events(), 5, 'and the ERP’s are now the ones held');
    assert.equal(
      await count(store, "SELECT COUNT(*) AS n FROM exceptions WHERE subject = 'ownership:item:HRH_ERP|HRH'"),
      1,
    );
    assert.deepEqual(await verifyInvariants(store), [], 'the invariant checker is clean');
  });
});
