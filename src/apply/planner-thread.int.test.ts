/**
 * Batches planned on the planner thread and written here (Applier.drainPlanned, what the apply thread
 * does on SQLite): the books must be exactly those of planning and writing on one thread, failures and
 * their exceptions included, and a recorded batch whose state moved before its transaction must write
 * nothing of its own plan.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { jsonText } from '../canonical/index.ts';
import { generateDemoHealthSystem, generateTraffic } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import type { Store } from '../store/index.ts';
import { loadMasterData } from '../store/master-data.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Applier, type BatchStats } from './applier.ts';
import { setUpDemoBooks } from './demo-books.ts';
import { PlannerThread } from './planner-thread.ts';
import { accountBalances, storedMovements, storedPositions } from './testing.ts';

const KEY = Buffer.alloc(32, 3);
const AT = new Date('2026-11-25T12:00:00.000Z');
const MESSAGES = 150;

/** The day's first messages, every 25th DFT^P03 with a supply code the item master does not hold. */
async function receiveTraffic(store: Store): Promise<number> {
  const system = generateDemoHealthSystem({ seed: 42 });
  await loadMasterData(store, system);
  await setUpDemoBooks(store, system, AT);
  const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
  let broken = 0;
  let dft = 0;
  for (const t of [...generateTraffic(system, { seed: 5 })].slice(0, MESSAGES)) {
    let text = t.message;
    if (t.kind === 'dft-p03' && dft++ % 25 === 0) {
      text = text
        .split('\r')
        .map((s) => {
          if (!s.startsWith('FT1|')) return s;
          const f = s.split('|');
          f[7] = '9999999^NOT IN THE ITEM MASTER^99SUP';
          return f.join('|');
        })
        .join('\r');
      broken++;
    }
    await inbox.receive(Buffer.from(text), { name: 'or' });
  }
  return broken;
}

async function books(store: Store) {
  const outcomes = await store.query(
    'SELECT message_id, state, event_count, exception_id IS NOT NULL AS has_exception FROM message_outcomes ORDER BY message_id',
  );
  const exceptions = await store.query(
    'SELECT reason_code, message_id, subject, occurrences, evidence FROM exceptions ORDER BY reason_code, message_id, subject',
  );
  const documents = await store.query(
    'SELECT id, kind, item_count, payload FROM outbox_documents ORDER BY id',
  );
  const entries = await store.query('SELECT id FROM journal_entries ORDER BY id');
  const events = await store.query('SELECT id, payload FROM canonical_events ORDER BY id');
  const movements = (await storedMovements(store)).sort((a, b) => a.movementKey.localeCompare(b.movementKey));
  const positions = (await storedPositions(store)).sort((a, b) =>
    `${a.itemCode}|${a.parLocationCode}`.localeCompare(`${b.itemCode}|${b.parLocationCode}`),
  );
  return {
    outcomes: outcomes.map(
      (r) => `${r['message_id']} ${r['state']} ${r['event_count']} ${r['has_exception']}`,
    ),
    exceptions: exceptions.map((r) => jsonText(r)),
    documents: documents.map((r) => jsonText(r)),
    entries: entries.map((r) => String(r['id'])),
    events: events.map((r) => jsonText(r)),
    balances: await accountBalances(store),
    positions: positions.map((p) => ({ ...p, lots: [...p.lots].sort() })),
    movements,
  };
}

eachEngine('batches planned on the planner thread', (engine) => {
  const planners: PlannerThread[] = [];
  after(() => Promise.all(planners.map((p) => p.stop())));

  test('post exactly what planning and writing on one thread posts, failures included', async () => {
    const threaded = await engine.freshStore({ migrated: true });
    const broken = await receiveTraffic(threaded.store);
    assert.ok(broken >= 2, `${broken} broken messages`);
    const planner = await PlannerThread.start({ databaseUrl: threaded.url, tokenKey: KEY, batchSize: 7 });
    planners.push(planner);
    const batches: BatchStats[] = [];
    const errors: unknown[] = [];
    const applier = new Applier({
      store: threaded.store,
      tokenKey: KEY,
      clock: () => AT,
      batchSize: 7,
      planner,
      onBatch: (s) => batches.push(s),
      onError: (e) => errors.push(e),
    });
    assert.equal(await applier.drain(), MESSAGES);
    assert.deepEqual(errors, [], 'the planner answered every question');
    assert.ok(batches.length >= 20, `${batches.length} batches`);
    assert.deepEqual(
      batches.filter((b) => b.replanned).map((b) => b.messages),
      [],
      'every batch was written as the planner thread planned it',
    );
    const failed = batches.reduce((n, b) => n + b.failed, 0);
    assert.ok(failed >= broken, `${failed} failed, ${broken} broken`);

    const serial = (await engine.freshStore({ migrated: true })).store;
    await receiveTraffic(serial);
    const one = new Applier({ store: serial, tokenKey: KEY, clock: () => AT, batchSize: 7 });
    assert.equal(await one.drain(), MESSAGES);
    assert.deepEqual(await books(threaded.store), await books(serial));
  });

  test('a recorded batch whose stock moved before its transaction writes nothing, and is planned again', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    await receiveTraffic(store);
    const applier = new Applier({ store, tokenKey: KEY, clock: () => AT, batchSize: MESSAGES });
    const base = (await applier.staticContext())!;
    const recorded = await applier.recordBatch((await applier.prepareBatch('or', base))!);
    const count = async (table: string) =>
      Number((await store.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!['n']);
    const before = { events: await count('canonical_events'), outcomes: await count('message_outcomes') };
    const moved = recorded.touched.positions[0]!;
    await store.execute(
      'UPDATE stock_on_hand SET quantity = quantity + 1 WHERE item_code = ? AND par_location_code = ?',
      [moved.itemCode, moved.parLocationCode],
    );
    assert.equal(await applier.writeBatch(recorded), 0, 'nothing written on a plan of stock that moved');
    assert.deepEqual(
      { events: await count('canonical_events'), outcomes: await count('message_outcomes') },
      before,
    );
    // Planned again on what the database holds, the batch goes through.
    assert.equal(await applier.applyBatch('or'), MESSAGES);
    assert.equal(await count('message_outcomes'), before.outcomes + MESSAGES);
  });
});
