/**
 * Planning a batch while the one before it is written (Applier.drainAhead, PostgreSQL): the books must
 * be exactly those of applying the same messages in one batch, and the batches planned ahead must have
 * been planned on the state their predecessor left (no re-planning inside the transaction).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem, generateTraffic } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import type { Store } from '../store/index.ts';
import { loadMasterData } from '../store/master-data.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Applier, type BatchStats } from './applier.ts';
import { setUpDemoBooks } from './demo-books.ts';
import { accountBalances, storedMovements, storedPositions } from './testing.ts';

const KEY = Buffer.alloc(32, 3);
const AT = new Date('2026-11-25T12:00:00.000Z');

async function applyTraffic(store: Store, batchSize: number): Promise<BatchStats[]> {
  const system = generateDemoHealthSystem({ seed: 42 });
  await loadMasterData(store, system);
  await setUpDemoBooks(store, system, AT);
  const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
  // OR, cath lab, ED and floor traffic of one day: consecutive batches share stock positions and encounters.
  for (const t of [...generateTraffic(system, { seed: 5 })].slice(0, 150)) {
    await inbox.receive(Buffer.from(t.message), { name: 'or' });
  }
  const batches: BatchStats[] = [];
  const applier = new Applier({
    store,
    tokenKey: KEY,
    clock: () => AT,
    batchSize,
    onBatch: (s) => batches.push(s),
  });
  assert.equal(await applier.drain(), 150);
  return batches;
}

async function books(store: Store) {
  const outcomes = await store.query(
    'SELECT message_id, state, event_count FROM message_outcomes ORDER BY message_id',
  );
  const entries = await store.query('SELECT id FROM journal_entries ORDER BY id');
  const positions = (await storedPositions(store)).sort((a, b) =>
    `${a.itemCode}|${a.parLocationCode}`.localeCompare(`${b.itemCode}|${b.parLocationCode}`),
  );
  const movements = (await storedMovements(store)).sort((a, b) => a.movementKey.localeCompare(b.movementKey));
  const encounters = await store.query('SELECT * FROM encounters ORDER BY token');
  return {
    outcomes: outcomes.map((r) => `${r['message_id']} ${r['state']} ${r['event_count']}`),
    entries: entries.map((r) => String(r['id'])),
    balances: await accountBalances(store),
    positions: positions.map((p) => ({ ...p, lots: [...p.lots].sort() })),
    movements,
    encounters: encounters.map((r) => JSON.stringify({ ...r, updated_at: null })),
  };
}

eachEngine('batches planned while the previous one is written', (engine) => {
  test('post exactly what one batch posts, each planned on the state the one before left', async () => {
    const small = (await engine.freshStore({ migrated: true })).store;
    const batches = await applyTraffic(small, 7);
    const whole = (await engine.freshStore({ migrated: true })).store;
    const one = await applyTraffic(whole, 1000);
    assert.equal(one.length, 1);
    assert.ok(batches.length >= 20, `${batches.length} batches`);
    assert.deepEqual(await books(small), await books(whole));
    // Planned ahead (PostgreSQL) or one after the other (SQLite): either way on the right state.
    assert.deepEqual(
      batches.filter((b) => b.replanned).map((b) => b.messages),
      [],
      'no batch had to be planned again in its transaction',
    );
  });
});
