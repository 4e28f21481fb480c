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

/**
 * The day's first messages [from, to) into the inbox (the demo loaded first when from is 0), every 25th
 * DFT^P03 with a supply code the item master does not hold.
 */
async function receiveTraffic(store: Store, from = 0, to = MESSAGES): Promise<number> {
  const system = generateDemoHealthSystem({ seed: 42 });
  if (from === 0) {
    await loadMasterData(store, system);
    await setUpDemoBooks(store, system, AT);
  }
  const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
  let broken = 0;
  let dft = 0;
  const day = [...generateTraffic(system, { seed: 5 })].slice(0, to);
  for (const [i, t] of day.entries()) {
    let text = t.message;
    const bad = t.kind === 'dft-p03' && dft++ % 25 === 0;
    if (i < from) continue;
    if (bad) {
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

  test('master data changed between drains reaches the planner thread with the invalidation', async () => {
    // Every par location's stock moves to another cost center of its entity between the two halves.
    const moveCostCenters = (store: Store) =>
      store.execute(
        `UPDATE par_locations SET cost_center_code = (SELECT MIN(c.code) FROM cost_centers c
           WHERE c.entity_code = par_locations.entity_code AND c.code <> par_locations.cost_center_code)`,
      );
    const costCenters = async (store: Store) =>
      (await store.query('SELECT DISTINCT cost_center FROM journal_lines WHERE cost_center IS NOT NULL')).map(
        (r) => String(r['cost_center']),
      );
    const threaded = await engine.freshStore({ migrated: true });
    const planner = await PlannerThread.start({ databaseUrl: threaded.url, tokenKey: KEY, batchSize: 7 });
    planners.push(planner);
    const serial = (await engine.freshStore({ migrated: true })).store;
    const used: Record<string, { before: string[]; after: string[] }> = {};
    for (const [name, store, options] of [
      ['threaded', threaded.store, { planner }],
      ['serial', serial, {}],
    ] as const) {
      const applier = new Applier({ store, tokenKey: KEY, clock: () => AT, batchSize: 7, ...options });
      await receiveTraffic(store, 0, MESSAGES / 2);
      assert.equal(await applier.drain(), MESSAGES / 2);
      const before = await costCenters(store);
      await moveCostCenters(store);
      applier.invalidate();
      await receiveTraffic(store, MESSAGES / 2, MESSAGES);
      assert.equal(await applier.drain(), MESSAGES / 2);
      used[name] = { before, after: await costCenters(store) };
    }
    assert.ok(
      used['serial']!.after.some((c) => !used['serial']!.before.includes(c)),
      'the change moved postings to cost centers not used before',
    );
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
