import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem, generateDftP03Batch } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { openStore } from '../store/index.ts';
import { loadMasterData } from '../store/master-data.ts';
import { eachEngine } from '../store/test-engines.ts';
import { Applier } from './applier.ts';
import { setUpDemoBooks } from './demo-books.ts';

const AT = new Date('2026-11-25T12:00:00.000Z');
const KEY = Buffer.alloc(32, 5);

function withControlId(message: string, controlId: string): Buffer {
  return Buffer.from(
    message
      .split('\r')
      .map((s) => {
        const f = s.split('|');
        if (f[0] === 'MSH') f[9] = controlId;
        return f.join('|');
      })
      .join('\r'),
  );
}

eachEngine('two appliers on two ordering keys', (engine) => {
  test('using the same stock at once loses no movement from on-hand', async () => {
    const { store, url } = await engine.freshStore({ migrated: true });
    const system = generateDemoHealthSystem({ seed: 42 });
    await loadMasterData(store, system);
    await setUpDemoBooks(store, system, AT);
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
    const templates = generateDftP03Batch(5, 9, system);
    for (let i = 0; i < 40; i++) {
      for (const key of ['a', 'b']) {
        await inbox.receive(withControlId(templates[i % templates.length]!, `${key}${i}`), { name: key });
      }
    }
    // On PostgreSQL a second pool, as a second process would have; SQLite's supported shape is one
    // connection per process (two in one process would wait on each other's lock synchronously).
    const other = engine.dialect === 'postgres' ? await openStore(url, { poolMax: 3 }) : store;
    try {
      const [a, b] = [
        new Applier({ store, tokenKey: KEY, clock: () => AT, batchSize: 5 }),
        new Applier({ store: other, tokenKey: KEY, clock: () => AT, batchSize: 5 }),
      ];
      const results = await Promise.allSettled([a.drain(), b.drain(), a.drain(), b.drain()]);
      // A batch that lost a lock race (deadlock detection) is retried by the next drain.
      await a.drain();
      assert.ok(
        results.some((r) => r.status === 'fulfilled'),
        'the appliers made progress',
      );
    } finally {
      if (other !== store) await other.close();
    }
    const outcomes = await store.query<{ n: unknown }>(
      "SELECT COUNT(*) AS n FROM message_outcomes WHERE state = 'applied'",
    );
    assert.equal(Number(outcomes[0]!.n), 80, 'every message applied once');
    const drift = await store.query(
      `SELECT s.item_code, s.par_location_code, s.quantity, s.value, m.q, m.v
       FROM stock_on_hand s
       JOIN (SELECT item_code, par_location_code, SUM(quantity) AS q, SUM(value) AS v FROM inventory_movements
             GROUP BY item_code, par_location_code) m
         ON m.item_code = s.item_code AND m.par_location_code = s.par_location_code
       WHERE s.quantity <> m.q OR s.value <> m.v`,
    );
    assert.deepEqual(drift, [], 'on-hand equals the sum of movements at every position');
  });
});
