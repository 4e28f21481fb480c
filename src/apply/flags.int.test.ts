import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDemoHealthSystem, generateDftP03Batch } from '../demo/index.ts';
import { Inbox } from '../inbox/index.ts';
import { InboxRepository } from '../store/inbox-repository.ts';
import { loadMasterData } from '../store/master-data.ts';
import { eachEngine } from '../store/test-engines.ts';
import { asNumber } from '../store/values.ts';
import { Applier } from './applier.ts';
import { setUpDemoBooks } from './demo-books.ts';

const AT = new Date('2026-11-25T12:00:00.000Z');

/** The same usage lines under another control id, every quantity raised far beyond any stock. */
function variant(message: string, controlId: string): Buffer {
  const segments = message.split('\r').map((s) => {
    const f = s.split('|');
    if (f[0] === 'MSH') f[9] = controlId;
    if (f[0] === 'FT1' && f[6]?.startsWith('S')) f[10] = '5000';
    return f.join('|');
  });
  return Buffer.from(segments.join('\r'));
}

eachEngine('stock flags', (engine) => {
  test('running short of the same item again adds occurrences to its open exception instead of a new one', async () => {
    const { store } = await engine.freshStore({ migrated: true });
    const system = generateDemoHealthSystem({ seed: 42 });
    await loadMasterData(store, system);
    await setUpDemoBooks(store, system, AT);
    const inbox = new Inbox({ repository: new InboxRepository(store), clock: () => AT });
    const applier = new Applier({ store, tokenKey: Buffer.alloc(32, 3), clock: () => AT });
    const [template] = generateDftP03Batch(1, 5, system);
    const count = async () => {
      const r = await store.query<{ n: unknown; o: unknown }>(
        "SELECT COUNT(*) AS n, COALESCE(SUM(occurrences), 0) AS o FROM exceptions WHERE reason_code = 'CW_ERR_INVENTORY_NEGATIVE_ON_HAND'",
      );
      return { rows: asNumber(r[0]!.n), occurrences: asNumber(r[0]!.o) };
    };

    await inbox.receive(variant(template!, 'FLAG1'), { name: 'or' });
    assert.equal(await applier.drain(), 1);
    const first = await count();
    assert.ok(first.rows > 0, `the first message runs short and raises exceptions (${first.rows})`);

    await inbox.receive(variant(template!, 'FLAG2'), { name: 'or' });
    assert.equal(await applier.drain(), 1);
    const second = await count();
    assert.equal(second.rows, first.rows, 'no new exception for the same items and locations');
    assert.equal(second.occurrences, first.occurrences * 2, 'each open exception counts the second shortage');
  });
});
